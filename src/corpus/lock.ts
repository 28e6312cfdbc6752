import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { SpiceError, StorageReadOnly } from "../errors.ts";

export class LockBusyError extends SpiceError {
  constructor(
    readonly holder: LockHolder,
    path: string,
  ) {
    super(
      "ingest_busy",
      `another corpus ingest is running (pid ${holder.pid}, since ${holder.since}); lock file ${path}`,
    );
  }
}

export interface LockHolder {
  pid: number;
  since: string;
  token: string;
}

export interface Lock {
  release(): void;
}

let counter = 0;

/**
 * A cross-process exclusive lock: a file created with O_EXCL holding the owner's pid. A lock left
 * by a dead process (an ingest killed midway) is taken over; the same process can't take it twice.
 */
export function tryLock(path: string): Lock {
  try {
    return takeLock(path);
  } catch (e) {
    // A data dir that refuses the lock file refuses the ingest: say which file and why (503 / exit 2).
    throw StorageReadOnly.from(e, path) ?? e;
  }
}

function takeLock(path: string): Lock {
  mkdirSync(dirname(path), { recursive: true });
  const holder: LockHolder = {
    pid: process.pid,
    since: new Date().toISOString(),
    token: `${process.pid}-${Date.now()}-${counter++}`,
  };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, "wx");
      writeSync(fd, JSON.stringify(holder));
      closeSync(fd);
      return {
        release() {
          if (readHolder(path)?.token === holder.token) rmSync(path, { force: true });
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      const current = readHolder(path);
      if (current && isAlive(current.pid)) throw new LockBusyError(current, path);
      // Stale (dead owner or unreadable half-written file): remove and retry once.
      rmSync(path, { force: true });
    }
  }
  throw new LockBusyError(readHolder(path) ?? { pid: -1, since: "?", token: "?" }, path);
}

/** Waits for the lock up to timeoutMs, calling onWait once when it first has to wait. */
export async function acquireLock(path: string, timeoutMs: number, onWait?: (e: LockBusyError) => void): Promise<Lock> {
  const deadline = Date.now() + timeoutMs;
  let told = false;
  for (;;) {
    try {
      return tryLock(path);
    } catch (e) {
      if (!(e instanceof LockBusyError) || Date.now() >= deadline) throw e;
      if (!told) onWait?.(e);
      told = true;
      await Bun.sleep(Math.min(200, Math.max(1, deadline - Date.now())));
    }
  }
}

function readHolder(path: string): LockHolder | null {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as LockHolder;
  } catch {
    return null;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}
