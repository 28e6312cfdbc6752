import { OpenAPIHono, z, type Hook } from "@hono/zod-openapi";
import type { Env } from "hono";
import { problem, PROBLEM_CONTENT_TYPE } from "../problem.ts";

// biome-ignore lint/suspicious/noExplicitAny: one hook for every route, whatever its input and path types.
type AnyHook = Hook<any, Env, any, any>;

/**
 * RFC 9457 problem details, the body of every error response. Registered once as an OpenAPI component so each
 * route's error responses are a `$ref` to it rather than a restated inline shape.
 */
export const ProblemDetails = z
  .looseObject({
    type: z.string().describe("always about:blank: `title` is the stable part"),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    instance: z.string().optional().describe("the request path"),
    request_id: z.string().optional().describe("also sent as the x-request-id header; quote it when reporting"),
    errors: z
      .array(z.object({ field: z.string(), message: z.string() }))
      .optional()
      .describe("validation failures, one per failing field"),
  })
  .openapi("ProblemDetails", { description: "RFC 9457 problem details (application/problem+json)" });

/** A route response whose body is `schema` as JSON. */
export const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

/** An error response of a route: problem+json, documented by the one `ProblemDetails` component. */
export const problemRes = (description: string) => ({
  description,
  content: { [PROBLEM_CONTENT_TYPE]: { schema: ProblemDetails } },
});

/** Validation failures become 400 problem+json that name each failing field. */
export const defaultHook: AnyHook = (result, c) => {
  if (result.success) return;
  const errors = result.error.issues.map((i) => ({
    field: i.path.length ? i.path.join(".") : "(body)",
    message: i.message,
  }));
  const detail = errors.map((e) => `${e.field}: ${e.message}`).join("; ");
  return problem(c, 400, "Invalid request", detail, { errors });
};

export function createRouter(): OpenAPIHono {
  return new OpenAPIHono({ defaultHook });
}
