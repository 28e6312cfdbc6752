import type { Policy } from "../policy/types.ts";
import type { RewardFunction } from "../spice/rewards.ts";
import type { ChallengerTask } from "../spice/challenger.ts";
import type { TaskType } from "../spice/task-types.ts";

/** The settings of one iteration, as the trainer's configuration gives them (docs/method.md §3.5). */
export interface SelfPlaySettings {
  batchDocs: number;
  challengerSamples: number;
  reasonerRollouts: number;
  maxAttempts: number;
  taskTypes: readonly TaskType[];
  reward: RewardFunction;
  useCorpus: boolean;
  temperature: number;
  topP: number;
  maxNewTokens: number;
  /** The collapse guard (src/spice/guard.ts): beyond the paper, off unless the trainer's `task_guard` is set. */
  taskGuard?: boolean;
}

/** A document as the challenger reads it; its id is recorded with the segment. */
export interface Document {
  id: string;
  text: string;
}

/** The corpus as the trainer sees it: the next B segments of its sampler, and the sampler's state. */
export interface DocumentSource {
  next(n: number): Promise<Document[]>;
  state(): unknown;
}

export interface SelfPlayDeps {
  /** The reasoner, and the challenger in self-play. */
  policy: Policy;
  /** A fixed challenger (the paper's strong-challenger baseline); defaults to `policy`. */
  challenger?: Policy;
  documents: DocumentSource | null;
  /**
   * A gold-task oracle in place of the challenger (the `oracle_challenger` baseline): the world's
   * own tasks for the drawn document, `count` of them, picked by `seed`. Never trained on.
   */
  oracle?: TaskOracle;
}

export type TaskOracle = (doc: Document, count: number, seed: number) => ChallengerTask[];
