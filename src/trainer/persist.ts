import { and, asc, desc, eq, inArray, notInArray } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import type { RunStatus } from "../db/run-states.ts";
import {
  checkpoints,
  iterations,
  metrics,
  rollouts,
  runs,
  segmentsUsed,
  tasks,
  type Run,
  type RunKind,
} from "../db/schema.ts";
import type { TrainerConfig } from "./config.ts";
import { scalarMetrics, type IterationRecord } from "./record.ts";

/** Runs that can be resumed: anything not finished or failed. */
const OPEN_STATES: readonly RunStatus[] = ["running", "paused", "stopped"];

export function createRun(db: Db, id: string, config: TrainerConfig): Run {
  return db.insert(runs).values({ id, seed: config.seed, config, status: "running" }).returning().get();
}

/** Record what a run is tied to: the corpus manifest's content hash and the starting model's hash. */
export function tieRun(db: Db, id: string, tied: { corpusHash: string | null; modelHash: string | null }): void {
  db.update(runs).set({ corpusHash: tied.corpusHash, modelHash: tied.modelHash }).where(eq(runs.id, id)).run();
}

/**
 * A new run supersedes unfinished ones of its kind: they are marked stopped, so only one run of a kind is
 * "running" (an external run served by `spice gym serve` and an embedded one may coexist).
 */
export function stopOpenRuns(db: Db, kind: RunKind = "embedded"): void {
  db.update(runs)
    .set({ status: "stopped", updatedAt: new Date() })
    .where(and(inArray(runs.status, ["running", "paused"]), eq(runs.kind, kind)))
    .run();
}

/** The newest unfinished run of a kind: what a restart resumes. */
export function latestOpenRun(db: Db, kind: RunKind = "embedded"): Run | undefined {
  return db
    .select()
    .from(runs)
    .where(and(inArray(runs.status, [...OPEN_STATES]), eq(runs.kind, kind)))
    .orderBy(desc(runs.createdAt))
    .limit(1)
    .get();
}

export function getRun(db: Db, id: string): Run | undefined {
  return db.select().from(runs).where(eq(runs.id, id)).get();
}

export function listRuns(db: Db): Run[] {
  return db.select().from(runs).orderBy(asc(runs.createdAt)).all();
}

export function setRunStatus(db: Db, id: string, status: Run["status"], note?: string): void {
  db.update(runs)
    .set({ status, updatedAt: new Date(), ...(note !== undefined ? { note } : {}) })
    .where(eq(runs.id, id))
    .run();
}

/** The last committed iteration of a run: where a restart continues from. */
export function lastIteration(db: Db, runId: string) {
  return db
    .select()
    .from(iterations)
    .where(eq(iterations.runId, runId))
    .orderBy(desc(iterations.iteration))
    .limit(1)
    .get();
}

/**
 * Commit everything an iteration produced in one transaction. The iteration row goes first and
 * is the commit marker; its primary key makes a second commit of the same iteration fail rather
 * than duplicate rows.
 */
export function commitIteration(db: Db, rec: IterationRecord & { guard?: (tx: Pick<Db, "select">) => void }): void {
  db.transaction(
    (tx) => {
      // E.g. the trainer lock's check: a trainer that lost its lock writes nothing.
      rec.guard?.(tx);
      tx.insert(iterations)
        .values({
          runId: rec.runId,
          iteration: rec.iteration,
          startedAt: rec.startedAt,
          finishedAt: rec.finishedAt,
          samplerState: rec.samplerState ?? null,
          learnerStep: rec.learnerStep,
          learnerState: rec.learnerState,
          metrics: rec.metrics,
        })
        .run();
      for (const seg of rec.segments) {
        tx.insert(segmentsUsed)
          .values({
            runId: rec.runId,
            iteration: rec.iteration,
            slot: seg.slot,
            docId: seg.docId,
            attempts: seg.attempts,
            skipped: seg.skipped,
          })
          .run();
        for (const t of seg.tasks) {
          const { id } = tx
            .insert(tasks)
            .values({
              runId: rec.runId,
              iteration: rec.iteration,
              slot: seg.slot,
              sample: t.sample,
              raw: t.raw,
              parsed: t.parsed ?? null,
              valid: t.valid,
              reason: t.reason,
              taskType: t.taskType,
              answerType: t.answerType,
              passRate: t.passRate,
              reward: t.reward,
              advantage: t.advantage,
              policyVersion: t.policyVersion,
            })
            .returning({ id: tasks.id })
            .get();
          if (t.rollouts.length)
            tx.insert(rollouts)
              .values(t.rollouts.map((r) => ({ ...r, taskId: id })))
              .run();
        }
      }
      const scalars = Object.entries(scalarMetrics(rec.metrics));
      if (scalars.length) {
        tx.insert(metrics)
          .values(scalars.map(([name, value]) => ({ runId: rec.runId, iteration: rec.iteration, name, value })))
          .run();
      }
      tx.update(runs).set({ updatedAt: rec.finishedAt }).where(eq(runs.id, rec.runId)).run();
      // IMMEDIATE: the write lock is taken at BEGIN, where SQLite's busy timeout waits for another process's
      // writer; a deferred transaction that reads first (the guard) and then writes would fail at once instead.
    },
    { behavior: "immediate" },
  );
}

/** One scalar metric of a committed iteration (e.g. the commit's own duration). */
export function recordMetric(db: Db, runId: string, iteration: number, name: string, value: number): void {
  db.insert(metrics)
    .values({ runId, iteration, name, value })
    .onConflictDoUpdate({ target: [metrics.runId, metrics.iteration, metrics.name], set: { value } })
    .run();
}

/** Metrics of a run as one row per iteration: `{iteration, <name>: value, …}`. */
export function runMetrics(db: Db, runId: string, names?: string[]): Array<Record<string, number>> {
  const rows = db
    .select()
    .from(metrics)
    .where(names?.length ? and(eq(metrics.runId, runId), inArray(metrics.name, names)) : eq(metrics.runId, runId))
    .orderBy(asc(metrics.iteration))
    .all();
  const byIter = new Map<number, Record<string, number>>();
  for (const r of rows) {
    let row = byIter.get(r.iteration);
    if (!row) {
      row = { iteration: r.iteration };
      byIter.set(r.iteration, row);
    }
    row[r.name] = r.value;
  }
  return [...byIter.values()];
}

export function recordCheckpoint(db: Db, runId: string, iteration: number, step: number, path: string): void {
  db.insert(checkpoints).values({ runId, iteration, step, path, createdAt: new Date() }).onConflictDoNothing().run();
}

/** Forget all but the newest `keep` checkpoints; returns the paths dropped so the caller deletes them. */
export function pruneCheckpoints(db: Db, runId: string, keep: number): string[] {
  const all = db
    .select()
    .from(checkpoints)
    .where(eq(checkpoints.runId, runId))
    .orderBy(desc(checkpoints.iteration))
    .all();
  const drop = all.slice(keep);
  if (drop.length) {
    db.delete(checkpoints)
      .where(
        and(
          eq(checkpoints.runId, runId),
          notInArray(
            checkpoints.iteration,
            all.slice(0, keep).map((c) => c.iteration),
          ),
        ),
      )
      .run();
  }
  return drop.map((c) => c.path);
}
