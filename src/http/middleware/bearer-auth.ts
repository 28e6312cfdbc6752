import type { MiddlewareHandler } from "hono";
import { timingSafeEqual } from "hono/utils/buffer";
import { problem } from "../../problem.ts";
import { isOpenAIPath, openaiError } from "../openai-error.ts";

/**
 * Requires `Authorization: Bearer <token>`; compared in constant time so the token cannot be guessed byte by byte.
 * The OpenAI-compatible routes answer a 401 in OpenAI's error shape, the others in problem+json.
 */
export function bearerAuth(expected: string): MiddlewareHandler {
  return async (c, next) => {
    const header = c.req.header("authorization") ?? "";
    const m = /^Bearer\s+(.+)$/i.exec(header);
    if (!m || !(await timingSafeEqual(m[1]!.trim(), expected))) {
      c.header("WWW-Authenticate", 'Bearer realm="spice"');
      const why = m ? "invalid bearer token" : "missing bearer token";
      if (isOpenAIPath(c.req.path)) return openaiError(c, 401, `${why} (the API key)`, { code: "invalid_api_key" });
      return problem(c, 401, "Unauthorized", why);
    }
    await next();
  };
}
