import { z } from "zod";

/**
 * A scored group (docs/method.md §3.3): what one iteration hands the learner, and the
 * rollout-only export format, one group per JSON Lines row. The embedded learner reads the same
 * shape, so a group read from a rollout file can be fed to a learner as it is; external trainers
 * can validate a file with this schema before training on it.
 */

export const ROLES = ["challenger", "reasoner"] as const;
export const RoleSchema = z.enum(ROLES);
export type Role = z.infer<typeof RoleSchema>;

/**
 * Which weights produced a completion (docs/openai.md#policy-versions): the in-process model's folder,
 * weights hash and swap counter, or a remote server's model name and, when it reports one, its revision
 * (`system_fingerprint`). Stored with every rollout and challenger output and exported per completion,
 * so that an external trainer can tell on-policy samples from stale ones.
 */
export const PolicyVersionSchema = z.object({
  backend: z.string(),
  model: z.string(),
  /** sha256 of the weights the in-process policy was opened with. */
  weights_hash: z.string().optional(),
  /** Hot swaps of the in-process weights before this completion (0: the opened weights). */
  swaps: z.number().int().min(0).optional(),
  revision: z.string().optional(),
});
export type PolicyVersionRecord = z.infer<typeof PolicyVersionSchema>;

export const ScoredGroupSchema = z
  .object({
    run: z.string(),
    iteration: z.number().int().min(1),
    role: RoleSchema,
    /** Index of the group within the iteration. */
    group: z.number().int().min(0),
    /** The rendered prompt text the completions were sampled from. */
    prompt: z.string(),
    completions: z.array(z.string()),
    rewards: z.array(z.number()),
    /** Dr. GRPO advantages r_i - mean(r): no division by the standard deviation. */
    advantages: z.array(z.number()),
    /** Completion token ids per completion; null when the backend cannot give them. */
    token_ids: z.array(z.array(z.number().int())).nullable(),
    /** log π(token) per completion token under the sampling policy; null when unavailable. */
    logprobs: z.array(z.array(z.number())).nullable(),
    /** Token ids of the rendered prompt (an addition to docs/method.md §3.3); null when unavailable. */
    prompt_token_ids: z.array(z.number().int()).nullable().optional(),
    /** Per completion, the policy version that sampled it (an addition to docs/method.md §3.3); null where unknown. */
    policy_versions: z.array(PolicyVersionSchema.nullable()).optional(),
    meta: z.record(z.string(), z.unknown()).optional(),
  })
  .refine(
    (g) => g.rewards.length === g.completions.length && g.advantages.length === g.completions.length,
    "rewards and advantages align with completions",
  )
  .refine(
    (g) => g.token_ids === null || g.token_ids.length === g.completions.length,
    "token_ids align with completions",
  )
  .refine(
    (g) => g.policy_versions === undefined || g.policy_versions.length === g.completions.length,
    "policy_versions align with completions",
  );

export type ScoredGroup = z.infer<typeof ScoredGroupSchema>;
