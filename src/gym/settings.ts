import { z } from "zod";
import { REWARD_FUNCTIONS } from "../spice/rewards.ts";
import { TASK_TYPES, TaskTypeSchema } from "../spice/task-types.ts";

/**
 * Settings of `spice gym serve` (docs/gym.md#settings): one JSON object, from `--config F`, the `spice` block of
 * the server's NeMo-Gym config entry, and flags, in that order of precedence (flags win). Stored as the external
 * run's configuration.
 */
export const GymSettingsSchema = z
  .object({
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 31 - 1)
      .default(1)
      .describe("seed of the reasoner samples and the pool draws"),
    reasoner_samples: z
      .number()
      .int()
      .min(1)
      .max(64)
      .default(8)
      .describe("K: reasoner samples per valid challenger task, for its pass rate p̂"),
    reward: z.enum(REWARD_FUNCTIONS).default("variance").describe("challenger reward of p̂ (docs/method.md §1)"),
    task_types: z
      .array(TaskTypeSchema)
      .min(1)
      .default([...TASK_TYPES])
      .describe("task types of challenger rows"),
    temperature: z.number().min(0).max(5).default(1.0).describe("temperature of the K reasoner samples"),
    top_p: z.number().gt(0).max(1).default(1.0),
    max_new_tokens: z.number().int().min(1).max(131_072).default(512).describe("generation limit of a reasoner sample"),
    window: z
      .number()
      .int()
      .min(1)
      .default(64)
      .describe("verdicts per recorded iteration (the external run's unit of metrics and policy version)"),
    window_seconds: z.number().positive().default(60).describe("an open iteration with verdicts closes after this"),
    reset_wait_ms: z
      .number()
      .int()
      .min(0)
      .max(60_000)
      .default(2000)
      .describe("how long /reset waits for a first pool task before answering 503"),
    pool_recent: z.number().int().min(1).default(4096).describe("/reset draws among the newest N pool tasks"),
    recency_half_life: z
      .number()
      .positive()
      .default(4)
      .describe("a pool task's weight halves every N iterations since it was written"),
  })
  .strict();

export type GymSettings = z.infer<typeof GymSettingsSchema>;
export type GymSettingsInput = z.input<typeof GymSettingsSchema>;

export class GymSettingsError extends Error {
  override name = "GymSettingsError";
}

export function parseGymSettings(raw: unknown, where = "gym settings"): GymSettings {
  const r = GymSettingsSchema.safeParse(raw);
  if (r.success) return r.data;
  const first = r.error.issues[0]!;
  const field = first.path.length
    ? first.path.join(".")
    : first.code === "unrecognized_keys"
      ? (first as { keys: string[] }).keys.join(", ")
      : "(settings)";
  throw new GymSettingsError(`invalid ${where}: ${field}: ${first.message}`);
}
