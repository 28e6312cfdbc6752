import { OpenAPIHono } from "@hono/zod-openapi";
import { requestId } from "hono/request-id";
import { gymRouter } from "../routes/gym/index.ts";
import { openrlhfRouter } from "../routes/openrlhf/index.ts";
import type { AppContext } from "./context.ts";
import type { GymEnvironment } from "./gym/environment.ts";
import { bodyLimit } from "./http/middleware/body-limit.ts";
import { requestLog } from "./http/middleware/request-log.ts";
import { installErrorHandling } from "./app.ts";
import { defaultHook } from "./http/openapi.ts";
import { observeHttp } from "./metrics.ts";
import { API_VERSION } from "./version.ts";

/**
 * The HTTP surface of `spice gym serve` (docs/gym.md): NeMo-Gym's resources-server routes at the root, as its
 * agents call them, plus the OpenRLHF remote reward and /metrics. No bearer token: NeMo-Gym and OpenRLHF send
 * none, and nothing here controls the process.
 */
export function createGymApp(ctx: AppContext, env: GymEnvironment) {
  const app = new OpenAPIHono({ defaultHook });
  app.use("*", requestId());
  app.use("*", requestLog(ctx.logger, observeHttp(ctx.registry)));
  app.use("*", bodyLimit(ctx.config.maxBody));
  app.route("/", gymRouter(env));
  app.route("/", openrlhfRouter());
  app.get("/healthz", (c) => c.json({ status: "ok", version: API_VERSION }, 200));
  app.get("/metrics", async (c) =>
    c.body(await ctx.registry.metrics(), 200, { "content-type": ctx.registry.contentType }),
  );
  installErrorHandling(app, ctx);
  return app;
}
