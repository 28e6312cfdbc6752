import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  truncateSync,
  writeFileSync,
  writeSync,
} from "node:fs";
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

/**
 * Rollout-only mode: append each iteration's groups to a JSON Lines file, fsynced before commit. With `runId`,
 * the file may be shared by runs (a `rollout_path` several configurations name): restoring cuts back only this
 * run's uncommitted lines and keeps every other run's.
 */
export class RolloutFileSink implements LearnerSink {
  readonly kind = "rollout-only" as const;
  constructor(
    readonly path: string,
    readonly runId?: string,
  ) {
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
    if (!existsSync(this.path) || statSync(this.path).size <= size) return;
    // Past the committed length: this run's uncommitted groups, and (in a shared file) other runs' groups,
    // which stay. The common case, a file of this run alone, is a plain truncation.
    const tail = readFileSync(this.path).subarray(size).toString("utf8");
    const keep = this.runId === undefined ? [] : tail.split("\n").filter((line) => line && !this.ownLine(line));
    if (keep.length === 0) {
      truncateSync(this.path, size);
      return;
    }
    const head = readFileSync(this.path).subarray(0, size);
    const tmp = `${this.path}.restore-${process.pid}`;
    writeFileSync(tmp, Buffer.concat([head, Buffer.from(`${keep.join("\n")}\n`)]));
    const fd = openSync(tmp, "r");
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, this.path);
  }

  private ownLine(line: string): boolean {
    try {
      return (JSON.parse(line) as { run?: unknown }).run === this.runId;
    } catch {
      return true; // a torn last line of an interrupted append is ours to cut
    }
  }

  async checkpoint() {
    return null;
  }

  async close() {}
}
