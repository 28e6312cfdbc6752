// The learner's side of the trainer contract (scored groups, docs/method.md §3.3): it takes the scored groups
// the method defines (src/spice/scored-group.ts) and returns its update statistics.
import type { ScoredGroup } from "../spice/scored-group.ts";

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
