import { z } from "zod";
import { POLICY_ENDPOINTS } from "../policy/types.ts";
import { PolicyUrlsSchema } from "../policy/urls.ts";
import { REWARD_FUNCTIONS } from "../spice/rewards.ts";
import { TASK_TYPES, TaskTypeSchema } from "../spice/task-types.ts";

/**
 * A fixed challenger behind OpenAI-compatible servers, with its own model name, endpoint and key
 * (docs/openai.md#per-role-policies). The key itself never enters the configuration (which is stored
 * with the run): `api_key_env` names the environment variable that holds it.
 */
export const RemotePolicySchema = z
  .object({
    url: z
      .union([
        PolicyUrlsSchema,
        z
          .array(z.string())
          .min(1)
          .transform((l) => l.join(","))
          .pipe(PolicyUrlsSchema),
      ])
      .describe("a base URL, several comma-separated, or a list: replicas of one model"),
    model: z.string().min(1).optional().describe("the served model's name (default: the only one listed)"),
    endpoint: z.enum(POLICY_ENDPOINTS).optional().describe("completions (default) | chat"),
    api_key_env: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be an environment variable name")
      .optional()
      .describe("the environment variable holding the server's key"),
  })
  .strict();

export type RemotePolicy = z.infer<typeof RemotePolicySchema>;

/**
 * The trainer configuration (docs/method.md §3.5): one JSON object, the same for `spice train --config F`
 * and `POST /v1/trainer/start`. The keys listed there are the contract; the rest are additions with
 * defaults. Defaults are sized for the project's own tiny model on a 2-core CPU; the paper's
 * values for real models are in PAPER_PRESET.
 */
const TRAINER_CONFIG_SHAPE = {
  iterations: z.number().int().min(1).max(1_000_000).default(20).describe("self-play iterations to run"),
  seed: z
    .number()
    .int()
    .min(0)
    .max(2 ** 31 - 1)
    .default(1)
    .describe("seed for corpus sampling and generation; a run repeats exactly"),
  batch_docs: z.number().int().min(1).max(4096).default(2).describe("B: documents sampled per iteration"),
  challenger_samples: z
    .number()
    .int()
    .min(1)
    .max(64)
    .default(4)
    .describe("G: challenger outputs per document (one round)"),
  reasoner_rollouts: z.number().int().min(1).max(64).default(4).describe("K: reasoner rollouts per valid task"),
  max_attempts: z
    .number()
    .int()
    .min(1)
    .max(100_000)
    .default(8)
    .describe("challenger samples drawn per document before it is skipped (paper: 1024)"),
  task_types: z
    .array(TaskTypeSchema)
    .min(1)
    .default([...TASK_TYPES])
    .describe("task types the challenger may choose"),
  reward: z
    .enum(REWARD_FUNCTIONS)
    .default("variance")
    .describe("challenger reward: variance (SPICE) | threshold | one_minus_p | rzero"),
  use_corpus: z
    .boolean()
    .default(true)
    .describe("false: the challenger writes tasks with no document (the paper's no-corpus ablation)"),
  challenger_policy: z
    .union([z.string().min(1), RemotePolicySchema])
    .nullable()
    .default(null)
    .describe(
      "null = self-play; a model folder, an OpenAI-compatible URL, or {url, model?, endpoint?, api_key_env?} = a fixed challenger",
    ),
  temperature: z.number().min(0).max(5).default(1.0).describe("sampling temperature for both roles"),
  top_p: z.number().gt(0).max(1).default(1.0).describe("nucleus sampling for both roles"),
  max_new_tokens: z.number().int().min(1).max(32_768).default(96).describe("generation limit per completion"),
  learner: z
    .enum(["embedded", "rollout-only"])
    .default("embedded")
    .describe("embedded = jax-js Dr. GRPO updates in process; rollout-only = write scored groups as JSON Lines"),
  learning_rate: z
    .number()
    .positive()
    .max(1)
    .default(5e-5)
    .describe("learner step size (the oracle sweep's best for the built models; paper: 1e-6 for 4B models)"),
  learner_minibatch: z
    .number()
    .int()
    .min(1)
    .max(4096)
    .default(8)
    .describe("embedded learner: trajectories per AdamW step (an update with more takes several steps)"),
  learner_epochs: z
    .number()
    .int()
    .min(1)
    .max(64)
    .default(1)
    .describe("embedded learner: passes over each iteration's trajectories"),
  clip_eps: z
    .number()
    .gt(0)
    .max(10)
    .default(0.2)
    .describe("embedded learner: PPO ratio clip against the behaviour log-probs (acts once a batch is reused)"),
  lr_warmup_steps: z
    .number()
    .int()
    .min(0)
    .max(100_000)
    .default(0)
    .describe(
      "embedded learner: AdamW steps over which the step size rises linearly to learning_rate (0: constant, as in the paper)",
    ),
  positive_advantages_only: z
    .boolean()
    .default(false)
    .describe(
      "beyond the paper: the embedded learner trains only on trajectories with a positive advantage (a diagnostic: rejection-sampling fine-tuning on the group's better rollouts)",
    ),
  task_guard: z
    .boolean()
    .default(false)
    .describe(
      "beyond the paper: reject tasks with a short question or their numeric gold in the question, and cap p̂ ∈ {0,1} at ρ beside invalid siblings",
    ),
  oracle_tasks: z
    .string()
    .min(1)
    .nullable()
    .default(null)
    .describe(
      "baseline: JSON Lines of gold tasks {doc_id, question, answer, answer_type, options?}; the drawn document's gold tasks replace the challenger",
    ),
  checkpoint_every: z.number().int().min(1).default(10).describe("keep a checkpoint every N iterations"),
  keep_checkpoints: z.number().int().min(1).default(3).describe("how many kept checkpoints to retain"),
  rollout_path: z
    .string()
    .min(1)
    .nullable()
    .default(null)
    .describe(
      "rollout-only: JSON Lines file for scored groups, under <data>/rollouts/ (default <data>/runs/<run>/groups.jsonl)",
    ),
};

/** Unknown keys are refused, each named (a typo must not silently fall back to a default). */
export const TrainerConfigSchema = z.strictObject(TRAINER_CONFIG_SHAPE, {
  error: (i) =>
    i.code === "unrecognized_keys"
      ? `unknown field (expected only: ${Object.keys(TRAINER_CONFIG_SHAPE).join(", ")})`
      : undefined,
});

export type TrainerConfig = z.infer<typeof TrainerConfigSchema>;
export type TrainerConfigInput = z.input<typeof TrainerConfigSchema>;

/** The paper's settings for 4B–8B models (docs/method.md §3.5, the "paper" column). */
export const PAPER_PRESET: TrainerConfigInput = {
  iterations: 640,
  seed: 1,
  batch_docs: 8,
  challenger_samples: 8,
  reasoner_rollouts: 8,
  max_attempts: 1024,
  task_types: [...TASK_TYPES],
  reward: "variance",
  use_corpus: true,
  challenger_policy: null,
  temperature: 1.0,
  max_new_tokens: 512,
  learner: "embedded",
  learning_rate: 1e-6,
  checkpoint_every: 10,
};

export class TrainerConfigError extends Error {
  override name = "TrainerConfigError";
}

/** Validate a parsed JSON object; the error names the first bad field by its JSON path. */
export function parseTrainerConfig(raw: unknown): TrainerConfig {
  const r = TrainerConfigSchema.safeParse(raw);
  if (r.success) return r.data;
  const msgs = r.error.issues.flatMap((i) =>
    i.code === "unrecognized_keys"
      ? i.keys.map((k) => `${[...i.path, k].join(".")}: ${i.message}`)
      : [`${i.path.length ? i.path.join(".") : "(config)"}: ${i.message}`],
  );
  throw new TrainerConfigError(`invalid trainer config: ${msgs.join("; ")}`);
}

/** Read and validate a config file; unreadable or non-JSON files get their own clear message. */
export async function readTrainerConfig(path: string): Promise<TrainerConfig> {
  const file = Bun.file(path);
  if (!(await file.exists())) throw new TrainerConfigError(`config file not found: ${path}`);
  let raw: unknown;
  try {
    raw = JSON.parse(await file.text());
  } catch (err) {
    throw new TrainerConfigError(`config file ${path} is not valid JSON: ${(err as Error).message}`);
  }
  return parseTrainerConfig(raw);
}
