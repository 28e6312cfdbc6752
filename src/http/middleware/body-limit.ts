import { bodyLimit as honoBodyLimit } from "hono/body-limit";
import { problem } from "../../problem.ts";
import { isOpenAIPath, openaiError } from "../openai-error.ts";

/** Rejects a body over `maxBytes` with a 413 problem before any route reads it (SPICE_MAX_BODY, docs/method.md §3.4). */
export function bodyLimit(maxBytes: number) {
  return honoBodyLimit({
    maxSize: maxBytes,
    onError: (c) =>
      isOpenAIPath(c.req.path)
        ? openaiError(c, 413, `request body exceeds ${maxBytes} bytes`)
        : problem(c, 413, "Payload too large", `request body exceeds ${maxBytes} bytes`),
  });
}
