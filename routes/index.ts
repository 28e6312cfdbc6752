import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppContext } from "../src/context.ts";
import { roleServices } from "../src/roles/services.ts";
import { corpusRouter } from "./corpus/index.ts";
import { mountSharedRoutes } from "./shared.ts";
import { trainerRouter } from "./trainer/index.ts";
import { openaiRouter } from "./openai/index.ts";

/**
 * Every resource router, mounted at "/": routers declare their full paths (`/v1/...`), so
 * a route's URL can be read off its own file. The routes the edge build shares are in
 * routes/shared.ts; the ones that need the process's corpus and trainer follow, one line each.
 */
export function mountRoutes(app: OpenAPIHono, ctx: AppContext): void {
  mountSharedRoutes(app, { roles: roleServices(ctx), logger: ctx.logger, readiness: ctx.readiness });
  app.route("/", corpusRouter(ctx));
  app.route("/", trainerRouter(ctx));
  app.route("/", openaiRouter(ctx));
}
