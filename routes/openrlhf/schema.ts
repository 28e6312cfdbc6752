import { z } from "@hono/zod-openapi";

/** One sample (strings) or many (arrays): OpenRLHF sends arrays, a hand-written call may send one. */
const Texts = (what: string) =>
  z
    .union([z.string(), z.array(z.string({ message: `every ${what} must be a string` }))])
    .transform((v) => (typeof v === "string" ? [v] : v));

export const RewardRequest = z
  .object({
    query: Texts("query").openapi({ description: "prompt + response, as OpenRLHF decodes it; one string or an array" }),
    prompts: Texts("prompt").optional().openapi({
      description: "the prompts, to cut each response out of its query; without them the whole query is read",
    }),
    labels: Texts("label").openapi({
      description: 'gold answers (verified as Expression), or JSON strings {"answer", "answer_type", "options"}',
    }),
  })
  .openapi("OpenRLHFRewardRequest", {
    example: {
      query: ["User: What is 2+2?\n\nAssistant: It is \\boxed{4}."],
      prompts: ["User: What is 2+2?\n\nAssistant:"],
      labels: ['{"answer": "4", "answer_type": "Integer"}'],
    },
  });

export const RewardResponse = z
  .object({
    rewards: z.array(z.number()).openapi({ description: "1 when the verifier accepts the answer, else 0" }),
    scores: z.array(z.number()).openapi({ description: "the same, for OpenRLHF's dynamic filtering" }),
    extra_logs: z.object({
      correct: z.array(z.number()),
      has_answer: z.array(z.number()).openapi({ description: "1 when a final answer was found" }),
      prompt_found: z.array(z.number()).openapi({ description: "0 when the prompt was not found in its query" }),
    }),
  })
  .openapi("OpenRLHFRewardResponse");
