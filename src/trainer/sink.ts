import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, statSync, truncateSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import type { UpdateStats } from "../learner/types.ts";
import type { ScoredGroup } from "../spice/scored-group.ts";

/**
 * Where an iteration's scored groups go: the embedded learner, or a JSON Lines file for an
 * external trainer. `state` is what the iteration row commits, so a restart can put the sink
 * back exactly where the last committed iteration left it (no lost, no duplicated groups).
 */
export interface LearnerSink {
  readonly kind: "embedded" | "rollout-only";
  apply(
    iteration: number,
    groups: ScoredGroup[],
  ): Promise<{ step: number | null; state: string | null; stats: Partial<UpdateStats> }>;
  /** Return to the state committed with the last iteration (`null`: before the first one). */
  restore(state: string | null): Promise<void>;
  /** Keep a durable checkpoint of the current state; returns its path (rollout-only: none). */
  checkpoint(iteration: number): Promise<string | null>;
  close(): Promise<void>;
}

/** Rollout-only mode: append each iteration's groups to a JSON Lines file, fsynced before commit. */
export class RolloutFileSink implements LearnerSink {
  readonly kind = "rollout-only" as const;
  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
  }

  async apply(_iteration: number, groups: ScoredGroup[]) {
    const fd = openSync(this.path, "a");
    try {
      if (groups.length) writeSync(fd, `${groups.map((g) => JSON.stringify(g)).join("\n")}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    // The committed state is the file length: anything past it on restart belongs to an iteration that never committed.
    return {
      step: null,
      state: String(statSync(this.path).size),
      stats: { trajectories: groups.reduce((n, g) => n + g.completions.length, 0) },
    };
  }

  async restore(state: string | null) {
    const size = state === null ? 0 : Number(state);
    if (!existsSync(this.path)) return;
    if (statSync(this.path).size > size) truncateSync(this.path, size);
  }

  async checkpoint() {
    return null;
  }

  async close() {}
}
