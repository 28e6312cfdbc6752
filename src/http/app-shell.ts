import { OpenAPIHono } from "@hono/zod-openapi";
import type { Context, Env, Hono, MiddlewareHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import { requestId } from "hono/request-id";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { LogSink } from "../log.ts";
import { problem, problemFor } from "../problem.ts";
import { API_VERSION } from "../version.ts";
import { bearerAuth } from "./middleware/bearer-auth.ts";
import { bodyLimit } from "./middleware/body-limit.ts";
import { defaultHook } from "./openapi.ts";

/**
 * What every API app shares, whatever hosts it: `spice serve` (src/app.ts) and the edge build
 * (src/app-edge.ts) are this shell with their own routes mounted. Web-standard only.
 */

export const API_TITLE = "SPICE toolkit API";

export interface ApiShellOptions {
  /** Largest request body (SPICE_MAX_BODY); past it, 413 before any route reads the body. */
  maxBody: number;
  /** Bearer token required on /v1/* (SPICE_API_TOKEN); none: the routes are open. */
  apiToken?: string;
  /** Middleware run after the request id is set and before the body limit (the request log, the context). */
  before?: MiddlewareHandler[];
}

/** A new app with the request id, `before`, the body limit and the bearer guard, in that order. */
export function createApiShell(o: ApiShellOptions): OpenAPIHono {
  const app = new OpenAPIHono({ defaultHook });
  app.use("*", requestId());
  for (const m of o.before ?? []) app.use("*", m);
  app.use("*", bodyLimit(o.maxBody));
  if (o.apiToken) app.use("/v1/*", bearerAuth(o.apiToken));
  return app;
}

/** Serves the OpenAPI 3.1 document of what is mounted at `/openapi.json`; returns its config (for /docs). */
export function serveOpenApi(app: OpenAPIHono, o: { apiToken?: string; description: string }) {
  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", { type: "http", scheme: "bearer" });
  const config = {
    openapi: "3.1.0",
    info: { title: API_TITLE, version: API_VERSION, description: o.description },
    security: o.apiToken ? [{ bearer: [] }] : [],
  };
  app.doc31("/openapi.json", config);
  return config;
}

export interface ProblemHandling {
  logger: LogSink;
  /** Answers an error before the error table does, or null to go on (`spice serve`: "not ready yet"). */
  intercept?: (err: Error, c: Context) => Response | null;
  /** The library error an unrecognised error stands for, or null (`spice serve`: a write the data dir refused). */
  translate?: (err: unknown) => unknown;
}

/**
 * 404 and error answers as problem+json: library errors through the error table (every 400 naming what is
 * wrong), Hono's own refusals (malformed JSON, a content type the route does not take), anything else a logged
 * 500 that carries no internal detail.
 */
export function installProblemHandling<E extends Env>(app: Hono<E>, o: ProblemHandling): void {
  app.notFound((c) => problem(c, 404, "Not found", `no route for ${c.req.method} ${c.req.path}`));
  app.onError((err, c) => {
    const early = o.intercept?.(err, c);
    if (early) return early;
    const p = problemFor(err) ?? (o.translate ? problemFor(o.translate(err)) : null);
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
    o.logger.error({ req_id: c.get("requestId"), err }, "unhandled error");
    return problem(c, 500, "Internal server error", "the error was logged; quote the request id when reporting it");
  });
}
