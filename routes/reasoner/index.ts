import { createRoute, z } from "@hono/zod-openapi";
import { streamSSE } from "hono/streaming";
import { createRouter } from "../../src/app-factory.ts";
import type { AppContext } from "../../src/context.ts";
import { getPolicy } from "../../src/policy/index.ts";
import { problemBody } from "../../src/problem.ts";
import { asPolicyProblem, policyProblem } from "../../src/roles/http-errors.ts";
import { solve, type Question, type SolveResult } from "../../src/roles/solve.ts";
import { SolveRequest, SolveResponse } from "./schema.ts";

const problemRes = (description: string) => ({
  description,
  content: { "application/problem+json": { schema: z.object({ title: z.string(), status: z.number(), detail: z.string().optional() }) } },
});

const route = createRoute({
  method: "post",
  path: "/v1/reasoner/solve",
  summary: "Answer a question without the document (the reasoner role)",
  tags: ["roles"],
  request: { body: { content: { "application/json": { schema: SolveRequest } }, required: true } },
  responses: {
    200: {
      description: "the rollouts; with `stream: true`, text/event-stream of `token` events ({rollout, text}) and a final `result` (or `error`)",
      content: { "application/json": { schema: SolveResponse }, "text/event-stream": { schema: z.string() } },
    },
    400: problemRes("invalid request, or a question too long for the model"),
    502: problemRes("the policy server answered garbage"),
    503: problemRes("the policy is unavailable"),
    504: problemRes("the policy server timed out"),
  },
});

function toResponse(r: SolveResult): z.infer<typeof SolveResponse> {
  return {
    rollouts: r.rollouts.map((x) => ({
      text: x.text,
      extracted: x.extracted,
      ...(x.correct !== undefined ? { correct: x.correct } : {}),
      ...(x.reason !== undefined ? { reason: x.reason } : {}),
      finish_reason: x.step.completion.finishReason,
    })),
    ...(r.passRate !== undefined ? { pass_rate: r.passRate } : {}),
  };
}

export function reasonerRouter(ctx: AppContext) {
  return createRouter().openapi(route, async (c) => {
    const b = c.req.valid("json");
    const question: Question = {
      question: b.question,
      options: b.options,
      gold: b.answer === undefined ? undefined : { answer: b.answer, answerType: b.answer_type ?? "MCQ", options: b.options },
    };
    const options = { rollouts: b.k, temperature: b.temperature, topP: b.top_p, maxTokens: b.max_tokens, seed: b.seed };
    const policy = await getPolicy(ctx);
    if (!b.stream) return c.json(toResponse(await solve(policy, question, options).catch(asPolicyProblem)), 200);
    return streamSSE(c, async (sse) => {
      // Tokens arrive synchronously from the decoding loop; writes are chained to keep their order.
      let writes = Promise.resolve();
      const onToken = ({ sample, text }: { sample: number; text: string }) => {
        writes = writes.then(() => sse.writeSSE({ event: "token", data: JSON.stringify({ rollout: sample, text }) }));
      };
      try {
        const result = await solve(policy, question, { ...options, onToken });
        await writes;
        await sse.writeSSE({ event: "result", data: JSON.stringify(toResponse(result)) });
      } catch (err) {
        await writes;
        const p = policyProblem(err);
        if (!p) ctx.logger.error({ err }, "reasoner stream failed");
        const body = p ? problemBody(p.status, p.title, p.detail) : problemBody(500, "Internal error");
        await sse.writeSSE({ event: "error", data: JSON.stringify(body) });
      }
    }) as unknown as Response;
  });
}
