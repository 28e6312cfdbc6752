import type { Db } from "../db/client.ts";
import type { Run } from "../db/schema.ts";
import { BadInput, SpiceError } from "../errors.ts";
import { parseTrainerConfig, TrainerConfigSchema, type TrainerConfig } from "./config.ts";
import { getRun, lastIteration, latestOpenRun } from "./persist.ts";

/** How a start treats the newest unfinished run (docs/trainer.md "Resuming"). */
export interface StartOptions {
  /** Start a new run even when an unfinished one exists (`--new-run`, `"new_run": true`). */
  newRun?: boolean;
  /** Continue the newest unfinished run with its stored configuration, whatever was given (`--resume`, `"resume": true`). */
  resume?: boolean;
  /** Continue this run (with its stored configuration). */
  resumeRun?: string;
}

/** What a start will do: continue `run` with its stored configuration, or create a run with `config`. */
export type StartPlan = { run: Run; config: TrainerConfig } | { run: null; config: TrainerConfig };

export class TrainerStateError extends SpiceError {
  constructor(message: string) {
    super("trainer_state", message);
  }
}

export interface ConfigDifference {
  key: string;
  run: unknown;
  given: unknown;
}

/** A start whose configuration differs from the newest unfinished run's: refused, never resumed silently. */
export class TrainerConfigConflict extends SpiceError {
  constructor(
    readonly runId: string,
    readonly differences: ConfigDifference[],
    committed: number,
    iterations: number | null,
  ) {
    const shown = differences.map((d) => `${d.key} ${JSON.stringify(d.run)} → ${JSON.stringify(d.given)}`).join(", ");
    super(
      "trainer_config_conflict",
      `the unfinished run ${runId} (iteration ${committed}/${iterations ?? "?"}) was started with another configuration (${shown}). ` +
        'Continue it with its stored configuration: --resume (HTTP "resume": true); or start afresh: --new-run (HTTP "new_run": true)',
      undefined,
      { run_id: runId, differing_keys: differences.map((d) => d.key), differences },
    );
  }
}

/** A stored configuration as the current schema reads it (keys added since get their defaults). */
function normalised(stored: unknown): Record<string, unknown> {
  const r = TrainerConfigSchema.safeParse(stored);
  return r.success ? r.data : ((stored ?? {}) as Record<string, unknown>);
}

/** The top-level keys whose values differ between a run's stored configuration and a given one, sorted. */
export function configDifferences(stored: unknown, given: TrainerConfig): ConfigDifference[] {
  const a = normalised(stored);
  const b = given as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  return keys
    .filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]))
    .map((k) => ({ key: k, run: a[k] ?? null, given: b[k] ?? null }));
}

/**
 * Decide what a start does. `config` null means none was given: the newest unfinished run is resumed
 * as it was, else a run starts with the defaults. A given configuration resumes that run only when it
 * is the run's own; otherwise the start is refused naming the differing keys and the two ways on.
 */
export function planStart(db: Db, config: TrainerConfig | null, opts: StartOptions = {}): StartPlan {
  if (opts.newRun && (opts.resume || opts.resumeRun)) throw new BadInput("new_run and resume exclude each other");
  if (opts.resumeRun) {
    const wanted = getRun(db, opts.resumeRun);
    if (!wanted || wanted.status === "finished" || wanted.status === "failed") {
      throw new TrainerStateError(`run ${opts.resumeRun} cannot be resumed (${wanted?.status ?? "no such run"})`);
    }
    if (wanted.kind !== "embedded") {
      throw new TrainerStateError(`run ${wanted.id} is an ${wanted.kind} run: \`spice gym serve\` records it`);
    }
    return { run: wanted, config: wanted.config as TrainerConfig };
  }
  const fresh = () => ({ run: null, config: config ?? parseTrainerConfig({}) });
  if (opts.newRun) return fresh();
  const open = latestOpenRun(db);
  if (!open) {
    if (opts.resume) throw new TrainerStateError("there is no unfinished run to resume");
    return fresh();
  }
  const stored = open.config as TrainerConfig;
  if (config && !opts.resume) {
    const differences = configDifferences(stored, config);
    if (differences.length) {
      throw new TrainerConfigConflict(
        open.id,
        differences,
        lastIteration(db, open.id)?.iteration ?? 0,
        stored.iterations ?? null,
      );
    }
  }
  return { run: open, config: stored };
}
