import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { and, eq } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { trainerLock, type TrainerCommand, type TrainerLockRow } from "../db/schema.ts";
import { SpiceError } from "../errors.ts";

/**
 * One trainer per data dir, whatever the process: `spice train` (foreground or daemon), `spice serve --train`,
 * `POST /v1/trainer/start` and `spice experiment` all take this lock before they write a run. It is one row
 * in the state database, taken in an IMMEDIATE transaction (two starters cannot both win), and it names
 * its holder: pid, host, boot id and the process's start time.
 *
 * A holder is alive when, on this machine and boot, its pid runs and that process started when the row
 * says (a pid reused by a new process has another start time); on another machine sharing the data dir,
 * while its heartbeat is younger than LEASE_MS. A dead holder's lock is simply taken over. Every commit
 * of an iteration checks the lock's token in its own transaction, so even a holder that lost its lease
 * (stalled past it on another machine) can never write into a run someone else now drives.
 */

const LOCK_NAME = "trainer";
/** How often the holder refreshes its heartbeat and picks up commands from other processes. */
export const HEARTBEAT_MS = 1000;
/** A holder on another machine is presumed dead when its heartbeat is older than this. */
export const LEASE_MS = 120_000;

/** Who holds the trainer lock of a data dir, as status routes and commands report it. */
export interface TrainerHolder {
  pid: number;
  host: string;
  run_id: string | null;
  since: string;
  heartbeat_at: string;
  /** A control request another process left for the holder, not yet picked up. */
  command: TrainerCommand | null;
  /** True when the holder is the process answering. */
  this_process: boolean;
}

export class TrainerBusyError extends SpiceError {
  constructor(
    message: string,
    readonly holder: TrainerHolder | null = null,
  ) {
    super("trainer_busy", message, undefined, holder ? { holder } : undefined);
  }
}

/** The lock was taken over (the holder was presumed dead): this process must not write to the run any more. */
export class TrainerLockLost extends SpiceError {
  constructor() {
    super("trainer_busy", "the trainer lock was taken over by another process; this trainer stopped without writing");
  }
}

interface Identity {
  pid: number;
  host: string;
  bootId: string | null;
  startTime: string | null;
}

const readText = (path: string): string | null => {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return null;
  }
};

/**
 * Field 22 of /proc/<pid>/stat: the process's start time in clock ticks since boot. The command name
 * (field 2) may hold spaces and parentheses, so fields are counted after its last ")". Null where
 * there is no /proc (macOS) or no such process.
 */
export function processStartTime(pid: number | "self"): string | null {
  const stat = readText(`/proc/${pid}/stat`);
  if (!stat) return null;
  const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return rest[22 - 3] ?? null;
}

let self: Identity | undefined;
function identity(): Identity {
  self ??= {
    pid: process.pid,
    host: hostname(),
    bootId: readText("/proc/sys/kernel/random/boot_id")?.trim() || null,
    startTime: processStartTime("self"),
  };
  return self;
}

function pidRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Whether the row's holder still runs (see the module comment). */
export function holderAlive(row: TrainerLockRow, now = Date.now()): boolean {
  const me = identity();
  const fresh = now - row.heartbeatAt.getTime() < LEASE_MS;
  if (row.host !== me.host) return fresh;
  // Same host name, another boot: every process of that boot is gone.
  if (row.bootId && me.bootId && row.bootId !== me.bootId) return false;
  if (!pidRuns(row.pid)) return false;
  if (row.startTime) {
    const current = processStartTime(row.pid);
    if (current !== null) return current === row.startTime;
  }
  // No /proc to tell a reused pid from the holder: fall back to the heartbeat.
  return fresh;
}

function toHolder(row: TrainerLockRow): TrainerHolder {
  const me = identity();
  return {
    pid: row.pid,
    host: row.host,
    run_id: row.runId,
    since: row.acquiredAt.toISOString(),
    heartbeat_at: row.heartbeatAt.toISOString(),
    command: row.command ?? null,
    this_process: row.pid === me.pid && row.host === me.host && row.startTime === me.startTime,
  };
}

const readRow = (db: Db) => db.select().from(trainerLock).where(eq(trainerLock.name, LOCK_NAME)).get();

/** The live holder of the data dir's trainer lock, or null (none, or a dead one). */
export function currentHolder(db: Db): TrainerHolder | null {
  const row = readRow(db);
  return row && holderAlive(row) ? toHolder(row) : null;
}

export function describeHolder(h: TrainerHolder): string {
  return `pid ${h.pid} on ${h.host}${h.run_id ? `, run ${h.run_id}` : ""}, since ${h.since}`;
}

/** A held lock. `heartbeat()` must run every HEARTBEAT_MS; `release()` once, when the trainer is done. */
export interface TrainerLock {
  readonly token: string;
  setRun(runId: string): void;
  /** Refreshes the lease; returns a command another process left (cleared), or throws TrainerLockLost. */
  heartbeat(): TrainerCommand | null;
  /** Throws TrainerLockLost unless this lock is still held: call it inside the commit's transaction. */
  assertHeld(tx: Pick<Db, "select">): void;
  release(): void;
}

/** Take the data dir's trainer lock, or throw TrainerBusyError naming the live holder. */
export function acquireTrainerLock(db: Db, runId: string | null = null): TrainerLock {
  const me = identity();
  const token = crypto.randomUUID();
  db.transaction(
    (tx) => {
      const row = tx.select().from(trainerLock).where(eq(trainerLock.name, LOCK_NAME)).get();
      if (row && holderAlive(row)) {
        const h = toHolder(row);
        throw new TrainerBusyError(
          `a trainer is already running on this data dir (${describeHolder(h)}); stop it first (spice train stop, or POST /v1/trainer/stop)`,
          h,
        );
      }
      const now = new Date();
      const values = {
        name: LOCK_NAME,
        token,
        pid: me.pid,
        host: me.host,
        bootId: me.bootId,
        startTime: me.startTime,
        runId,
        acquiredAt: now,
        heartbeatAt: now,
        command: null,
      };
      // A dead holder's row is replaced whole.
      tx.insert(trainerLock).values(values).onConflictDoUpdate({ target: trainerLock.name, set: values }).run();
    },
    { behavior: "immediate" },
  );
  const mine = and(eq(trainerLock.name, LOCK_NAME), eq(trainerLock.token, token));
  let released = false;
  return {
    token,
    setRun(id) {
      db.update(trainerLock).set({ runId: id }).where(mine).run();
    },
    heartbeat() {
      const row = db
        .update(trainerLock)
        .set({ heartbeatAt: new Date() })
        .where(mine)
        .returning({ command: trainerLock.command })
        .get();
      if (!row) throw new TrainerLockLost();
      if (row.command) db.update(trainerLock).set({ command: null }).where(mine).run();
      return row.command ?? null;
    },
    assertHeld(tx) {
      const row = tx.select({ token: trainerLock.token }).from(trainerLock).where(mine).get();
      if (!row) throw new TrainerLockLost();
    },
    release() {
      if (released) return;
      released = true;
      db.delete(trainerLock).where(mine).run();
    },
  };
}

/**
 * Leave a command for the live holder of the lock (another process); it acts on it with its next
 * heartbeat. Returns the holder it was left for, or null when no trainer holds the lock.
 */
export function requestCommand(db: Db, command: TrainerCommand): TrainerHolder | null {
  return db.transaction(
    (tx) => {
      const row = tx.select().from(trainerLock).where(eq(trainerLock.name, LOCK_NAME)).get();
      if (!row || !holderAlive(row)) return null;
      tx.update(trainerLock).set({ command }).where(eq(trainerLock.token, row.token)).run();
      return toHolder({ ...row, command });
    },
    { behavior: "immediate" },
  );
}
