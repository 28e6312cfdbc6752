import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { errorAnswer } from "../error-table.ts";

/**
 * The OpenAI-compatible routes (routes/openai/) answer errors in OpenAI's shape, not problem+json, since
 * OpenAI clients parse `{"error": {"message", "type", "param", "code"}}` (docs/openai.md#errors). The app's
 * middleware (bearer token, body limit) asks `isOpenAIPath` which shape a path gets.
 */

export const OPENAI_PATHS: ReadonlySet<string> = new Set(["/v1/models", "/v1/completions", "/v1/chat/completions"]);

export const isOpenAIPath = (path: string): boolean => OPENAI_PATHS.has(path.replace(/\/+$/, ""));

export const OpenAIErrorSchema = z
  .object({
    error: z.object({
      message: z.string(),
      type: z.string().describe("invalid_request_error (4xx) or server_error (5xx)"),
      param: z.string().nullable().describe("the request field at fault, when one is"),
      code: z.string().nullable().describe("e.g. model_not_found, invalid_api_key, policy_unavailable"),
    }),
  })
  .openapi("OpenAIError", { description: "an error in OpenAI's shape (the OpenAI-compatible routes only)" });

export type OpenAIErrorBody = z.infer<typeof OpenAIErrorSchema>;

export function openaiErrorBody(
  status: number,
  message: string,
  more: { param?: string | null; code?: string | null } = {},
): OpenAIErrorBody {
  return {
    error: {
      message,
      type: status >= 500 ? "server_error" : "invalid_request_error",
      param: more.param ?? null,
      code: more.code ?? null,
    },
  };
}

export function openaiError(
  c: Context,
  status: ContentfulStatusCode,
  message: string,
  more: { param?: string | null; code?: string | null } = {},
): Response {
  return c.json(openaiErrorBody(status, message, more), status);
}

/**
 * A thrown error as an OpenAI error: a library error through the one error table (its code as `code`),
 * an HTTP exception by its status; anything else is a 500 whose details stay in the log.
 */
export function openaiErrorFor(err: unknown): { status: ContentfulStatusCode; body: OpenAIErrorBody } | null {
  const a = errorAnswer(err);
  if (a)
    return {
      status: a.status as ContentfulStatusCode,
      body: openaiErrorBody(a.status, a.detail, { code: (err as { code: string }).code }),
    };
  const status = (err as { status?: unknown }).status;
  if (typeof status === "number" && status >= 400 && status < 600 && err instanceof Error)
    return { status: status as ContentfulStatusCode, body: openaiErrorBody(status, err.message) };
  return null;
}
