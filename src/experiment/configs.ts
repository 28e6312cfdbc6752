import type { TrainerConfigInput } from "../trainer/config.ts";

/**
 * The named configurations of `spice experiment`: SPICE and the switches the paper ablates
 * (docs/method.md §1). Each is a set of overrides on the preset's trainer configuration.
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
};

/** Overrides for a named configuration; `warmModel` is the frozen challenger of `fixed_challenger`. */
export function configOverrides(name: ExperimentConfigName, warmModel: string): TrainerConfigInput {
  switch (name) {
    case "spice":
      return { reward: "variance" };
    case "one_minus_p":
      return { reward: "one_minus_p" };
    case "threshold":
      return { reward: "threshold" };
    case "rzero":
      return { reward: "rzero" };
    case "fixed_challenger":
      return { reward: "variance", challenger_policy: warmModel };
    case "no_corpus":
      return { reward: "variance", use_corpus: false };
    case "mcq_only":
      return { reward: "variance", task_types: ["mcq"] };
    case "free_form_only":
      return { reward: "variance", task_types: ["free_form"] };
  }
}
