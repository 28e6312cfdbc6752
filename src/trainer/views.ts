import { and, asc, count, desc, eq, gte, inArray, lte, sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { iterations, rollouts, runs, segmentsUsed, tasks, type Run } from "../db/schema.ts";
import type { TrainerConfig } from "./config.ts";

/**
 * Read-side views of the trainer's tables for the dashboard, `spice runs` and `spice train status`:
 * nothing here writes.
 */

/**
 * How a run learns, as the dashboard shows it: the embedded learner in process, `rollout-only` (scored
 * groups written for an external trainer), or `external` (an external trainer driving `spice gym serve`).
 */
export const RUN_LEARNERS = ["embedded", "rollout-only", "external"] as const;
export type RunLearner = (typeof RUN_LEARNERS)[number];

export function runLearner(run: Pick<Run, "config" | "kind">): RunLearner {
  if (run.kind === "external") return "external";
  return (run.config as { learner?: unknown } | null)?.learner === "rollout-only" ? "rollout-only" : "embedded";
}

export type RunSummary = Run & { learner: RunLearner; iterations_committed: number; iterations: number | null };

/** Every run, oldest first, with its kind and how many iterations it committed. */
export function listRunSummaries(db: Db): RunSummary[] {
  const counts = new Map(
    db
      .select({ runId: iterations.runId, n: count() })
      .from(iterations)
      .groupBy(iterations.runId)
      .all()
      .map((r) => [r.runId, r.n]),
  );
  return db
    .select()
    .from(runs)
    .orderBy(asc(runs.createdAt))
    .all()
    .map((run) => ({
      ...run,
      learner: runLearner(run),
      iterations_committed: counts.get(run.id) ?? 0,
      iterations: (run.config as Partial<TrainerConfig> | null)?.iterations ?? null,
    }));
}

/** Counts of p̂ = k/K over the last `window` committed iterations (index k), from the iterations' stored histograms. */
export function recentPassRateHistogram(
  db: Db,
  runId: string,
  window: number,
): { from: number; to: number; counts: number[] } {
  const rows = db
    .select({ iteration: iterations.iteration, metrics: iterations.metrics })
    .from(iterations)
    .where(eq(iterations.runId, runId))
    .orderBy(desc(iterations.iteration))
    .limit(window)
    .all();
  const counts: number[] = [];
  for (const r of rows) {
    const h = (r.metrics as { pass_rate_histogram?: unknown }).pass_rate_histogram;
    if (!Array.isArray(h)) continue;
    h.forEach((n, k) => {
      counts[k] = (counts[k] ?? 0) + (typeof n === "number" ? n : 0);
    });
  }
  return { from: rows.at(-1)?.iteration ?? 0, to: rows[0]?.iteration ?? 0, counts: Array.from(counts, (n) => n ?? 0) };
}

export interface TaskFilter {
  limit: number;
  valid?: boolean;
  pMin?: number;
  pMax?: number;
  iteration?: number;
}

export interface TaskView {
  id: number;
  iteration: number;
  slot: number;
  sample: number;
  doc_id: string | null;
  valid: boolean;
  reason: string | null;
  task_type: string | null;
  answer_type: string | null;
  question: string | null;
  options: Record<string, string> | null;
  gold: string | null;
  pass_rate: number | null;
  reward: number;
  advantage: number;
  raw: string;
  rollouts: Array<{
    sample: number;
    extracted: string | null;
    correct: boolean;
    reward: number;
    advantage: number;
    text: string;
  }>;
}

/** The newest challenger outputs of a run (newest iteration first), with their rollouts, filtered. */
export function recentTasks(db: Db, runId: string, f: TaskFilter): TaskView[] {
  const conds = [eq(tasks.runId, runId)];
  if (f.valid !== undefined) conds.push(eq(tasks.valid, f.valid));
  if (f.pMin !== undefined) conds.push(gte(tasks.passRate, f.pMin));
  if (f.pMax !== undefined) conds.push(lte(tasks.passRate, f.pMax));
  if (f.iteration !== undefined) conds.push(eq(tasks.iteration, f.iteration));
  const rows = db
    .select({ task: tasks, docId: segmentsUsed.docId })
    .from(tasks)
    .leftJoin(
      segmentsUsed,
      and(
        eq(segmentsUsed.runId, tasks.runId),
        eq(segmentsUsed.iteration, tasks.iteration),
        eq(segmentsUsed.slot, tasks.slot),
      ),
    )
    .where(and(...conds))
    .orderBy(desc(tasks.iteration), asc(tasks.slot), asc(tasks.sample))
    .limit(f.limit)
    .all();
  const ids = rows.map((r) => r.task.id);
  const byTask = new Map<number, TaskView["rollouts"]>();
  if (ids.length) {
    for (const r of db
      .select()
      .from(rollouts)
      .where(inArray(rollouts.taskId, ids))
      .orderBy(asc(rollouts.taskId), asc(rollouts.sample))
      .all()) {
      const list = byTask.get(r.taskId) ?? [];
      list.push({
        sample: r.sample,
        extracted: r.extracted,
        correct: r.correct,
        reward: r.reward,
        advantage: r.advantage,
        text: r.text,
      });
      byTask.set(r.taskId, list);
    }
  }
  return rows.map(({ task: t, docId }) => {
    const p = (t.parsed ?? {}) as { question?: string; answer?: string; options?: Record<string, string> };
    return {
      id: t.id,
      iteration: t.iteration,
      slot: t.slot,
      sample: t.sample,
      doc_id: docId ?? null,
      valid: t.valid,
      reason: t.reason,
      task_type: t.taskType,
      answer_type: t.answerType,
      question: p.question ?? null,
      options: p.options ?? null,
      gold: p.answer ?? null,
      pass_rate: t.passRate,
      reward: t.reward,
      advantage: t.advantage,
      raw: t.raw,
      rollouts: byTask.get(t.id) ?? [],
    };
  });
}

/** Iterations committed by a run (a cheap count for progress lines). */
export function committedIterations(db: Db, runId: string): number {
  return db.select({ n: sql<number>`count(*)` }).from(iterations).where(eq(iterations.runId, runId)).get()?.n ?? 0;
}
