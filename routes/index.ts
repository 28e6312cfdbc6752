import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppContext } from "../src/context.ts";
import { healthRouter } from "./health/index.ts";
import { corpusRouter } from "./corpus/index.ts";
import { challengerRouter } from "./challenger/index.ts";
import { reasonerRouter } from "./reasoner/index.ts";
import { trainerRouter } from "./trainer/index.ts";
import { verifyRouter } from "./verify/index.ts";
import { openrlhfRouter } from "./openrlhf/index.ts";

/**
 * Every resource router, mounted at "/": routers declare their full paths (`/v1/...`), so
 * a route's URL can be read off its own file. One line per resource.
 */
export function mountRoutes(app: OpenAPIHono, ctx: AppContext): void {
  app.route("/", healthRouter(ctx));
  app.route("/", corpusRouter(ctx));
  app.route("/", challengerRouter(ctx));
  app.route("/", reasonerRouter(ctx));
  app.route("/", trainerRouter(ctx));
  app.route("/", verifyRouter(ctx));
  app.route("/", openrlhfRouter());
}
