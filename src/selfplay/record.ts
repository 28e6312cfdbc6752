import type { PolicyVersionRecord, ScoredGroup } from "../spice/scored-group.ts";
import type { TaskType } from "../spice/task-types.ts";
import type { AnswerType } from "../verify/types.ts";

/**
 * What one self-play iteration produced, in memory, before it is committed. Nothing of an
 * iteration reaches the database until the trainer writes the whole record in one transaction.
 */

export interface RolloutRecord {
  sample: number;
  text: string;
  extracted: string | null;
  correct: boolean;
  reward: number;
  advantage: number;
  /** The weights that produced the rollout; null when the backend cannot tell. */
  policyVersion: PolicyVersionRecord | null;
}

export interface TaskRecord {
  sample: number;
  raw: string;
  parsed: unknown;
  valid: boolean;
  reason: string | null;
  taskType: TaskType | null;
  answerType: AnswerType | null;
  passRate: number | null;
  reward: number;
  advantage: number;
  /** The weights that wrote the task (its task step, else its type selection); null when unknown. */
  policyVersion: PolicyVersionRecord | null;
  rollouts: RolloutRecord[];
}

export interface SegmentRecord {
  slot: number;
  docId: string | null;
  attempts: number;
  skipped: boolean;
  tasks: TaskRecord[];
}

/** What one self-play iteration hands back before anything is committed. */
export interface IterationOutput {
  segments: SegmentRecord[];
  groups: ScoredGroup[];
  samplerState: unknown;
  metrics: Record<string, unknown>;
}
