import { afterEach, describe, expect, test } from "bun:test";
import { hostname } from "node:os";
import { trainerLock } from "../db/schema.ts";
import { testContext } from "../../test/helpers.ts";
import {
  acquireTrainerLock,
  currentHolder,
  holderAlive,
  LEASE_MS,
  processStartTime,
  requestCommand,
  TrainerBusyError,
  TrainerLockLost,
} from "./lock.ts";

const contexts: Array<ReturnType<typeof testContext>> = [];
const children: Array<ReturnType<typeof Bun.spawn>> = [];
afterEach(async () => {
  for (const p of children.splice(0)) p.kill("SIGKILL");
  for (const c of contexts.splice(0)) await c.close();
});
function ctx() {
  const c = testContext();
  contexts.push(c);
  return c;
}

/** A real other process, as a holder would be. */
function otherProcess() {
  const p = Bun.spawn(["sleep", "60"]);
  children.push(p);
  return p;
}

const bootId = async () => (await Bun.file("/proc/sys/kernel/random/boot_id").text()).trim();

/** Write a holder row as another process would have. */
function plant(c: ReturnType<typeof ctx>, row: Partial<typeof trainerLock.$inferInsert>) {
  const now = new Date();
  c.db
    .insert(trainerLock)
    .values({
      name: "trainer",
      token: "someone-else",
      pid: 1,
      host: hostname(),
      bootId: null,
      startTime: null,
      runId: "run-x",
      acquiredAt: now,
      heartbeatAt: now,
      ...row,
    })
    .run();
}

describe("the trainer lock", () => {
  test("/proc start time: field 22 of /proc/<pid>/stat, read after the command name", () => {
    const p = otherProcess();
    const t = processStartTime(p.pid);
    expect(t).toMatch(/^\d+$/);
    expect(processStartTime("self")).toMatch(/^\d+$/);
    expect(processStartTime(2 ** 22 + 12345)).toBeNull();
  });

  test("one holder at a time: a second acquire names the first; release frees it", () => {
    const c = ctx();
    const lock = acquireTrainerLock(c.db, "run-a");
    let err: unknown;
    try {
      acquireTrainerLock(c.db);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TrainerBusyError);
    const holder = (err as TrainerBusyError).holder!;
    expect(holder).toMatchObject({ pid: process.pid, host: hostname(), run_id: "run-a", this_process: true });
    expect((err as Error).message).toContain(`pid ${process.pid}`);
    expect((err as Error).message).toContain("run-a");
    expect(currentHolder(c.db)?.run_id).toBe("run-a");
    lock.release();
    expect(currentHolder(c.db)).toBeNull();
    acquireTrainerLock(c.db).release();
  });

  test("a live holder in another process keeps the lock; killed, it loses it", async () => {
    const c = ctx();
    const p = otherProcess();
    plant(c, { pid: p.pid, startTime: processStartTime(p.pid), bootId: await bootId() });
    expect(() => acquireTrainerLock(c.db)).toThrow(TrainerBusyError);
    expect(currentHolder(c.db)).toMatchObject({ pid: p.pid, this_process: false });
    p.kill("SIGKILL");
    await p.exited;
    expect(currentHolder(c.db)).toBeNull();
    const lock = acquireTrainerLock(c.db, "mine");
    expect(currentHolder(c.db)).toMatchObject({ pid: process.pid, run_id: "mine" });
    lock.release();
  });

  test("a reused pid is not the holder: same pid, another start time", async () => {
    const c = ctx();
    const p = otherProcess();
    // The row's holder had this pid once, but started at another time: the pid now belongs to a new process.
    const start = Number(processStartTime(p.pid));
    plant(c, { pid: p.pid, startTime: String(start - 1), bootId: await bootId() });
    expect(currentHolder(c.db)).toBeNull();
    acquireTrainerLock(c.db).release();
  });

  test("another boot of this host: every holder of that boot is gone", () => {
    const c = ctx();
    plant(c, { pid: process.pid, bootId: "another-boot", startTime: processStartTime("self") });
    expect(currentHolder(c.db)).toBeNull();
  });

  test("a holder on another machine (shared data dir) holds while its heartbeat is fresh", () => {
    const c = ctx();
    plant(c, { host: "elsewhere", pid: 424242 });
    expect(() => acquireTrainerLock(c.db)).toThrow(/elsewhere/);
    const row = c.db.select().from(trainerLock).get()!;
    expect(holderAlive({ ...row, heartbeatAt: new Date(Date.now() - LEASE_MS - 1) })).toBe(false);
    c.db
      .update(trainerLock)
      .set({ heartbeatAt: new Date(Date.now() - LEASE_MS - 1000) })
      .run();
    acquireTrainerLock(c.db).release();
  });

  test("a holder whose lock was taken over learns it at its next heartbeat or commit", () => {
    const c = ctx();
    const lock = acquireTrainerLock(c.db);
    // Another process presumed it dead and took the row.
    c.db.update(trainerLock).set({ token: "usurper" }).run();
    expect(() => lock.heartbeat()).toThrow(TrainerLockLost);
    expect(() => c.db.transaction((tx) => lock.assertHeld(tx))).toThrow(TrainerLockLost);
    lock.release(); // does not remove the new holder's row
    expect(c.db.select().from(trainerLock).get()?.token).toBe("usurper");
  });

  test("commands from another process reach the holder once, with its heartbeat", () => {
    const c = ctx();
    expect(requestCommand(c.db, "pause")).toBeNull();
    const lock = acquireTrainerLock(c.db, "r");
    expect(lock.heartbeat()).toBeNull();
    expect(requestCommand(c.db, "pause")).toMatchObject({ run_id: "r", command: "pause" });
    expect(currentHolder(c.db)?.command).toBe("pause");
    expect(lock.heartbeat()).toBe("pause");
    expect(lock.heartbeat()).toBeNull();
    lock.release();
  });
});
