import type { MiddlewareHandler } from "hono";
import { timingSafeEqual } from "hono/utils/buffer";
import { problem } from "../../problem.ts";

/** Requires `Authorization: Bearer <token>`; compared in constant time so the token cannot be guessed byte by byte. */
export function bearerAuth(expected: string): MiddlewareHandler {
  return async (c, next) => {
    const header = c.req.header("authorization") ?? "";
    const m = /^Bearer\s+(.+)$/i.exec(header);
    if (!m || !(await timingSafeEqual(m[1]!.trim(), expected))) {
      c.header("WWW-Authenticate", 'Bearer realm="spice"');
      return problem(c, 401, "Unauthorized", m ? "invalid bearer token" : "missing bearer token");
    }
    await next();
  };
}
