import { rmSync } from "node:fs";
import type { AppContext } from "../context.ts";
import { SpiceError } from "../errors.ts";
import type { TrainerState } from "../db/run-states.ts";
import type { IterationOutput } from "../selfplay/record.ts";
import type { TrainerConfig } from "./config.ts";
import {
  commitIteration,
  createRun,
  getRun,
  recordMetric,
  tieRun,
  lastIteration,
  latestOpenRun,
  stopOpenRuns,
  pruneCheckpoints,
  recordCheckpoint,
  setRunStatus,
} from "./persist.ts";
import { scalarMetrics } from "./record.ts";
import { exportRunGauges } from "../metrics.ts";
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
    };
  }

  get running(): boolean {
    return this.starting || this.state === "running" || this.state === "paused" || this.state === "stopping";
  }

  /**
   * Start a run: resume the newest unfinished run unless `newRun`, else create one. Returns once
   * the run is set up; the loop goes on in the background (`done()` waits for it).
   */
  async start(config: TrainerConfig, opts: { newRun?: boolean; resumeRun?: string } = {}): Promise<TrainerStatus> {
    if (this.running) throw new TrainerBusyError(`a run is already ${this.state} (${this.runId})`);
    const { db, logger } = this.ctx;
    const wanted = opts.resumeRun ? getRun(db, opts.resumeRun) : undefined;
    if (opts.resumeRun && (!wanted || wanted.status === "finished" || wanted.status === "failed")) {
      throw new TrainerStateError(`run ${opts.resumeRun} cannot be resumed (${wanted?.status ?? "no such run"})`);
    }
    if (wanted && wanted.kind !== "embedded") {
      throw new TrainerStateError(`run ${wanted.id} is an ${wanted.kind} run: \`spice gym serve\` records it`);
    }
    const open = opts.newRun ? undefined : (wanted ?? latestOpenRun(db));
    let resume: { samplerState: unknown; learnerState: string | null } | null = null;
    if (open) {
      const last = lastIteration(db, open.id);
      this.runId = open.id;
      this.config = open.config as TrainerConfig;
      this.iteration = last?.iteration ?? 0;
      this.resumed = true;
      resume = { samplerState: last?.samplerState ?? null, learnerState: last?.learnerState ?? null };
      if (JSON.stringify(open.config) !== JSON.stringify(config)) {
        logger.warn(
          { run: open.id },
          "resuming an unfinished run with its stored configuration (use --new-run to start afresh)",
        );
      }
    } else {
      this.runId = crypto.randomUUID();
      this.config = config;
      this.iteration = 0;
      this.resumed = false;
    }
    this.error = null;
    this.lastMetrics = null;
    // Nothing is written until the run's resources exist: a setup that cannot run leaves no run behind.
    this.starting = true;
    let resources: RunResources;
    try {
      resources = await this.factory({ runId: this.runId, config: this.config!, resume });
    } catch (err) {
      this.state = "failed";
      this.error = String((err as Error)?.message ?? err);
      throw err;
    } finally {
      this.starting = false;
    }
    if (this.resumed) {
      setRunStatus(db, this.runId, "running");
    } else {
      stopOpenRuns(db);
      createRun(db, this.runId, this.config!);
      if (resources.tied) tieRun(db, this.runId, resources.tied);
    }
    this.state = "running";
    logger.info(
      { run: this.runId, resumed: this.resumed, from: this.iteration, iterations: this.config!.iterations },
      "trainer started",
    );
    this.loop = this.runLoop(resources);
    return this.status();
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
        });
        // The commit cannot contain its own duration: it is recorded just after it.
        metrics["seconds.database"] = (performance.now() - t1) / 1000;
        recordMetric(db, runId, iteration, "seconds.database", metrics["seconds.database"] as number);
        this.committing = false;
        this.iteration = iteration;
        this.lastMetrics = metrics;
        this.exportGauges(runId, metrics);
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
      }
      const finished = this.iteration >= config.iterations;
      this.state = finished ? "finished" : "stopped";
      setRunStatus(db, runId, finished ? "finished" : "stopped");
    } catch (err) {
      this.state = "failed";
      this.error = String((err as Error)?.message ?? err);
      logger.error({ run: runId, err }, "trainer failed");
      setRunStatus(db, runId, "failed", this.error);
    } finally {
      this.committing = false;
      await res.engine.close().catch(() => {});
      await res.sink.close().catch(() => {});
    }
  }

  private exportGauges(runId: string, metrics: Record<string, unknown>) {
    exportRunGauges(this.ctx.registry, runId, this.iteration, metrics);
  }
}

export class TrainerBusyError extends SpiceError {
  constructor(message: string) {
    super("trainer_busy", message);
  }
}
export class TrainerStateError extends SpiceError {
  constructor(message: string) {
    super("trainer_state", message);
  }
}
