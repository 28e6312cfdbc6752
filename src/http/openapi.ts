import { OpenAPIHono, z, type Hook } from "@hono/zod-openapi";
import type { Env } from "hono";
import { HttpProblem, problem, PROBLEM_CONTENT_TYPE } from "../problem.ts";

/** A validation hook of any route (the OpenAI-compatible routes have their own, in OpenAI's error shape). */
// biome-ignore lint/suspicious/noExplicitAny: one hook for every route, whatever its input and path types.
export type AnyHook = Hook<any, Env, any, any>;

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

/**
 * A route response whose body is `schema` as JSON, with an example (the API reference shows it, and a
 * test checks every 2xx example against its schema).
 */
export const json = <T extends z.ZodType>(schema: T, description: string, example?: z.input<T>) => ({
  description,
  content: { "application/json": { schema, ...(example === undefined ? {} : { example }) } },
});

/** A JSON request body with its example: what the reference's try-it-out sends by default. */
export const jsonBody = <T extends z.ZodType>(schema: T, example: z.input<T>, required = true) => ({
  content: { "application/json": { schema, example } },
  required,
});

/** An error response of a route: problem+json, documented by the one `ProblemDetails` component. */
export const problemRes = (description: string) => ({
  description,
  content: { [PROBLEM_CONTENT_TYPE]: { schema: ProblemDetails } },
});

/**
 * One failing field of a 400: a dotted path into the body (or query), or `(body)` / `(query)` for the whole of it.
 * A key that is empty or holds a dot or a space is written as a JSON string, so every field name is readable.
 */
export interface FieldError {
  field: string;
  message: string;
}

type Issue = z.core.$ZodIssue;

/** How far a union branch is from matching: fewer (and shallower-missing) issues win; each unknown key counts. */
function branchCost(issues: Issue[]): number {
  return issues.reduce(
    (n, i) =>
      n +
      (i.code === "unrecognized_keys"
        ? i.keys.length
        : i.code === "invalid_union"
          ? Math.min(...i.errors.map(branchCost))
          : 1),
    0,
  );
}

/** zod's "received undefined" is a missing field: say so. */
function message(i: Issue): string {
  const missing = /^Invalid input: expected (.+), received undefined$/.exec(i.message);
  return missing ? `required (expected ${missing[1]})` : i.message;
}

/**
 * zod issues → one error per failing field, each naming the field and what was expected. A union (one item or a
 * batch, say) is reported by the branch the input came closest to, not as a bare "Invalid input"; unknown keys
 * get one error each, named by their own path.
 */
export function fieldErrors(issues: readonly Issue[], whole = "(body)", prefix: PropertyKey[] = []): FieldError[] {
  const segment = (k: PropertyKey) =>
    typeof k === "number" || /^[^\s."]+$/.test(String(k)) ? String(k) : JSON.stringify(String(k));
  const name = (path: PropertyKey[]) => (path.length ? path.map(segment).join(".") : whole);
  const out: FieldError[] = [];
  for (const i of issues) {
    const path = [...prefix, ...i.path];
    if (i.code === "invalid_union" && i.errors.length > 0) {
      const best = i.errors.reduce((a, b) => (branchCost(b) < branchCost(a) ? b : a));
      out.push(...(best.length ? fieldErrors(best, whole, path) : [{ field: name(path), message: message(i) }]));
    } else if (i.code === "unrecognized_keys") {
      for (const key of i.keys) out.push({ field: name([...path, key]), message: i.message });
    } else {
      out.push({ field: name(path), message: message(i) });
    }
  }
  // Branches that fail alike (a bare array against two object shapes) say it once.
  return out.filter((e, k) => out.findIndex((f) => f.field === e.field && f.message === e.message) === k);
}

/** The 400 problem of a failed validation, thrown so the app's onError answers it. */
export function invalidRequest(errors: FieldError[]): HttpProblem {
  const detail = errors.map((e) => `${e.field}: ${e.message}`).join("; ");
  return new HttpProblem(400, "Invalid request", detail, { errors });
}

/** Validation failures become 400 problem+json that name each failing field and what it expects. */
export const defaultHook: AnyHook = (result, c) => {
  if (result.success) return;
  const target = (result as { target?: string }).target;
  const whole = target === "json" || target === undefined ? "(body)" : `(${target})`;
  const p = invalidRequest(fieldErrors(result.error.issues, whole));
  return problem(c, p.status, p.title, p.detail, p.extra);
};

/**
 * A closed object: unknown keys are refused with a 400 naming each (docs: "Security and operations"). The
 * toolkit's own routes use it; routes implementing another project's contract follow that contract instead.
 */
export function closedObject<S extends z.ZodRawShape>(shape: S) {
  const allowed = Object.keys(shape).join(", ");
  return z.strictObject(shape, {
    error: (i) => (i.code === "unrecognized_keys" ? `unknown field (expected only: ${allowed})` : undefined),
  });
}

export function createRouter(): OpenAPIHono {
  return new OpenAPIHono({ defaultHook });
}
