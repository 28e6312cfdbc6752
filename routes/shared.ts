import type { OpenAPIHono } from "@hono/zod-openapi";
import type { LogSink } from "../src/log.ts";
import type { Readiness } from "../src/readiness.ts";
import type { RoleServices } from "../src/roles/calls.ts";
import { challengerRouter } from "./challenger/index.ts";
import { healthRouter } from "./health/index.ts";
import { openrlhfRouter } from "./openrlhf/index.ts";
import { reasonerRouter } from "./reasoner/index.ts";
import { verifyRouter } from "./verify/index.ts";

/**
 * What the shared routes need from their host: the roles' policy and documents, a log for stream failures, and
 * the start-up work /readyz waits for.
 */
export interface SharedRouteServices {
  roles: RoleServices;
  logger: LogSink;
  readiness: Readiness;
}

/**
 * The routes both apps serve, `spice serve` (routes/index.ts) and the edge build (src/app-edge.ts): the
 * same route modules and schemas, so their OpenAPI paths are the same. Nothing reached from here may need
 * Node or Bun (`bun run build:edge` fails if it does).
 */
export function mountSharedRoutes(app: OpenAPIHono, s: SharedRouteServices): void {
  app.route("/", healthRouter(s.readiness));
  app.route("/", challengerRouter(s.roles));
  app.route("/", reasonerRouter(s));
  app.route("/", verifyRouter());
  app.route("/", openrlhfRouter());
}

/** The paths mountSharedRoutes serves (GET /openapi.json aside). */
export const SHARED_PATHS = [
  "/healthz",
  "/readyz",
  "/v1/challenger/generate",
  "/v1/reasoner/solve",
  "/v1/verify",
  "/openrlhf/reward",
] as const;
