/**
 * What one self-play iteration produced, in memory, before it is committed. Nothing of an
 * iteration reaches the database until the whole record is written in one transaction.
 */
export interface RolloutRecord {
  sample: number;
  text: string;
  extracted: string | null;
  correct: boolean;
  reward: number;
  advantage: number;
}

export interface TaskRecord {
  sample: number;
  raw: string;
  parsed: unknown;
  valid: boolean;
  reason: string | null;
  taskType: string | null;
  answerType: string | null;
  passRate: number | null;
  reward: number;
  advantage: number;
  rollouts: RolloutRecord[];
}

export interface SegmentRecord {
  slot: number;
  docId: string | null;
  attempts: number;
  skipped: boolean;
  tasks: TaskRecord[];
}

export interface IterationRecord {
  runId: string;
  iteration: number;
  startedAt: Date;
  finishedAt: Date;
  samplerState: unknown;
  learnerStep: number | null;
  learnerState: string | null;
  /** Scalars go to the metrics table too; structured values (histograms, reason counts) only here. */
  metrics: Record<string, unknown>;
  segments: SegmentRecord[];
}

/** The finite numeric metrics of an iteration: what goes to the metrics table, the log and Prometheus. */
export function scalarMetrics(m: Record<string, unknown>): Record<string, number> {
  return Object.fromEntries(Object.entries(m).filter((e): e is [string, number] => typeof e[1] === "number" && Number.isFinite(e[1])));
}
