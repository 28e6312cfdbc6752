import { and, desc, eq, sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import {
  gymAssignments,
  gymPool,
  iterations,
  metrics,
  rollouts,
  runs,
  segmentsUsed,
  tasks,
  type Run,
} from "../db/schema.ts";
import type { ChallengerTask } from "../spice/challenger.ts";
import { latestOpenRun, setRunStatus, stopOpenRuns } from "../trainer/persist.ts";
import { scalarMetrics } from "../trainer/record.ts";
import type { GymSettings } from "./settings.ts";

/**
 * The external run's records (docs/gym.md#what-is-recorded), in the embedded trainer's tables: a run of kind
 * `external`; its verdicts grouped into iterations ("windows") of `window` verdicts, whose rows open with the
 * window and whose metrics are written as each event commits; challenger outputs in `tasks` (with their K
 * reasoner samples in `rollouts`), the valid ones in `gym_pool`; reasoner rows' verdicts in `rollouts` of the pool
 * task they answered; the groups' task assignments in `gym_assignments`. Every event is one transaction, so a
 * killed server loses no verdict and no pool task.
 */

/** Running counts of the open window; its metrics are derived from them. */
export interface WindowCounts {
  challenger_samples: number;
  challenger_valid: number;
  challenger_reward_sum: number;
  p_hat_sum: number;
  reasoner_rollouts: number;
  reasoner_correct: number;
  reasoner_reward_sum: number;
  fixed_rollouts: number;
  fixed_correct: number;
  resets: number;
  reset_unavailable: number;
}

const zeroCounts = (): WindowCounts => ({
  challenger_samples: 0,
  challenger_valid: 0,
  challenger_reward_sum: 0,
  p_hat_sum: 0,
  reasoner_rollouts: 0,
  reasoner_correct: 0,
  reasoner_reward_sum: 0,
  fixed_rollouts: 0,
  fixed_correct: 0,
  resets: 0,
  reset_unavailable: 0,
});

const verdicts = (c: WindowCounts) => c.challenger_samples + c.reasoner_rollouts + c.fixed_rollouts;
const ratio = (a: number, b: number) => (b > 0 ? a / b : 0);

/** A window's metrics, named as the embedded trainer names the same quantities where they overlap. */
export function windowMetrics(c: WindowCounts, poolSize: number, state: "open" | "closed"): Record<string, unknown> {
  return {
    "challenger.samples": c.challenger_samples,
    "challenger.valid_rate": ratio(c.challenger_valid, c.challenger_samples),
    "challenger.mean_reward": ratio(c.challenger_reward_sum, c.challenger_samples),
    "tasks.valid": c.challenger_valid,
    "pass_rate.mean": ratio(c.p_hat_sum, c.challenger_valid),
    "reasoner.rollouts": c.reasoner_rollouts,
    "reasoner.accuracy": ratio(c.reasoner_correct, c.reasoner_rollouts),
    "reasoner.mean_reward": ratio(c.reasoner_reward_sum, c.reasoner_rollouts),
    "verify.rollouts": c.fixed_rollouts,
    "verify.accuracy": ratio(c.fixed_correct, c.fixed_rollouts),
    "reset.count": c.resets,
    "reset.unavailable": c.reset_unavailable,
    "pool.size": poolSize,
    window_state: state,
    window_counts: c,
  };
}

export interface PoolTask {
  taskId: number;
  question: string;
  options?: ChallengerTask["options"];
  answer: string;
  answerType: NonNullable<ChallengerTask["answerType"]>;
  passRate: number;
  policyVersion: number;
  docId: string | null;
}

export interface Assignment {
  key: string;
  taskId: number;
  reset: number[];
  stepped: number[];
}

export interface ChallengerRecord {
  groupKey: string;
  docId: string | null;
  raw: string;
  task: ChallengerTask;
  passRate: number | null;
  reward: number;
  /** The K reasoner samples that measured p̂ (empty for an invalid output). */
  samples: { text: string; extracted: string | null; correct: boolean; reward: number; advantage: number }[];
}

export class GymStore {
  readonly run: Run;
  readonly resumed: boolean;
  private iteration = 0;
  private counts: WindowCounts = zeroCounts();
  private openedAt = 0;
  private slots = new Map<string, { slot: number; next: number }>();
  private poolCount = 0;
  /** Called with each closed window's scalar metrics (Prometheus gauges). */
  onWindowClosed: ((iteration: number, metrics: Record<string, unknown>) => void) | null = null;
  /**
   * The per-rollout events (`/reset`, `/step`) run on prepared statements: drizzle's query building and
   * transaction wrapper cost about ten times the statements themselves, and these answer every rollout.
   */
  private readonly sql: ReturnType<typeof prepare>;

  constructor(
    private readonly db: Db,
    private readonly settings: GymSettings,
    opts: { newRun?: boolean } = {},
  ) {
    const open = opts.newRun ? undefined : latestOpenRun(db, "external");
    if (open) {
      this.run = open;
      this.resumed = true;
      setRunStatus(db, open.id, "running");
    } else {
      stopOpenRuns(db, "external");
      this.run = db
        .insert(runs)
        .values({ id: crypto.randomUUID(), kind: "external", seed: settings.seed, config: settings, status: "running" })
        .returning()
        .get();
      this.resumed = false;
    }
    this.sql = prepare(db);
    this.poolCount = db
      .select({ n: sql<number>`count(*)` })
      .from(gymPool)
      .where(eq(gymPool.runId, this.run.id))
      .get()!.n;
    // A window left open by a killed server is closed from its committed counts; the next one opens on demand.
    const last = db
      .select()
      .from(iterations)
      .where(eq(iterations.runId, this.run.id))
      .orderBy(desc(iterations.iteration))
      .limit(1)
      .get();
    this.iteration = last?.iteration ?? 0;
    const lastMetrics = (last?.metrics ?? {}) as Record<string, unknown>;
    if (last && lastMetrics.window_state === "open") {
      this.counts = { ...zeroCounts(), ...(lastMetrics.window_counts as Partial<WindowCounts>) };
      this.openedAt = last.startedAt.getTime();
      this.closeWindow();
    }
  }

  get runId(): string {
    return this.run.id;
  }

  /** The policy version new pool tasks are stamped with: the current (or next) window. */
  get version(): number {
    return this.openedAt ? this.iteration : this.iteration + 1;
  }

  get poolSize(): number {
    return this.poolCount;
  }

  /** The open window, opened first when none is (its row must exist before the rows that reference it). */
  private window(): number {
    if (this.openedAt) return this.iteration;
    this.iteration += 1;
    this.openedAt = Date.now();
    this.counts = zeroCounts();
    this.slots.clear();
    this.db
      .insert(iterations)
      .values({
        runId: this.run.id,
        iteration: this.iteration,
        startedAt: new Date(this.openedAt),
        finishedAt: new Date(this.openedAt),
        samplerState: null,
        learnerStep: null,
        learnerState: null,
        metrics: windowMetrics(this.counts, this.poolCount, "open"),
      })
      .run();
    return this.iteration;
  }

  /** Inside an event's transaction: the window's counts, as metrics of its row. */
  private touch(): void {
    this.sql.touch.run(
      Date.now(),
      JSON.stringify(windowMetrics(this.counts, this.poolCount, "open")),
      this.run.id,
      this.iteration,
    );
  }

  /** After an event: close the window when it is full. */
  private maybeClose(): void {
    if (verdicts(this.counts) >= this.settings.window) this.closeWindow();
  }

  /** Closes a window that has verdicts and is older than window_seconds (called on a timer). */
  closeIfStale(now = Date.now()): void {
    if (this.openedAt && verdicts(this.counts) > 0 && now - this.openedAt >= this.settings.window_seconds * 1000)
      this.closeWindow();
  }

  /** Writes the window's final metrics (and the scalar metrics rows) and closes it. */
  closeWindow(): void {
    if (!this.openedAt) return;
    const m = windowMetrics(this.counts, this.poolCount, "closed");
    const iteration = this.iteration;
    this.db.transaction((tx) => {
      tx.update(iterations)
        .set({ finishedAt: new Date(), metrics: m })
        .where(and(eq(iterations.runId, this.run.id), eq(iterations.iteration, iteration)))
        .run();
      const scalars = Object.entries(scalarMetrics(m));
      if (scalars.length)
        tx.insert(metrics)
          .values(scalars.map(([name, value]) => ({ runId: this.run.id, iteration, name, value })))
          .onConflictDoNothing()
          .run();
      tx.update(runs).set({ updatedAt: new Date() }).where(eq(runs.id, this.run.id)).run();
    });
    this.openedAt = 0;
    this.onWindowClosed?.(iteration, m);
  }

  /** Marks the run stopped (the server is shutting down), after closing the window. */
  stop(): void {
    this.closeWindow();
    setRunStatus(this.db, this.run.id, "stopped");
  }

  /** One challenger output: its task row, the K samples, the pool entry when valid. Returns the pool task. */
  recordChallenger(rec: ChallengerRecord): PoolTask | null {
    const iteration = this.window();
    let pooled: PoolTask | null = null;
    this.db.transaction((tx) => {
      let slot = this.slots.get(rec.groupKey);
      if (!slot) {
        slot = { slot: this.slots.size, next: 0 };
        this.slots.set(rec.groupKey, slot);
        tx.insert(segmentsUsed)
          .values({ runId: this.run.id, iteration, slot: slot.slot, docId: rec.docId, attempts: 0, skipped: false })
          .run();
      }
      const sample = slot.next++;
      tx.update(segmentsUsed)
        .set({ attempts: sql`${segmentsUsed.attempts} + 1` })
        .where(
          and(
            eq(segmentsUsed.runId, this.run.id),
            eq(segmentsUsed.iteration, iteration),
            eq(segmentsUsed.slot, slot.slot),
          ),
        )
        .run();
      const t = rec.task;
      const { id } = tx
        .insert(tasks)
        .values({
          runId: this.run.id,
          iteration,
          slot: slot.slot,
          sample,
          raw: rec.raw,
          parsed: t.valid ? t : null,
          valid: t.valid,
          reason: t.valid ? null : (t.error ?? "invalid"),
          taskType: t.valid ? t.taskType : null,
          answerType: t.valid ? t.answerType : null,
          passRate: rec.passRate,
          reward: rec.reward,
          // The challenger's group is the trainer's (G rollouts of one row, across calls): its advantage is not ours.
          advantage: 0,
        })
        .returning({ id: tasks.id })
        .get();
      if (rec.samples.length)
        tx.insert(rollouts)
          .values(rec.samples.map((s, j) => ({ taskId: id, sample: j, ...s })))
          .run();
      if (t.valid && rec.passRate !== null && t.answerType) {
        tx.insert(gymPool)
          .values({
            taskId: id,
            runId: this.run.id,
            docId: rec.docId,
            passRate: rec.passRate,
            policyVersion: iteration,
            createdAt: new Date(),
          })
          .run();
        this.poolCount++;
        pooled = {
          taskId: id,
          question: t.question,
          ...(t.options ? { options: t.options } : {}),
          answer: t.answer,
          answerType: t.answerType,
          passRate: rec.passRate,
          policyVersion: iteration,
          docId: rec.docId,
        };
      }
      this.counts.challenger_samples++;
      this.counts.challenger_reward_sum += rec.reward;
      if (t.valid) {
        this.counts.challenger_valid++;
        this.counts.p_hat_sum += rec.passRate ?? 0;
      }
      this.touch();
    });
    this.maybeClose();
    return pooled;
  }

  /** A reasoner row's verdict on its pool task; its sample number continues after the task's K p̂ samples. */
  recordStep(
    assignment: Assignment,
    rolloutIndex: number,
    v: { text: string; extracted: string | null; correct: boolean; reward: number },
  ): void {
    this.window();
    const q = this.sql;
    this.db.$client.transaction(() => {
      const last = q.maxSample.get(assignment.taskId) as { m: number | null } | null;
      q.insertRollout.run(assignment.taskId, (last?.m ?? -1) + 1, v.text, v.extracted, v.correct ? 1 : 0, v.reward, 0);
      if (!assignment.stepped.includes(rolloutIndex)) assignment.stepped.push(rolloutIndex);
      q.setStepped.run(JSON.stringify(assignment.stepped), this.run.id, assignment.key);
      this.counts.reasoner_rollouts++;
      this.counts.reasoner_reward_sum += v.reward;
      if (v.correct) this.counts.reasoner_correct++;
      this.touch();
    })();
    this.maybeClose();
  }

  /** A plain verifiable row's verdict: counted in the window's metrics only (there is no task to attach it to). */
  recordFixed(correct: boolean): void {
    this.window();
    this.counts.fixed_rollouts++;
    if (correct) this.counts.fixed_correct++;
    this.touch();
    this.maybeClose();
  }

  /** A `/reset`: a new or continued assignment (persisted), or a 503 counted. */
  recordReset(assignment: Assignment | null, fresh: boolean): void {
    this.window();
    const q = this.sql;
    this.db.$client.transaction(() => {
      if (assignment && fresh) {
        q.upsertAssignment.run(
          this.run.id,
          assignment.key,
          assignment.taskId,
          JSON.stringify(assignment.reset),
          JSON.stringify(assignment.stepped),
          Date.now(),
        );
        q.served.run(assignment.taskId);
      } else if (assignment) {
        q.setReset.run(JSON.stringify(assignment.reset), this.run.id, assignment.key);
      }
      if (assignment) this.counts.resets++;
      else this.counts.reset_unavailable++;
      this.touch();
    })();
  }

  /** The run's pool, oldest first (loaded once at start). */
  loadPool(): PoolTask[] {
    return loadPoolTasks(this.db, this.run.id);
  }

  loadAssignments(): Assignment[] {
    return this.db
      .select()
      .from(gymAssignments)
      .where(eq(gymAssignments.runId, this.run.id))
      .all()
      .map((a) => ({ key: a.key, taskId: a.taskId, reset: a.reset as number[], stepped: a.stepped as number[] }));
  }
}

/** The hot path's statements, on the tables of src/db/schema.ts (timestamps in ms, JSON as text). */
function prepare(db: Db) {
  const c = db.$client;
  return {
    touch: c.prepare("UPDATE iterations SET finished_at = ?, metrics = ? WHERE run_id = ? AND iteration = ?"),
    maxSample: c.prepare("SELECT max(sample) AS m FROM rollouts WHERE task_id = ?"),
    insertRollout: c.prepare(
      "INSERT INTO rollouts (task_id, sample, text, extracted, correct, reward, advantage) VALUES (?, ?, ?, ?, ?, ?, ?)",
    ),
    setStepped: c.prepare("UPDATE gym_assignments SET stepped = ? WHERE run_id = ? AND key = ?"),
    setReset: c.prepare("UPDATE gym_assignments SET reset = ? WHERE run_id = ? AND key = ?"),
    upsertAssignment: c.prepare(
      "INSERT INTO gym_assignments (run_id, key, task_id, reset, stepped, created_at) VALUES (?, ?, ?, ?, ?, ?) " +
        "ON CONFLICT (run_id, key) DO UPDATE SET task_id = excluded.task_id, reset = excluded.reset, " +
        "stepped = excluded.stepped, created_at = excluded.created_at",
    ),
    served: c.prepare("UPDATE gym_pool SET served = served + 1 WHERE task_id = ?"),
  };
}

/** A run's pool tasks, oldest first. */
export function loadPoolTasks(db: Db, runId: string): PoolTask[] {
  const rows = db
    .select({ pool: gymPool, parsed: tasks.parsed })
    .from(gymPool)
    .innerJoin(tasks, eq(tasks.id, gymPool.taskId))
    .where(eq(gymPool.runId, runId))
    .orderBy(gymPool.taskId)
    .all();
  return rows.map(({ pool, parsed }) => {
    const t = parsed as ChallengerTask;
    return {
      taskId: pool.taskId,
      question: t.question,
      ...(t.options ? { options: t.options } : {}),
      answer: t.answer,
      answerType: t.answerType!,
      passRate: pool.passRate,
      policyVersion: pool.policyVersion,
      docId: pool.docId,
    };
  });
}

/** The newest external run, if any. */
export function latestExternalRun(db: Db): Run | undefined {
  return db.select().from(runs).where(eq(runs.kind, "external")).orderBy(desc(runs.createdAt)).limit(1).get();
}
