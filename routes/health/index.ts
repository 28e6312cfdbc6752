import { createRoute, z } from "@hono/zod-openapi";
import { createRouter, json } from "../../src/http/openapi.ts";
import { API_VERSION } from "../../src/version.ts";

const HealthSchema = z
  .object({
    status: z.literal("ok"),
    version: z.string(),
    uptime_s: z.number(),
  })
  .openapi("Health");

const route = createRoute({
  method: "get",
  path: "/healthz",
  summary: "Liveness",
  tags: ["ops"],
  responses: { 200: json(HealthSchema, "the process is up") },
});

export function healthRouter() {
  // From the app's creation, not the module's load: Workers freeze the clock at 0 while a module loads, and the
  // edge build creates its app on the first request.
  const startedAt = performance.now();
  return createRouter().openapi(route, (c) =>
    c.json(
      { status: "ok" as const, version: API_VERSION, uptime_s: Math.round((performance.now() - startedAt) / 10) / 100 },
      200,
    ),
  );
}
