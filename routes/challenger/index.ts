import { createRoute, z } from "@hono/zod-openapi";
import { createRouter } from "../../src/app-factory.ts";
import type { AppContext } from "../../src/context.ts";
import { getPolicy } from "../../src/policy/index.ts";
import { challenge, type ChallengerSample } from "../../src/roles/challenge.ts";
import { asPolicyProblem } from "../../src/roles/http-errors.ts";
import { readDocument } from "../../src/roles/documents.ts";
import { ChallengeRequest, ChallengeResponse, ChallengerTaskOut } from "./schema.ts";

const problemRes = (description: string) => ({
  description,
  content: { "application/problem+json": { schema: z.object({ title: z.string(), status: z.number(), detail: z.string().optional() }) } },
});

const route = createRoute({
  method: "post",
  path: "/v1/challenger/generate",
  summary: "Write tasks from a document (the challenger role)",
  tags: ["roles"],
  request: { body: { content: { "application/json": { schema: ChallengeRequest } }, required: true } },
  responses: {
    200: { description: "the challenger's group", content: { "application/json": { schema: ChallengeResponse } } },
    400: problemRes("invalid request"),
    404: problemRes("no such segment"),
    502: problemRes("the policy server answered garbage"),
    503: problemRes("the policy or the corpus is unavailable"),
    504: problemRes("the policy server timed out"),
  },
});

export function toTaskOut(s: ChallengerSample): z.infer<typeof ChallengerTaskOut> {
  const r = s.result;
  return {
    valid: r.valid,
    task_type: r.taskType,
    question: r.question,
    ...(r.options ? { options: r.options } : {}),
    answer: r.answer,
    answer_type: r.answerType,
    ...(r.error ? { error: r.error } : {}),
    raw: (s.task ?? s.selection)?.completion.text ?? "",
  };
}

export function challengerRouter(ctx: AppContext) {
  return createRouter().openapi(route, async (c) => {
    const body = c.req.valid("json");
    const doc = await readDocument(ctx, body);
    const policy = await getPolicy(ctx);
    const result = await challenge(policy, doc.text, {
      samples: body.n,
      maxAttempts: body.max_attempts,
      taskTypes: body.task_type ? [body.task_type] : undefined,
      temperature: body.temperature,
      topP: body.top_p,
      maxTokens: body.max_tokens,
      seed: body.seed,
    }).catch(asPolicyProblem);
    return c.json(
      { doc_id: doc.id, attempts: result.attempts, rounds: result.rounds, skipped: result.skipped, truncated: result.truncated, tasks: result.group.map(toTaskOut) },
      200,
    );
  });
}
