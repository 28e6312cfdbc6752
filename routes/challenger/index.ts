import { createRoute } from "@hono/zod-openapi";
import { createRouter, json, jsonBody, problemRes } from "../../src/http/openapi.ts";
import { challengeCall, type RoleServices } from "../../src/roles/calls.ts";
import { ChallengeRequest, ChallengeResponse } from "./schema.ts";
import { challengeBody, challengeOptions, documentSource } from "./wire.ts";

const route = createRoute({
  method: "post",
  path: "/v1/challenger/generate",
  summary: "Write tasks from a document (the challenger role)",
  tags: ["roles"],
  request: {
    body: jsonBody(ChallengeRequest, {
      document: "Sam has 14 apples. He gives 5 of them to Ada and keeps the rest.",
      n: 2,
      max_attempts: 4,
      seed: 1,
    }),
  },
  responses: {
    200: json(ChallengeResponse, "the challenger's group", {
      doc_id: null,
      attempts: 2,
      rounds: 1,
      skipped: false,
      truncated: false,
      tasks: [
        {
          valid: true,
          task_type: "free_form",
          question: "Sam has 14 apples and gives 5 to Ada. How many does he keep?",
          answer: "9",
          answer_type: "Integer",
          raw: '{"question": "Sam has 14 apples and gives 5 to Ada. How many does he keep?", "answer": "9", "answer_type": "Integer"}',
        },
        {
          valid: false,
          task_type: "mcq",
          question: "",
          answer: "",
          answer_type: null,
          error: "question is empty",
          raw: '{"question": ""}',
        },
      ],
    }),
    400: problemRes("invalid request"),
    404: problemRes("no such segment"),
    502: problemRes("the policy server answered garbage"),
    503: problemRes("the policy or the corpus is unavailable"),
    504: problemRes("the policy server timed out"),
  },
});

export function challengerRouter(roles: RoleServices) {
  return createRouter().openapi(route, async (c) => {
    const b = c.req.valid("json");
    // A client that disconnects aborts the request's signal: the challenger stops at the next decoding step.
    const options = { ...challengeOptions(b), signal: c.req.raw.signal };
    return c.json(challengeBody(await challengeCall(roles, documentSource(b), options)), 200);
  });
}
