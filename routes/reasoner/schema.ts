import { z } from "@hono/zod-openapi";
import { closedObject } from "../../src/http/openapi.ts";
import { ANSWER_TYPES, McqOptionsSchema, parseAnswerType } from "../../src/verify/index.ts";

export const SolveRequest = closedObject({
  question: z.string().min(1),
  options: closedObject(McqOptionsSchema.shape).optional().describe("makes the question multiple-choice"),
  k: z.number().int().min(1).max(64).default(8).describe("K: rollouts"),
  answer: z.string().min(1).optional().describe("gold answer: every rollout is verified against it"),
  answer_type: z
    .string()
    .transform((s, c) => {
      const t = parseAnswerType(s);
      if (!t) c.addIssue({ code: "custom", message: `must be one of ${ANSWER_TYPES.join(", ")}` });
      return t ?? z.NEVER;
    })
    .optional()
    .describe("Integer | Expression | String | MCQ (any case); defaults to MCQ with options"),
  stream: z.boolean().default(false).describe("server-sent events: `token` events, then one `result`"),
  temperature: z.number().min(0).max(2).default(1.0),
  top_p: z.number().gt(0).max(1).default(1.0),
  max_tokens: z.number().int().min(1).max(4096).default(512),
  seed: z.number().int().min(0).optional(),
})
  .refine((b) => b.answer === undefined || b.answer_type !== undefined || b.options !== undefined, {
    message: "`answer` needs `answer_type` (or `options` for a multiple-choice question)",
    path: ["answer_type"],
  })
  .openapi("SolveRequest");

export const RolloutOut = z
  .object({
    text: z.string(),
    extracted: z.string().nullable(),
    correct: z.boolean().optional(),
    reason: z.string().optional(),
    finish_reason: z.enum(["stop", "length"]),
  })
  .openapi("Rollout");

export const SolveResponse = z
  .object({
    rollouts: z.array(RolloutOut),
    pass_rate: z.number().min(0).max(1).optional().describe("correct rollouts / k, with a gold answer"),
  })
  .openapi("SolveResponse");
