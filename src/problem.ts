import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { z } from "@hono/zod-openapi";
import type { ProblemDetails } from "./http/openapi.ts";
import { errorAnswer } from "./error-table.ts";

/** RFC 9457 problem details; `type` stays about:blank, `title` is the stable part. */
export type ProblemBody = z.infer<typeof ProblemDetails>;

export const PROBLEM_CONTENT_TYPE = "application/problem+json";

export function problemBody(
  status: number,
  title: string,
  detail?: string,
  extra: Record<string, unknown> = {},
): ProblemBody {
  return { type: "about:blank", title, status, ...(detail ? { detail } : {}), ...extra };
}

export function problem(
  c: Context,
  status: ContentfulStatusCode,
  title: string,
  detail?: string,
  extra: Record<string, unknown> = {},
): Response {
  const body = problemBody(status, title, detail, {
    instance: c.req.path,
    request_id: c.get("requestId"),
    ...extra,
  });
  return c.body(JSON.stringify(body), status, { "content-type": PROBLEM_CONTENT_TYPE });
}

/** Thrown by handlers and services; the app's onError turns it into a problem response. */
export class HttpProblem extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly title: string,
    readonly detail?: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(detail ? `${title}: ${detail}` : title);
    this.name = "HttpProblem";
  }
}

/** The problem an error answers: a route's own HttpProblem, or a library error through the one table; null otherwise. */
export function problemFor(err: unknown): HttpProblem | null {
  if (err instanceof HttpProblem) return err;
  const a = errorAnswer(err);
  // 499 is no status Hono names, but a valid one.
  return a ? new HttpProblem(a.status as ContentfulStatusCode, a.title, a.detail, a.extra) : null;
}
