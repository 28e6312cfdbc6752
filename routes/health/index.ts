import { createRoute, z } from "@hono/zod-openapi";
import { createRouter, json, problemRes } from "../../src/http/openapi.ts";
import { problem } from "../../src/problem.ts";
import type { Readiness } from "../../src/readiness.ts";
import { API_VERSION } from "../../src/version.ts";

const HealthSchema = z
  .object({
    status: z.literal("ok"),
    version: z.string(),
    uptime_s: z.number(),
  })
  .openapi("Health");

const ReadySchema = z.object({ status: z.literal("ready"), version: z.string() }).openapi("Ready");

/** Seconds a client is told to wait before probing readiness again. */
export const READY_RETRY_AFTER_S = 2;

const route = createRoute({
  method: "get",
  path: "/healthz",
  summary: "Liveness: the process is up and answering (it may still be starting: see /readyz)",
  tags: ["ops"],
  responses: { 200: json(HealthSchema, "the process is up", { status: "ok", version: API_VERSION, uptime_s: 12.5 }) },
});

const readyRoute = createRoute({
  method: "get",
  path: "/readyz",
  summary: "Readiness: the start-up work requests depend on (default models, sample corpus) has finished",
  description: `503 with \`Retry-After: ${READY_RETRY_AFTER_S}\` while start-up work runs (\`pending\`) or after a task failed (\`failed\`, with its error); 200 once ready. Point load balancers and Kubernetes readiness probes here, liveness probes at /healthz.`,
  tags: ["ops"],
  responses: {
    200: json(ReadySchema, "ready to serve", { status: "ready", version: API_VERSION }),
    503: problemRes("not ready: `pending` lists the start-up tasks still running, `failed` those that failed"),
  },
});

/** Liveness and readiness; the edge build passes a Readiness with nothing to wait for (always ready). */
export function healthRouter(readiness: Readiness) {
  // From the app's creation, not the module's load: Workers freeze the clock at 0 while a module loads, and the
  // edge build creates its app on the first request.
  const startedAt = performance.now();
  return createRouter()
    .openapi(route, (c) =>
      c.json(
        {
          status: "ok" as const,
          version: API_VERSION,
          uptime_s: Math.round((performance.now() - startedAt) / 10) / 100,
        },
        200,
      ),
    )
    .openapi(readyRoute, (c) => {
      const s = readiness.state();
      if (s.ready) return c.json({ status: "ready" as const, version: API_VERSION }, 200);
      c.header("Retry-After", String(READY_RETRY_AFTER_S));
      const detail = [
        s.pending.length ? `starting: waiting for ${s.pending.join(", ")}` : "",
        ...s.failed.map((f) => `start-up task "${f.task}" failed: ${f.error}`),
      ]
        .filter(Boolean)
        .join("; ");
      return problem(c, 503, "Not ready", detail, { pending: s.pending, failed: s.failed }) as never;
    });
}
