import type { WorldOptions } from "../world/generate.ts";
import type { TrainerConfigInput } from "../trainer/config.ts";

/**
 * Experiment presets: the toy world, the warm start and the self-play budget. `ci` exercises every
 * stage in seconds (its numbers mean nothing); `default` is the CPU-scale reproduction whose report
 * is committed under docs/experiments/default/.
 */
/** One stage of the warm start: SFT on one slice of the warm-start pairs, from the previous stage's weights. */
export interface SftStage {
  data: "reasoner" | "challenger" | "all";
  steps: number;
  batchSize: number;
  lr: number;
  maxLength: number;
}

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
  /**
   * The warm start, in stages (measured in docs/eval.md): the reasoner's format first; training on
   * all pairs leaves the challenger's long task JSON invalid, so it gets a stage of its own, and a
   * short stage on all pairs restores the reasoner it erodes.
   */
  sft: SftStage[];
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
    sft: [
      { data: "reasoner", steps: 2, batchSize: 4, lr: 3e-3, maxLength: 256 },
      { data: "all", steps: 1, batchSize: 2, lr: 2e-3, maxLength: 640 },
    ],
    trainer: {
      iterations: 2,
      batch_docs: 1,
      challenger_samples: 2,
      reasoner_rollouts: 2,
      max_attempts: 2,
      max_new_tokens: 24,
      learning_rate: 1e-3,
      learner: "embedded",
      checkpoint_every: 1000,
    },
    seeds: [1],
  },
  default: {
    name: "default",
    // The world of `spice world generate --seed 1 --documents 2000` (same split): docs/eval.md's warm start.
    world: { seed: 1, documents: 2000 },
    evalFraction: 0.2,
    evalItems: 100,
    evalK: 4,
    evalMaxTokens: 96,
    evalEvery: 5,
    sft: [
      { data: "reasoner", steps: 450, batchSize: 16, lr: 3e-3, maxLength: 256 },
      { data: "all", steps: 410, batchSize: 16, lr: 2e-3, maxLength: 640 },
      { data: "challenger", steps: 370, batchSize: 16, lr: 2e-3, maxLength: 640 },
      { data: "all", steps: 70, batchSize: 16, lr: 2e-3, maxLength: 640 },
    ],
    trainer: {
      iterations: 20,
      batch_docs: 2,
      challenger_samples: 4,
      reasoner_rollouts: 4,
      max_attempts: 8,
      max_new_tokens: 160,
      learning_rate: 2e-4,
      learner: "embedded",
      checkpoint_every: 1000,
    },
    seeds: [1, 2, 3],
  },
};

/** One long SPICE run from the same warm start, for the "within 60 minutes" budget, on one seed. */
PRESETS.long = {
  ...PRESETS.default!,
  name: "long",
  evalEvery: 25,
  trainer: { ...PRESETS.default!.trainer, iterations: 400 },
  seeds: [1],
};
