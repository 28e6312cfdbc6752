import type { AppContext } from "./context.ts";
import { createApiShell, installErrorHandling, serveOpenApi } from "./http/app-shell.ts";
import { requestLog } from "./http/middleware/request-log.ts";
import { observeHttp } from "./metrics.ts";
import { renderDocsPage } from "./docs-page.ts";
import { mountRoutes } from "../routes/index.ts";

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

  const docConfig = serveOpenApi(app, {
    apiToken: config.apiToken,
    description: "Challenger, reasoner, verifier, corpus and trainer endpoints of the SPICE self-play toolkit.",
  });
  app.get("/docs", (c) => c.html(renderDocsPage(app.getOpenAPI31Document(docConfig))));
  app.get("/metrics", async (c) =>
    c.body(await ctx.registry.metrics(), 200, { "content-type": ctx.registry.contentType }),
  );

  installErrorHandling(app, logger);
  return app;
}

export type App = ReturnType<typeof createApp>;
