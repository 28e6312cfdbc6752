import type { WorldOptions } from "../world/generate.ts";
import type { TrainerConfigInput } from "../trainer/config.ts";

/**
 * Experiment presets: the toy world, the warm start and the self-play budget. `ci` exercises every
 * stage in seconds (its numbers mean nothing); `default` is the CPU-scale reproduction whose report
 * is committed under docs/experiments/default/.
 */
export interface ExperimentPreset {
  name: string;
  world: WorldOptions;
  /** Share of documents held out for evaluation (never ingested, never trained on). */
  evalFraction: number;
  /** Held-out items evaluated (the first N of the eval set, for a bounded eval cost). */
  evalItems: number;
  evalK: number;
  evalMaxTokens: number;
  /** Evaluate every N iterations (and at the start and the end). */
  evalEvery: number;
  sft: { steps: number; batchSize: number; lr: number; maxLength: number };
  /** The trainer configuration every named configuration starts from. */
  trainer: TrainerConfigInput;
  seeds: number[];
}

export const PRESETS: Record<string, ExperimentPreset> = {
  ci: {
    name: "ci",
    world: { seed: 11, documents: 24 },
    evalFraction: 0.25,
    evalItems: 6,
    evalK: 1,
    evalMaxTokens: 24,
    evalEvery: 1,
    sft: { steps: 2, batchSize: 4, lr: 3e-3, maxLength: 256 },
    trainer: { iterations: 2, batch_docs: 1, challenger_samples: 2, reasoner_rollouts: 2, max_attempts: 2, max_new_tokens: 24, learning_rate: 1e-3, learner: "embedded", checkpoint_every: 1000 },
    seeds: [1],
  },
  default: {
    name: "default",
    world: { seed: 2026, documents: 600 },
    evalFraction: 0.2,
    evalItems: 120,
    evalK: 4,
    evalMaxTokens: 96,
    evalEvery: 5,
    sft: { steps: 1500, batchSize: 16, lr: 3e-3, maxLength: 384 },
    trainer: { iterations: 20, batch_docs: 4, challenger_samples: 4, reasoner_rollouts: 4, max_attempts: 8, max_new_tokens: 96, learning_rate: 3e-4, learner: "embedded", checkpoint_every: 1000 },
    seeds: [1, 2, 3],
  },
};
