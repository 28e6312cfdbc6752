import { createRoute, z } from "@hono/zod-openapi";
import { streamSSE } from "hono/streaming";
import { createRouter, problemRes } from "../../src/http/openapi.ts";
import type { AppContext } from "../../src/context.ts";
import { problemBody, problemFor } from "../../src/problem.ts";
import { solveCall } from "../../src/roles/calls.ts";
import { SolveRequest, SolveResponse } from "./schema.ts";
import { askedQuestion, solveBody, solveOptions } from "./wire.ts";

const route = createRoute({
  method: "post",
  path: "/v1/reasoner/solve",
  summary: "Answer a question without the document (the reasoner role)",
  tags: ["roles"],
  request: {
    body: {
      content: {
        "application/json": {
          schema: SolveRequest,
          example: { question: "What is 2+2?", k: 2, answer: "4", answer_type: "Integer", max_tokens: 64, seed: 1 },
        },
      },
      required: true,
    },
  },
  responses: {
    200: {
      description:
        "the rollouts; with `stream: true`, text/event-stream of `token` events ({rollout, text}) and a final `result` (or `error`, for a failure after the first token: anything that fails before it answers its own status as a problem)",
      content: {
        "application/json": {
          schema: SolveResponse,
          example: {
            rollouts: [
              {
                text: "2 + 2 = \\boxed{4}",
                extracted: "4",
                correct: true,
                reason: "identical to the gold",
                finish_reason: "stop",
              },
              { text: "\\boxed{5}", extracted: "5", correct: false, reason: "different values", finish_reason: "stop" },
            ],
            pass_rate: 0.5,
          },
        },
        "text/event-stream": { schema: z.string() },
      },
    },
    400: problemRes("invalid request, or a question too long for the model"),
    502: problemRes("the policy server answered garbage"),
    503: problemRes("the policy is unavailable"),
    504: problemRes("the policy server timed out"),
  },
});

type Token = { sample: number; text: string };

export function reasonerRouter(ctx: AppContext) {
  return createRouter().openapi(route, async (c) => {
    const b = c.req.valid("json");
    if (!b.stream) return c.json(solveBody(await solveCall(ctx, askedQuestion(b), solveOptions(b))), 200);
    // Nothing is sent until the first token: whatever fails before it (a prompt over the context, the policy
    // down) answers its real status as a problem, not a 200 stream with an error event inside.
    const early: Token[] = [];
    let send: ((t: Token) => void) | null = null;
    let firstToken!: () => void;
    const started = new Promise<void>((resolve) => (firstToken = resolve));
    const onToken = (t: Token) => {
      if (send) send(t);
      else {
        early.push(t);
        firstToken();
      }
    };
    const call = solveCall(ctx, askedQuestion(b), solveOptions(b, onToken));
    await Promise.race([
      started,
      call.then(
        () => {},
        () => {},
      ),
    ]);
    if (early.length === 0) await call; // settled without a token: its error is thrown to onError here
    return streamSSE(c, async (sse) => {
      // Tokens arrive synchronously from the decoding loop; writes are chained to keep their order.
      let writes = Promise.resolve();
      const write = ({ sample, text }: Token) => {
        writes = writes.then(() => sse.writeSSE({ event: "token", data: JSON.stringify({ rollout: sample, text }) }));
      };
      for (const t of early) write(t);
      send = write;
      try {
        const result = await call;
        await writes;
        await sse.writeSSE({ event: "result", data: JSON.stringify(solveBody(result)) });
      } catch (err) {
        await writes;
        const p = problemFor(err);
        if (!p) ctx.logger.error({ err }, "reasoner stream failed");
        const body = p ? problemBody(p.status, p.title, p.detail) : problemBody(500, "Internal error");
        await sse.writeSSE({ event: "error", data: JSON.stringify(body) });
      }
    }) as unknown as Response;
  });
}
