import type { TrainerConfigInput } from "../trainer/config.ts";

/**
 * The named configurations of `spice experiment`: SPICE and the switches the paper ablates
 * (docs/method.md §1), the baselines that bound the method, and the collapse guard (beyond the
 * paper). Each is a set of overrides on the preset's trainer configuration, except `sft_more`,
 * which is supervised training rather than a trainer run.
 */
export const EXPERIMENT_CONFIGS = [
  "spice",
  "one_minus_p",
  "threshold",
  "rzero",
  "fixed_challenger",
  "no_corpus",
  "mcq_only",
  "free_form_only",
  "oracle_challenger",
  "sft_more",
  "no_update",
  "spice_guard",
] as const;
export type ExperimentConfigName = (typeof EXPERIMENT_CONFIGS)[number];

export const CONFIG_DESCRIPTIONS: Record<ExperimentConfigName, string> = {
  spice: "SPICE: variance reward, co-evolving challenger, corpus, MCQ + free-form",
  one_minus_p: "Absolute-Zero-style reward 1 − p̂",
  threshold: "threshold reward (1 when 0 < p̂ < 1)",
  rzero: "R-Zero-style reward 1 − 2|p̂ − ½|",
  fixed_challenger: "the warm-start model frozen as the challenger",
  no_corpus: "no documents: the challenger writes from its own knowledge",
  mcq_only: "multiple-choice tasks only",
  free_form_only: "free-form tasks only",
  oracle_challenger:
    "baseline: the world's gold tasks of the drawn document as the challenger (a strong fixed challenger)",
  sft_more: "baseline: supervised training on gold solutions, as many sequences as the RL runs train on",
  no_update: "baseline: the same loop with no weight update (the evaluation's noise floor)",
  spice_guard: "SPICE + the collapse guard (beyond the paper: trivial-task rejection, p̂ ∈ {0,1} capped at ρ)",
};

/** Paths the overrides refer to: the frozen warm start and the world's gold training tasks. */
export interface ConfigPaths {
  warmModel: string;
  oracleTasks: string;
}

/** Overrides for a named configuration (`sft_more` has none: the experiment runs it without the trainer). */
export function configOverrides(name: ExperimentConfigName, paths: ConfigPaths): TrainerConfigInput {
  switch (name) {
    case "spice":
    case "sft_more":
      return { reward: "variance" };
    case "one_minus_p":
      return { reward: "one_minus_p" };
    case "threshold":
      return { reward: "threshold" };
    case "rzero":
      return { reward: "rzero" };
    case "fixed_challenger":
      return { reward: "variance", challenger_policy: paths.warmModel };
    case "no_corpus":
      return { reward: "variance", use_corpus: false };
    case "mcq_only":
      return { reward: "variance", task_types: ["mcq"] };
    case "free_form_only":
      return { reward: "variance", task_types: ["free_form"] };
    case "oracle_challenger":
      return { reward: "variance", oracle_tasks: paths.oracleTasks };
    case "no_update":
      // The loop runs (oracle tasks, rollouts, scores) but nothing learns: the weights stay the warm start's.
      return { reward: "variance", oracle_tasks: paths.oracleTasks, learner: "rollout-only" };
    case "spice_guard":
      return { reward: "variance", task_guard: true };
  }
}
