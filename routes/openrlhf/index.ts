import { createRoute } from "@hono/zod-openapi";
import { createRouter, json, problemRes } from "../../src/http/openapi.ts";
import { HttpProblem } from "../../src/problem.ts";
import { BadRewardRow, scoreRequest } from "./reward.ts";
import { RewardRequest, RewardResponse } from "./schema.ts";

const route = createRoute({
  method: "post",
  path: "/openrlhf/reward",
  summary: "OpenRLHF remote reward: verify responses against gold labels",
  description:
    "For `--reward.remote_url http://host:port/openrlhf/reward`. Each response is its query minus its prompt; the " +
    "reward is 1 when the verifier accepts its final answer (docs/verifier-rules.md), else 0. Not under /v1: " +
    "OpenRLHF sends no bearer token. See docs/gym.md#openrlhf.",
  tags: ["integrations"],
  request: { body: { content: { "application/json": { schema: RewardRequest } }, required: true } },
  responses: {
    200: json(RewardResponse, "one reward per query, in order", {
      rewards: [1],
      scores: [1],
      extra_logs: { correct: [1], has_answer: [1], prompt_found: [1] },
    }),
    400: problemRes("a malformed body, or a label or row that cannot be used (named in `detail` and `errors`)"),
  },
});

/** Web-standard only (no Bun API), so an edge build can mount it as it is. */
export function openrlhfRouter() {
  return createRouter().openapi(route, (c) => {
    try {
      return c.json(scoreRequest(c.req.valid("json")), 200);
    } catch (err) {
      if (err instanceof BadRewardRow)
        throw new HttpProblem(400, "Invalid request", err.message, {
          errors: [{ field: `${err.field}.${err.row}`, message: err.message }],
        });
      throw err;
    }
  });
}
