import { createRoute, z } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { streamSSE } from "hono/streaming";
import { createRouter, problemRes } from "../../src/http/openapi.ts";
import { problem, problemBody, problemFor } from "../../src/problem.ts";
import { Cancelled } from "../../src/errors.ts";
import { type RoleServices, solveCall } from "../../src/roles/calls.ts";
import type { SharedRouteServices } from "../shared.ts";
import { SolveRequest, SolveResponse } from "./schema.ts";
import { askedQuestion, solveBody, solveOptions } from "./wire.ts";

/** JSON bytes one character of a question may take (a `\uXXXX` escape), and room for the other fields. */
const JSON_BYTES_PER_CHAR = 6;
const OTHER_FIELDS_BYTES = 64 * 1024;
/** Smaller bodies are read as usual; past this the policy's bound is asked first (loading it if need be). */
const CHECK_ABOVE_BYTES = 1024 * 1024;

/**
 * Refuses, before reading it, a body too large to hold a question the policy could take: parsing a
 * 9 MiB JSON body blocks the event loop for tens of milliseconds, only for the answer to be a 400.
 */
const questionSizeGuard =
  (roles: RoleServices): MiddlewareHandler =>
  async (c, next) => {
    const bytes = Number(c.req.header("content-length") ?? Number.NaN);
    if (bytes > CHECK_ABOVE_BYTES) {
      const max = (await roles.policy()).maxPromptChars?.() ?? null;
      if (max !== null && bytes > max * JSON_BYTES_PER_CHAR + OTHER_FIELDS_BYTES)
        return problem(
          c,
          400,
          "Request does not fit the policy",
          `a body of ${bytes} bytes holds a question that cannot fit the model's context (prompts of at most ${max} characters can)`,
        );
    }
    await next();
  };

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

export function reasonerRouter({ roles, logger }: SharedRouteServices) {
  // The guard runs before the body is read, as route middleware would (it needs the host's policy).
  const router = createRouter();
  router.use(route.path, questionSizeGuard(roles));
  return router.openapi(route, async (c) => {
    const b = c.req.valid("json");
    // A client that disconnects aborts the request's signal (for a stream, also when its reader goes away):
    // its rollouts leave the batch at the next step.
    const gone = new AbortController();
    const signal = AbortSignal.any([c.req.raw.signal, gone.signal]);
    if (!b.stream) return c.json(solveBody(await solveCall(roles, askedQuestion(b), solveOptions(b, { signal }))), 200);
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
    const call = solveCall(roles, askedQuestion(b), solveOptions(b, { onToken, signal }));
    await Promise.race([
      started,
      call.then(
        () => {},
        () => {},
      ),
    ]);
    if (early.length === 0) await call; // settled without a token: its error is thrown to onError here
    return streamSSE(c, async (sse) => {
      sse.onAbort(() => gone.abort());
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
        if (err instanceof Cancelled) return; // no one is left to read an error event
        const p = problemFor(err);
        if (!p) logger.error({ err }, "reasoner stream failed");
        const body = p ? problemBody(p.status, p.title, p.detail) : problemBody(500, "Internal error");
        await sse.writeSSE({ event: "error", data: JSON.stringify(body) });
      }
    }) as unknown as Response;
  });
}
