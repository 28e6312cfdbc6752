import type { Env, Hono } from "hono";
import type { AppContext } from "./context.ts";
import { CorpusEmpty } from "./errors.ts";
import { API_TITLE, createApiShell, installProblemHandling, serveOpenApi } from "./http/app-shell.ts";
import { requestLog } from "./http/middleware/request-log.ts";
import { observeHttp } from "./metrics.ts";
import { problem } from "./problem.ts";
import { deniedWrite } from "./paths.ts";
import { READY_RETRY_AFTER_S } from "../routes/health/index.ts";
import { mountDashboard } from "./dashboard/index.ts";
import { mountDocsUi } from "./http/docs-ui.ts";
import { refreshTrainerGauges } from "./trainer/service.ts";
import { mountRoutes } from "../routes/index.ts";

export { API_TITLE };

declare module "hono" {
  interface ContextVariableMap {
    ctx: AppContext;
  }
}

/** The whole HTTP surface; no I/O happens here until a request asks for a service. */
export function createApp(ctx: AppContext) {
  const { logger, config } = ctx;
  const app = createApiShell({
    maxBody: config.maxBody,
    apiToken: config.apiToken,
    before: [
      async (c, next) => {
        c.set("ctx", ctx);
        await next();
      },
      requestLog(logger, observeHttp(ctx.registry)),
    ],
  });

  mountRoutes(app, ctx);

  serveOpenApi(app, {
    apiToken: config.apiToken,
    description: "Challenger, reasoner, verifier, corpus and trainer endpoints of the SPICE self-play toolkit.",
  });
  mountDocsUi(app, API_TITLE);
  mountDashboard(app);
  app.get("/metrics", async (c) => {
    // The run may train in another process on this data dir: its gauges come from the database.
    await refreshTrainerGauges(ctx);
    return c.body(await ctx.registry.metrics(), 200, { "content-type": ctx.registry.contentType });
  });

  installErrorHandling(app, ctx);
  return app;
}

export type App = ReturnType<typeof createApp>;

/**
 * The shell's problem+json answers (src/http/app-shell.ts), plus what only this process knows: an empty corpus
 * while the server is still starting is 503 with Retry-After, and a write the data dir refuses is 503.
 */
export function installErrorHandling<E extends Env>(
  app: Hono<E>,
  ctx: Pick<AppContext, "logger" | "readiness" | "config">,
): void {
  installProblemHandling(app, {
    logger: ctx.logger,
    intercept: (err, c) => {
      // An empty corpus while the sample corpus is still being ingested is "not yet", not "never".
      const readiness = ctx.readiness.state();
      if (!(err instanceof CorpusEmpty) || readiness.ready) return null;
      c.header("Retry-After", String(READY_RETRY_AFTER_S));
      const waiting = readiness.pending.length ? `; waiting for ${readiness.pending.join(", ")}` : "";
      return problem(c, 503, "Not ready", `the corpus is empty while the server is starting${waiting}`);
    },
    translate: (err) => deniedWrite(err, ctx.config.dataDir),
  });
}
