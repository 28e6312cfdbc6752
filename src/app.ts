import { OpenAPIHono } from "@hono/zod-openapi";
import type { Env, Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { requestId } from "hono/request-id";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { AppContext } from "./context.ts";
import type { Logger } from "./log.ts";
import { bearerAuth } from "./http/middleware/bearer-auth.ts";
import { bodyLimit } from "./http/middleware/body-limit.ts";
import { requestLog } from "./http/middleware/request-log.ts";
import { defaultHook } from "./http/openapi.ts";
import { problem, problemFor } from "./problem.ts";
import { renderDocsPage } from "./docs-page.ts";
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
  app.get("/docs", (c) => c.html(renderDocsPage(app.getOpenAPI31Document(openApiConfig))));
  app.get("/metrics", async (c) =>
    c.body(await ctx.registry.metrics(), 200, { "content-type": ctx.registry.contentType }),
  );

  installErrorHandling(app, logger);
  return app;
}

export type App = ReturnType<typeof createApp>;

/** 404 and error answers as problem+json: library errors through the error table, anything else a logged 500. */
export function installErrorHandling<E extends Env>(app: Hono<E>, logger: Logger): void {
  app.notFound((c) => problem(c, 404, "Not found", `no route for ${c.req.method} ${c.req.path}`));
  app.onError((err, c) => {
    const p = problemFor(err);
    if (p) return problem(c, p.status, p.title, p.detail, p.extra);
    if (err instanceof HTTPException) {
      const status = err.status as ContentfulStatusCode;
      return problem(c, status, status === 400 ? "Bad request" : "Request failed", err.message);
    }
    logger.error({ req_id: c.get("requestId"), err }, "unhandled error");
    return problem(c, 500, "Internal server error", "the error was logged; quote the request id when reporting it");
  });
}
