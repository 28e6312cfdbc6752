import { Counter, type Registry } from "prom-client";
import type { Db } from "../db/client.ts";
import { registered, trainerGauge } from "../metrics.ts";
import { runMetrics } from "./persist.ts";

/**
 * Stall warnings of a run (docs/trainer.md, "Warnings"): a run can go on "successfully" while it
 * learns nothing, when the challenger writes no valid task or the learner takes no step. The
 * core (`stallReport`) is pure: the runner feeds it the committed iterations' scalars, `spice train
 * status` the stored ones.
 */

export const WARNING_CODES = ["no_valid_tasks", "no_learner_steps"] as const;
export type WarningCode = (typeof WARNING_CODES)[number];

/** Consecutive iterations without a valid task (or a learner step) that raise a warning. */
export const STALL_WINDOW = 5;

/** The metric each warning watches: an iteration stalls on it when the metric is 0. */
const WATCHED: Record<WarningCode, string> = { no_valid_tasks: "tasks.valid", no_learner_steps: "learner.steps" };

export interface TrainerWarning {
  code: WarningCode;
  /** The stalled range: the trailing iterations in which the watched metric was 0. */
  from_iteration: number;
  to_iteration: number;
  iterations: number;
  message: string;
}

export interface StallReport {
  /** Trailing iterations with the watched metric at 0 (0 when the last iteration had some, or does not record it). */
  streaks: Record<WarningCode, number>;
  /** One warning per code whose streak reached the window. */
  warnings: TrainerWarning[];
}

function message(code: WarningCode, from: number, to: number): string {
  const range = from === to ? `iteration ${from}` : `iterations ${from}–${to}`;
  return code === "no_valid_tasks"
    ? `${range} produced no valid task: every challenger output failed its format checks, so the reasoner ran on nothing and the challenger only got the invalid-output penalty (is the model able to write tasks? see docs/trainer.md#warnings)`
    : `${range} made no learner step: no group had a non-zero advantage, so the weights did not change (see docs/trainer.md#warnings)`;
}

/**
 * The stall state after the given iterations (oldest first, each with its `iteration` number and
 * scalar metrics). `window` is usually min(STALL_WINDOW, the run's iterations), so a run shorter
 * than the window that stalls throughout is still reported. An iteration without the watched
 * metric (`learner.steps` under the rollout-only learner) ends no streak and starts none.
 */
export function stallReport(history: ReadonlyArray<Readonly<Record<string, number>>>, window: number): StallReport {
  const streaks = { no_valid_tasks: 0, no_learner_steps: 0 } as Record<WarningCode, number>;
  const warnings: TrainerWarning[] = [];
  for (const code of WARNING_CODES) {
    const rows = history.filter((h) => typeof h[WATCHED[code]] === "number");
    let n = 0;
    while (n < rows.length && rows[rows.length - 1 - n]![WATCHED[code]] === 0) n++;
    streaks[code] = n;
    if (n > 0 && n >= Math.max(1, window)) {
      const from = rows[rows.length - n]!.iteration ?? 0;
      const to = rows[rows.length - 1]!.iteration ?? 0;
      warnings.push({ code, from_iteration: from, to_iteration: to, iterations: n, message: message(code, from, to) });
    }
  }
  return { streaks, warnings };
}

/** The window for a run of `iterations` iterations. */
export function stallWindow(iterations: number): number {
  return Math.max(1, Math.min(STALL_WINDOW, iterations));
}

/** A stored run's current warnings, from its committed iterations (a run trained by another process, `spice train status`). */
export function storedRunWarnings(db: Db, runId: string, iterations: number | null): TrainerWarning[] {
  return stallReport(runMetrics(db, runId, Object.values(WATCHED)), stallWindow(iterations ?? 1)).warnings;
}

/** Iterations kept for the streaks: a stall longer than this is reported from its last HISTORY iterations. */
const HISTORY = 10_000;

/**
 * A run's stall state in the runner: fed each committed iteration, it returns the warnings that
 * just started (for the log), keeps the current ones (for the status) and exports Prometheus
 * gauges of the streaks plus a counter of warnings raised.
 */
export class StallWatch {
  /** The metrics a resumed run's history is read back with. */
  static readonly metrics = Object.values(WATCHED);
  private history: Record<string, number>[];
  private readonly window: number;
  private current: TrainerWarning[] = [];

  constructor(iterations = STALL_WINDOW, history: Record<string, number>[] = []) {
    this.window = stallWindow(iterations);
    this.history = history.slice(-HISTORY);
    this.current = stallReport(this.history, this.window).warnings;
  }

  get warnings(): TrainerWarning[] {
    return this.current;
  }

  observe(
    iteration: number,
    scalars: Readonly<Record<string, number>>,
    registry?: Registry,
    runId?: string,
  ): TrainerWarning[] {
    this.history.push({ iteration, ...scalars });
    if (this.history.length > HISTORY) this.history = this.history.slice(-HISTORY);
    const before = new Set(this.current.map((w) => w.code));
    const report = stallReport(this.history, this.window);
    this.current = report.warnings;
    const raised = report.warnings.filter((w) => !before.has(w.code));
    if (registry && runId !== undefined) {
      for (const code of WARNING_CODES)
        trainerGauge(
          registry,
          `spice_trainer_stalled_iterations_${code}`,
          `trailing iterations of the run with ${code === "no_valid_tasks" ? "no valid task" : "no learner step"}`,
        ).set({ run: runId }, report.streaks[code]);
      const counter = registered(
        registry,
        "spice_trainer_warnings_total",
        () =>
          new Counter({
            name: "spice_trainer_warnings_total",
            help: `stall warnings raised (${STALL_WINDOW} iterations, or the whole run if shorter, with no valid task or no learner step)`,
            labelNames: ["run", "code"] as const,
            registers: [registry],
          }),
      );
      for (const w of raised) counter.inc({ run: runId, code: w.code });
    }
    return raised;
  }
}
