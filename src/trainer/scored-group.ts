import { z } from "zod";

/**
 * The rollout-only export format (docs/method.md §3.3), one group per JSON Lines row, as
 * external trainers read it. Exported so consumers can validate a file before training on it.
 */
export const ScoredGroupSchema = z
  .object({
    run: z.string(),
    iteration: z.number().int().min(1),
    role: z.enum(["challenger", "reasoner"]),
    group: z.number().int().min(0),
    prompt: z.string(),
    completions: z.array(z.string()),
    rewards: z.array(z.number()),
    advantages: z.array(z.number()),
    token_ids: z.array(z.array(z.number().int())).nullable(),
    logprobs: z.array(z.array(z.number())).nullable(),
    prompt_token_ids: z.array(z.number().int()).nullable().optional(),
    meta: z.record(z.string(), z.unknown()).optional(),
  })
  .refine((g) => g.rewards.length === g.completions.length && g.advantages.length === g.completions.length, "rewards and advantages align with completions")
  .refine((g) => g.token_ids === null || g.token_ids.length === g.completions.length, "token_ids align with completions");
