import { createRoute, z } from "@hono/zod-openapi";
import { createRouter, json, jsonBody, problemRes } from "../../src/http/openapi.ts";
import { HttpProblem } from "../../src/problem.ts";
import { isErrorRow, verifyRow } from "../../src/verify/rows.ts";
import { MAX_VERIFY_ITEMS, Verdict, VerifyBatchOut, VerifyRequest } from "./schema.ts";

const route = createRoute({
  method: "post",
  path: "/v1/verify",
  summary: "Verify reasoner answers against gold answers",
  description: `One item in, one verdict out; \`{items: [...]}\` in, \`{items: [...]}\` out in the same order (at most ${MAX_VERIFY_ITEMS} items; 413 past it). reward is 1 when correct, else 0. Rules: docs/verifier-rules.md.`,
  tags: ["verify"],
  request: {
    body: jsonBody(VerifyRequest, {
      items: [
        { id: "q1", response: "So the answer is \\boxed{\\frac{1}{2}}.", answer: "0.5", answer_type: "Expression" },
        { id: "q2", response: "I think \\boxed{B}", answer: "B", answer_type: "MCQ" },
      ],
    }),
  },
  responses: {
    200: json(z.union([Verdict, VerifyBatchOut]), "a verdict, or `{items}` for a batch", {
      items: [
        { id: "q1", correct: true, reward: 1, extracted: "\\frac{1}{2}", reason: "equal within 1e-6" },
        { id: "q2", correct: true, reward: 1, extracted: "B", reason: "same letter" },
      ],
    }),
    400: problemRes("invalid request"),
    413: problemRes("too many items"),
  },
});

type BatchRow = z.infer<typeof VerifyBatchOut>["items"][number];

export function verifyRouter() {
  return createRouter().openapi(route, (c) => {
    const body = c.req.valid("json");
    if ("items" in body) {
      if (body.items.length > MAX_VERIFY_ITEMS) {
        throw new HttpProblem(
          413,
          "Too many items",
          `at most ${MAX_VERIFY_ITEMS} items per call, got ${body.items.length}`,
        );
      }
      // An HTTP batch's error rows always carry `index` (verifyRow places them by it).
      const items = body.items.map((item, index) => verifyRow(item, index, { index }, true)) as BatchRow[];
      return c.json({ items }, 200);
    }
    const row = verifyRow(body, 0, { index: 0 }, true);
    // The body already passed the schema, so an error row cannot happen here; kept total for the types.
    if (isErrorRow(row)) throw new HttpProblem(400, "Invalid request", row.error);
    return c.json(row, 200);
  });
}
