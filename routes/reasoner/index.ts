import { createRoute, z } from "@hono/zod-openapi";
import { streamSSE } from "hono/streaming";
import { createRouter, problemRes } from "../../src/http/openapi.ts";
import { problemBody, problemFor } from "../../src/problem.ts";
import { solveCall } from "../../src/roles/calls.ts";
import type { SharedRouteServices } from "../shared.ts";
import { SolveRequest, SolveResponse } from "./schema.ts";
import { askedQuestion, solveBody, solveOptions } from "./wire.ts";

const route = createRoute({
  method: "post",
  path: "/v1/reasoner/solve",
  summary: "Answer a question without the document (the reasoner role)",
  tags: ["roles"],
  request: { body: { content: { "application/json": { schema: SolveRequest } }, required: true } },
  responses: {
    200: {
      description:
        "the rollouts; with `stream: true`, text/event-stream of `token` events ({rollout, text}) and a final `result` (or `error`)",
      content: { "application/json": { schema: SolveResponse }, "text/event-stream": { schema: z.string() } },
    },
    400: problemRes("invalid request, or a question too long for the model"),
    502: problemRes("the policy server answered garbage"),
    503: problemRes("the policy is unavailable"),
    504: problemRes("the policy server timed out"),
  },
});

export function reasonerRouter({ roles, logger }: SharedRouteServices) {
  return createRouter().openapi(route, async (c) => {
    const b = c.req.valid("json");
    if (!b.stream) return c.json(solveBody(await solveCall(roles, askedQuestion(b), solveOptions(b))), 200);
    return streamSSE(c, async (sse) => {
      // Tokens arrive synchronously from the decoding loop; writes are chained to keep their order.
      let writes = Promise.resolve();
      const onToken = ({ sample, text }: { sample: number; text: string }) => {
        writes = writes.then(() => sse.writeSSE({ event: "token", data: JSON.stringify({ rollout: sample, text }) }));
      };
      try {
        const result = await solveCall(roles, askedQuestion(b), solveOptions(b, onToken));
        await writes;
        await sse.writeSSE({ event: "result", data: JSON.stringify(solveBody(result)) });
      } catch (err) {
        await writes;
        const p = problemFor(err);
        if (!p) logger.error({ err }, "reasoner stream failed");
        const body = p ? problemBody(p.status, p.title, p.detail) : problemBody(500, "Internal error");
        await sse.writeSSE({ event: "error", data: JSON.stringify(body) });
      }
    }) as unknown as Response;
  });
}
