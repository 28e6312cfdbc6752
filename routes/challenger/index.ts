import { createRoute } from "@hono/zod-openapi";
import { createRouter, json, problemRes } from "../../src/http/openapi.ts";
import { challengeCall, type RoleServices } from "../../src/roles/calls.ts";
import { ChallengeRequest, ChallengeResponse } from "./schema.ts";
import { challengeBody, challengeOptions, documentSource } from "./wire.ts";

const route = createRoute({
  method: "post",
  path: "/v1/challenger/generate",
  summary: "Write tasks from a document (the challenger role)",
  tags: ["roles"],
  request: { body: { content: { "application/json": { schema: ChallengeRequest } }, required: true } },
  responses: {
    200: json(ChallengeResponse, "the challenger's group"),
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
    return c.json(challengeBody(await challengeCall(roles, documentSource(b), challengeOptions(b))), 200);
  });
}
