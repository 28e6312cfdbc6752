import { rmSync } from "node:fs";
import type { AppContext } from "../context.ts";
import type { TrainerCommand } from "../db/schema.ts";
import type { TrainerState } from "../db/run-states.ts";
import type { IterationOutput } from "../selfplay/record.ts";
import type { TrainerConfig } from "./config.ts";
import {
  commitIteration,
  createRun,
  recordMetric,
  tieRun,
  lastIteration,
  stopOpenRuns,
  pruneCheckpoints,
  recordCheckpoint,
  setRunStatus,
} from "./persist.ts";
import { scalarMetrics } from "./record.ts";
import { exportRunGauges } from "../metrics.ts";
import {
  acquireTrainerLock,
  currentHolder,
  HEARTBEAT_MS,
  TrainerBusyError,
  TrainerLockLost,
  type TrainerHolder,
  type TrainerLock,
} from "./lock.ts";
import { planStart, TrainerStateError, type StartOptions, type StartPlan } from "./plan.ts";
import type { LearnerSink } from "./sink.ts";

/** The self-play engine of one run: built for a run (fresh or resumed), then driven iteration by iteration. */
export interface SelfPlayEngine {
  runIteration(args: { runId: string; iteration: number; seed: number; signal: AbortSignal }): Promise<IterationOutput>;
  close(): Promise<void>;
}

export interface RunResources {
  engine: SelfPlayEngine;
  sink: LearnerSink;
  /** What the run is tied to (corpus manifest hash, starting model hash), recorded on a new run. */
  tied?: { corpusHash: string | null; modelHash: string | null };
  /** Called after each commit, e.g. to hot-swap new weights into the serving policy. */
  afterCommit?: (iteration: number) => Promise<void>;
}

/** Builds a run's engine and sink; `resume` carries the state committed with the run's last iteration. */
export type RunFactory = (args: {
  runId: string;
  config: TrainerConfig;
  resume: { samplerState: unknown; learnerState: string | null } | null;
}) => Promise<RunResources>;

export interface TrainerStatus {
  state: TrainerState;
  run_id: string | null;
  iteration: number;
  iterations: number | null;
  resumed: boolean;
  last_metrics: Record<string, unknown> | null;
  error: string | null;
  /** Who holds the data dir's trainer lock: this process while its run is active, another one, or nobody. */
  holder: TrainerHolder | null;
}

/** Per-iteration seed: a run's iterations never share a stream, and a resumed iteration gets the same one. */
export function iterationSeed(seed: number, iteration: number): number {
  let h = (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(iteration + 1, 0xc2b2ae35)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b) >>> 0;
  return (h ^ (h >>> 16)) & 0x7fffffff;
}

class Aborted extends Error {}

/**
 * The self-play daemon loop. Every iteration runs in memory and commits in one transaction; a
 * crash at any point loses at most the uncommitted iteration, which a restart redoes with the
 * same seed and sampler state. stop() rolls back the iteration in progress (nothing of it was
 * written) unless it is already committing.
 */
export class Trainer {
  private state: TrainerState = "idle";
  private runId: string | null = null;
  private config: TrainerConfig | null = null;
  private iteration = 0;
  private resumed = false;
  private lastMetrics: Record<string, unknown> | null = null;
  private error: string | null = null;
  private abort: AbortController | null = null;
  private committing = false;
  private starting = false;
  private pauseGate: { promise: Promise<void>; release: () => void } | null = null;
  private loop: Promise<void> | null = null;
  private lock: TrainerLock | null = null;
  private lockLost = false;
  private heartbeat: ReturnType<typeof setInterval> | null = null;
  private readonly listeners = new Set<(status: TrainerStatus) => void>();

  constructor(
    private readonly ctx: AppContext,
    private readonly factory: RunFactory,
  ) {}

  status(): TrainerStatus {
    return {
      state: this.state,
      run_id: this.runId,
      iteration: this.iteration,
      iterations: this.config?.iterations ?? null,
      resumed: this.resumed,
      last_metrics: this.lastMetrics,
      error: this.error,
      holder: this.lock ? currentHolder(this.ctx.db) : null,
    };
  }

  /** Call `fn` with the status after every committed iteration and when the loop ends; returns the unsubscribe. */
  onCommit(fn: (status: TrainerStatus) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private notify(): void {
    const s = this.status();
    for (const fn of this.listeners) {
      try {
        fn(s);
      } catch (err) {
        this.ctx.logger.warn({ err }, "trainer listener failed");
      }
    }
  }

  get running(): boolean {
    return this.starting || this.state === "running" || this.state === "paused" || this.state === "stopping";
  }

  /**
   * Start a run as `planStart` decides (resume the newest unfinished run, or create one; a given
   * configuration that differs from that run's is refused). Takes the data dir's trainer lock first,
   * so a trainer in any other process makes this throw TrainerBusyError naming it. Returns once the
   * run is set up; the loop goes on in the background (`done()` waits for it).
   */
  async start(config: TrainerConfig | null, opts: StartOptions = {}): Promise<TrainerStatus> {
    if (this.running) throw new TrainerBusyError(`a run is already ${this.state} (${this.runId}) in this process`);
    const { db, logger } = this.ctx;
    // A run writes every iteration: on a read-only data dir, refuse before anything starts.
    if (db.readOnly) throw db.readOnly;
    this.starting = true;
    let lock: TrainerLock | null = null;
    let resources: RunResources;
    let plan: StartPlan;
    let settingUp = false;
    try {
      lock = acquireTrainerLock(db);
      // Planned under the lock: no other trainer can change the open runs meanwhile.
      plan = planStart(db, config, opts);
      let resume: { samplerState: unknown; learnerState: string | null } | null = null;
      if (plan.run) {
        const last = lastIteration(db, plan.run.id);
        this.runId = plan.run.id;
        this.iteration = last?.iteration ?? 0;
        this.resumed = true;
        resume = { samplerState: last?.samplerState ?? null, learnerState: last?.learnerState ?? null };
      } else {
        this.runId = crypto.randomUUID();
        this.iteration = 0;
        this.resumed = false;
      }
      this.config = plan.config;
      this.error = null;
      this.lastMetrics = null;
      lock.setRun(this.runId);
      // Nothing is written until the run's resources exist: a setup that cannot run leaves no run behind.
      settingUp = true;
      resources = await this.factory({ runId: this.runId, config: this.config, resume });
    } catch (err) {
      lock?.release();
      // A refusal (busy, conflicting configuration) leaves this trainer as it was; a setup failure marks it failed.
      if (settingUp) {
        this.state = "failed";
        this.error = String((err as Error)?.message ?? err);
      }
      throw err;
    } finally {
      this.starting = false;
    }
    if (this.resumed) {
      setRunStatus(db, this.runId, "running");
    } else {
      stopOpenRuns(db);
      createRun(db, this.runId, this.config);
      if (resources.tied) tieRun(db, this.runId, resources.tied);
    }
    this.lock = lock;
    this.lockLost = false;
    this.heartbeat = setInterval(() => this.beat(), HEARTBEAT_MS);
    this.heartbeat.unref?.();
    this.state = "running";
    logger.info(
      { run: this.runId, resumed: this.resumed, from: this.iteration, iterations: this.config.iterations },
      "trainer started",
    );
    this.loop = this.runLoop(resources);
    return this.status();
  }

  /** The lock's heartbeat: keeps the lease and carries out what another process asked (pause, resume, stop). */
  private beat(): void {
    if (!this.lock) return;
    let command: TrainerCommand | null;
    try {
      command = this.lock.heartbeat();
    } catch (err) {
      if (!(err instanceof TrainerLockLost)) {
        this.ctx.logger.warn({ err }, "trainer heartbeat failed");
        return;
      }
      this.ctx.logger.error({ run: this.runId }, err.message);
      this.lockLost = true;
      void this.stop();
      return;
    }
    if (!command) return;
    this.ctx.logger.info({ run: this.runId, command }, "trainer command from another process");
    try {
      if (command === "pause" && this.state === "running") this.pause();
      else if (command === "resume" && this.state === "paused") this.resume();
      else if (command === "stop") void this.stop();
    } catch (err) {
      this.ctx.logger.warn({ err, command }, "trainer command not carried out");
    }
  }

  pause(): TrainerStatus {
    if (this.state !== "running") throw new TrainerStateError(`cannot pause: trainer is ${this.state}`);
    let release!: () => void;
    const promise = new Promise<void>((r) => (release = r));
    this.pauseGate = { promise, release };
    this.state = "paused";
    setRunStatus(this.ctx.db, this.runId!, "paused");
    return this.status();
  }

  resume(): TrainerStatus {
    if (this.state !== "paused") throw new TrainerStateError(`cannot resume: trainer is ${this.state}`);
    this.state = "running";
    setRunStatus(this.ctx.db, this.runId!, "running");
    this.pauseGate?.release();
    this.pauseGate = null;
    return this.status();
  }

  /** Stop after rolling back (or, if already committing, finishing) the current iteration. */
  async stop(): Promise<TrainerStatus> {
    if (!this.running) return this.status();
    this.state = "stopping";
    if (!this.committing) this.abort?.abort(new Aborted("stop requested"));
    this.pauseGate?.release();
    await this.loop;
    return this.status();
  }

  /** Resolves when the loop ends (finished, stopped or failed). */
  async done(): Promise<void> {
    await this.loop;
  }

  private async runLoop(res: RunResources): Promise<void> {
    const { db, logger } = this.ctx;
    const config = this.config!;
    const runId = this.runId!;
    const lock = this.lock!;
    try {
      while (this.iteration < config.iterations) {
        if (this.pauseGate) await this.pauseGate.promise;
        if (this.state === "stopping") break;
        const iteration = this.iteration + 1;
        const abort = new AbortController();
        this.abort = abort;
        const startedAt = new Date();
        let out: IterationOutput;
        try {
          out = await res.engine.runIteration({
            runId,
            iteration,
            seed: iterationSeed(config.seed, iteration),
            signal: abort.signal,
          });
        } catch (err) {
          if (abort.signal.aborted) break; // rolled back: nothing of this iteration was written
          throw err;
        }
        if (abort.signal.aborted) break;
        this.committing = true;
        const t0 = performance.now();
        const applied = await res.sink.apply(iteration, out.groups);
        const metrics: Record<string, unknown> = { ...out.metrics, "seconds.learner": (performance.now() - t0) / 1000 };
        if (applied.stats.loss !== undefined) metrics["learner.loss"] = applied.stats.loss;
        if (applied.stats.steps !== undefined) metrics["learner.steps"] = applied.stats.steps;
        if (applied.stats.gradNorm !== undefined) metrics["learner.grad_norm"] = applied.stats.gradNorm;
        const t1 = performance.now();
        commitIteration(db, {
          runId,
          iteration,
          startedAt,
          finishedAt: new Date(),
          samplerState: out.samplerState,
          learnerStep: applied.step,
          learnerState: applied.state,
          metrics,
          segments: out.segments,
          guard: (tx) => lock.assertHeld(tx),
        });
        // The commit cannot contain its own duration: it is recorded just after it.
        metrics["seconds.database"] = (performance.now() - t1) / 1000;
        recordMetric(db, runId, iteration, "seconds.database", metrics["seconds.database"] as number);
        this.committing = false;
        this.iteration = iteration;
        this.lastMetrics = metrics;
        exportRunGauges(this.ctx.registry, runId, iteration, metrics);
        if (iteration % config.checkpoint_every === 0 || iteration === config.iterations) {
          const path = await res.sink.checkpoint(iteration);
          if (path) {
            recordCheckpoint(db, runId, iteration, applied.step ?? 0, path);
            for (const old of pruneCheckpoints(db, runId, config.keep_checkpoints))
              rmSync(old, { recursive: true, force: true });
          }
        }
        await res.afterCommit?.(iteration);
        logger.info({ run: runId, iteration, ...scalarMetrics(metrics) }, "iteration committed");
        this.notify();
      }
      const finished = this.iteration >= config.iterations;
      this.state = finished ? "finished" : "stopped";
      // A trainer whose lock was taken over writes nothing more: the run belongs to the new holder.
      if (this.lockLost) this.error = new TrainerLockLost().message;
      else setRunStatus(db, runId, finished ? "finished" : "stopped");
    } catch (err) {
      if (err instanceof TrainerLockLost) {
        this.state = "stopped";
        this.error = err.message;
        logger.error({ run: runId }, err.message);
        return;
      }
      this.state = "failed";
      this.error = String((err as Error)?.message ?? err);
      logger.error({ run: runId, err }, "trainer failed");
      setRunStatus(db, runId, "failed", this.error);
    } finally {
      this.committing = false;
      await res.engine.close().catch(() => {});
      await res.sink.close().catch(() => {});
      if (this.heartbeat) clearInterval(this.heartbeat);
      this.heartbeat = null;
      lock.release();
      this.lock = null;
      this.notify();
    }
  }
}

export { TrainerBusyError, TrainerStateError };
