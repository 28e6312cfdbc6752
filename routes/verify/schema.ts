import { z } from "@hono/zod-openapi";
import { closedObject } from "../../src/http/openapi.ts";
import { ANSWER_TYPES } from "../../src/verify/index.ts";
import { VerifyRowSchema } from "../../src/verify/rows.ts";

/**
 * Most items one `POST /v1/verify` may carry; past it: 413. A pathological item costs up to
 * tens of milliseconds, so this bounds one call to well under a minute of CPU in the worst case.
 */
export const MAX_VERIFY_ITEMS = 1_000;

// Rebuilt from the shared shape: `.openapi()` exists only on schemas built after @hono/zod-openapi loaded.
export const VerifyItem = closedObject(VerifyRowSchema.shape).openapi("VerifyItem", {
  description: `A reasoner response and the gold answer. answer_type: ${ANSWER_TYPES.join(" | ")} (any case). options: MCQ option texts {A,B,C,D}.`,
  example: { id: "q1", response: "So the answer is \\boxed{\\frac{1}{2}}.", answer: "0.5", answer_type: "Expression" },
});

export const VerifyBatch = closedObject({
  items: z.array(z.unknown()).openapi({
    description: `VerifyItem objects, at most ${MAX_VERIFY_ITEMS}; a bad item (unknown keys included) gets an error row in its place`,
  }),
}).openapi("VerifyBatch");

export const VerifyRequest = z.union([VerifyBatch, VerifyItem]).openapi("VerifyRequest");

const Id = z
  .union([z.string(), z.number()])
  .openapi({ description: "the item's id, or its 0-based index in the call" });

export const Verdict = z
  .object({
    id: Id,
    correct: z.boolean(),
    reward: z.union([z.literal(0), z.literal(1)]),
    extracted: z.string().nullable().openapi({ description: "the final answer as read from the response" }),
    reason: z.string(),
  })
  .openapi("Verdict");

export const VerifyErrorRow = z
  .object({
    id: Id,
    index: z.number().int().openapi({ description: "0-based position of the bad item in `items`" }),
    line: z
      .number()
      .int()
      .openapi({ description: "1-based number of the bad item (index + 1), as `spice verify` numbers lines" }),
    error: z.string(),
  })
  .openapi("VerifyErrorRow");

export const VerifyBatchOut = z
  .object({ items: z.array(z.union([Verdict, VerifyErrorRow])) })
  .openapi("VerifyBatchOut");
