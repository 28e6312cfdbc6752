import { OpenAPIHono, type Hook } from "@hono/zod-openapi";
import type { Env } from "hono";
import { problem } from "../problem.ts";

type AnyHook = Hook<any, Env, any, any>;

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
