// The learner's side of the trainer contract (scored groups, docs/method.md §3.3). Field names follow the JSON
// Lines export, so a group read from a rollout file can be fed to a learner as it is.

export type Role = "challenger" | "reasoner";

export type ScoredGroup = {
  run: string;
  iteration: number;
  role: Role;
  /** Index of the group within the iteration. */
  group: number;
  /** The rendered prompt text the completions were sampled from. */
  prompt: string;
  completions: string[];
  rewards: number[];
  /** Dr. GRPO advantages r_i - mean(r): no division by the standard deviation. */
  advantages: number[];
  /** Completion token ids per completion; null when the backend cannot give them. */
  token_ids: number[][] | null;
  /** log π(token) per completion token under the sampling policy; null when unavailable. */
  logprobs: number[][] | null;
  /** Token ids of the rendered prompt (an addition to docs/method.md §3.3); null when unavailable. */
  prompt_token_ids?: number[] | null;
  meta?: Record<string, unknown>;
};

export type UpdateStats = {
  /** Optimizer steps taken by this update (0 when every advantage was zero). */
  steps: number;
  /** Total optimizer steps so far. */
  step: number;
  loss: number;
  gradNorm: number;
  /** Completion tokens that carried a non-zero advantage. */
  tokens: number;
  /** Trajectories trained on / skipped (zero advantage, empty, or too long for the context). */
  trajectories: number;
  skipped: number;
  ms: number;
};

/** What the trainer drives: one Dr. GRPO update per iteration, and the weights to serve. */
export interface Learner {
  update(groups: ScoredGroup[]): Promise<UpdateStats>;
  /** The current weights as a complete ONNX model file (the base graph with updated initializers). */
  snapshot(): Promise<Uint8Array>;
}
