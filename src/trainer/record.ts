import type { SegmentRecord } from "../selfplay/record.ts";

/** One committed iteration as the trainer writes it: the self-play output plus the learner's step and state. */
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
  return Object.fromEntries(
    Object.entries(m).filter((e): e is [string, number] => typeof e[1] === "number" && Number.isFinite(e[1])),
  );
}
