import { OpenAPIHono } from "@hono/zod-openapi";
import type { Env, Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { requestId } from "hono/request-id";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { AppContext } from "./context.ts";
import { bearerAuth } from "./http/middleware/bearer-auth.ts";
import { bodyLimit } from "./http/middleware/body-limit.ts";
import { requestLog } from "./http/middleware/request-log.ts";
import { defaultHook } from "./http/openapi.ts";
import { problem, problemFor } from "./problem.ts";
import { CorpusEmpty } from "./errors.ts";
import { deniedWrite } from "./paths.ts";
import { READY_RETRY_AFTER_S } from "../routes/health/index.ts";
import { mountDashboard } from "./dashboard/index.ts";
import { mountDocsUi } from "./http/docs-ui.ts";
import { refreshTrainerGauges } from "./trainer/service.ts";
import { mountRoutes } from "../routes/index.ts";
import { API_VERSION } from "./version.ts";

export const API_TITLE = "SPICE toolkit API";

declare module "hono" {
  interface ContextVariableMap {
    ctx: AppContext;
  }
}

/** The whole HTTP surface; no I/O happens here until a request asks for a service. */
export function createApp(ctx: AppContext) {
  const app = new OpenAPIHono({ defaultHook });
  const { logger, config } = ctx;

  app.use("*", requestId());
  app.use("*", async (c, next) => {
    c.set("ctx", ctx);
    await next();
  });
  app.use("*", requestLog(logger, ctx.registry));
  app.use("*", bodyLimit(config.maxBody));
  if (config.apiToken) app.use("/v1/*", bearerAuth(config.apiToken));

  mountRoutes(app, ctx);

  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", { type: "http", scheme: "bearer" });
  const openApiConfig = {
    openapi: "3.1.0",
    info: {
      title: API_TITLE,
      version: API_VERSION,
      description: "Challenger, reasoner, verifier, corpus and trainer endpoints of the SPICE self-play toolkit.",
    },
    security: config.apiToken ? [{ bearer: [] }] : [],
  };
  app.doc31("/openapi.json", openApiConfig);
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
 * 404 and error answers as problem+json: library errors through the error table, a write the data dir refuses
 * as 503, an empty corpus while the server is still starting as 503 with Retry-After, anything else a logged 500.
 */
export function installErrorHandling<E extends Env>(
  app: Hono<E>,
  ctx: Pick<AppContext, "logger" | "readiness" | "config">,
): void {
  const { logger, config } = ctx;
  app.notFound((c) => problem(c, 404, "Not found", `no route for ${c.req.method} ${c.req.path}`));
  app.onError((err, c) => {
    // An empty corpus while the sample corpus is still being ingested is "not yet", not "never".
    const readiness = ctx.readiness.state();
    if (err instanceof CorpusEmpty && !readiness.ready) {
      c.header("Retry-After", String(READY_RETRY_AFTER_S));
      const waiting = readiness.pending.length ? `; waiting for ${readiness.pending.join(", ")}` : "";
      return problem(c, 503, "Not ready", `the corpus is empty while the server is starting${waiting}`);
    }
    const p = problemFor(err) ?? problemFor(deniedWrite(err, config.dataDir));
    if (p) {
      // Every 400 names what is wrong: a refusal from deeper in the library (a prompt over the context, a
      // policy server refusing the request) is about the request as a whole.
      const errors =
        p.status === 400 && !("errors" in p.extra)
          ? { errors: [{ field: "(body)", message: p.detail ?? p.title }] }
          : {};
      return problem(c, p.status, p.title, p.detail, { ...p.extra, ...errors });
    }
    if (err instanceof HTTPException) {
      const status = err.status as ContentfulStatusCode;
      // Hono's own refusals: a body that is not JSON (400), a content type the route does not take (415).
      if (status === 400) {
        const detail = /malformed json/i.test(err.message)
          ? "malformed JSON: the body must be one JSON value"
          : err.message;
        return problem(c, 400, "Bad request", detail, { errors: [{ field: "(body)", message: detail }] });
      }
      if (status === 415) {
        const given = c.req.header("content-type") ?? "(none)";
        return problem(
          c,
          415,
          "Unsupported media type",
          `content-type ${given} is not accepted: send application/json`,
        );
      }
      return problem(c, status, "Request failed", err.message);
    }
    logger.error({ req_id: c.get("requestId"), err }, "unhandled error");
    return problem(c, 500, "Internal server error", "the error was logged; quote the request id when reporting it");
  });
}
