import { TrainerStateSchema, type TrainerState } from "../db/run-states.ts";
import type { AppContext } from "../context.ts";
import type { TrainerCommand } from "../db/schema.ts";
import { Gauge } from "prom-client";
import { exportRunGauges, registered } from "../metrics.ts";
import type { TrainerConfig } from "./config.ts";
import { createRunFactory } from "./factory.ts";
import { currentHolder, HEARTBEAT_MS, requestCommand, type TrainerHolder } from "./lock.ts";
import { getRun, lastIteration } from "./persist.ts";
import { TrainerStateError } from "./plan.ts";
import { Trainer, type TrainerStatus } from "./runner.ts";

/** The process's one trainer, shared by the HTTP control routes, `serve --train` and `spice train`. */
export function getTrainer(ctx: AppContext): Promise<Trainer> {
  return ctx.lazy("trainer", async () => {
    const trainer = new Trainer(ctx, createRunFactory(ctx));
    ctx.onClose(() => trainer.stop());
    return trainer;
  });
}

/** The status of a run that trains in another process, read from the database and the lock. */
function remoteStatus(ctx: AppContext, holder: TrainerHolder): TrainerStatus {
  const run = holder.run_id ? getRun(ctx.db, holder.run_id) : undefined;
  const last = run ? lastIteration(ctx.db, run.id) : undefined;
  const state: TrainerState = holder.command === "stop" ? "stopping" : run?.status === "paused" ? "paused" : "running";
  return {
    state,
    run_id: holder.run_id,
    iteration: last?.iteration ?? 0,
    iterations: (run?.config as TrainerConfig | undefined)?.iterations ?? null,
    resumed: false,
    last_metrics: (last?.metrics as Record<string, unknown> | undefined) ?? null,
    error: null,
    holder,
  };
}

/**
 * What trains on this data dir, whichever process runs it: this process's trainer while it is active,
 * else the lock's live holder in another process (its run's state, last committed iteration and
 * metrics from the database), else this process's last run or `idle`.
 */
export async function dataDirStatus(ctx: AppContext): Promise<TrainerStatus> {
  const local = await getTrainer(ctx);
  if (local.running) return local.status();
  const holder = currentHolder(ctx.db);
  if (holder && !holder.this_process) return remoteStatus(ctx, holder);
  return local.status();
}

const reached = (action: TrainerCommand, s: TrainerStatus) =>
  action === "pause" ? s.state === "paused" : action === "resume" ? s.state === "running" : s.holder === null;

/**
 * pause / resume / stop the trainer of this data dir: this process's directly; one in another process
 * through the lock (it acts on its next heartbeat), waiting until its state shows it, at most `waitMs`.
 */
export async function controlTrainer(ctx: AppContext, action: TrainerCommand, waitMs = 15_000): Promise<TrainerStatus> {
  const local = await getTrainer(ctx);
  const holder = local.running ? null : currentHolder(ctx.db);
  if (!holder || holder.this_process) {
    if (action === "pause") return local.pause();
    if (action === "resume") return local.resume();
    return local.stop();
  }
  const before = remoteStatus(ctx, holder);
  if (action === "pause" && before.state !== "running")
    throw new TrainerStateError(`cannot pause: trainer is ${before.state}`);
  if (action === "resume" && before.state !== "paused")
    throw new TrainerStateError(`cannot resume: trainer is ${before.state}`);
  if (!requestCommand(ctx.db, action)) return dataDirStatus(ctx);
  const deadline = Date.now() + waitMs;
  for (;;) {
    const now = await dataDirStatus(ctx);
    if (reached(action, now) || Date.now() >= deadline) return now;
    await Bun.sleep(Math.min(100, HEARTBEAT_MS / 4));
  }
}

/** At scrape time: the gauges of a run that trains in another process, and the trainer's state. */
export async function refreshTrainerGauges(ctx: AppContext): Promise<void> {
  const status = await dataDirStatus(ctx);
  const stateGauge = registered(
    ctx.registry,
    "spice_trainer_state",
    () =>
      new Gauge({
        name: "spice_trainer_state",
        help: "1 for the state of the trainer on this data dir (in this process or another), 0 for the others",
        labelNames: ["state"] as const,
        registers: [ctx.registry],
      }),
  );
  for (const s of TrainerStateSchema.options) stateGauge.set({ state: s }, s === status.state ? 1 : 0);
  if (status.holder && !status.holder.this_process && status.run_id && status.last_metrics)
    exportRunGauges(ctx.registry, status.run_id, status.iteration, status.last_metrics);
}
