import { describe, expect, test } from "bun:test";
import { BatchQueue } from "./batch-queue.ts";

describe("BatchQueue with abort signals", () => {
  test("an item whose signal fires while it waits leaves the queue and never reaches the worker", async () => {
    const seen: number[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const q = new BatchQueue<number, number>({ maxBatch: 1, maxWaitMs: 0 }, async (xs) => {
      seen.push(xs);
      await gate;
      return xs.map((x) => x * 10);
    });
    const first = q.push(1);
    const gone = new AbortController();
    const second = q.push(2, gone.signal);
    const third = q.push(3);
    expect(q.pending).toBe(2);
    gone.abort(new Error("client left"));
    expect(q.pending).toBe(1);
    expect(second).rejects.toThrow("client left");
    release();
    expect(await Promise.all([first, third])).toEqual([10, 30]);
    expect(seen).toEqual([[1], [3]]);
  });

  test("an item whose signal fires while its batch runs is rejected, its batch mates are not", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const q = new BatchQueue<number, number>({ maxBatch: 4, maxWaitMs: 5 }, async (xs) => {
      await gate;
      return xs.map((x) => -x);
    });
    const gone = new AbortController();
    const kept = q.push(1);
    const dropped = q.push(2, gone.signal);
    await Bun.sleep(20);
    expect(q.busy).toBe(true);
    gone.abort(new Error("gone"));
    release();
    expect(await kept).toBe(-1);
    expect(dropped).rejects.toThrow("gone");
    // An already aborted signal is refused at once.
    expect(q.push(3, AbortSignal.abort(new Error("late")))).rejects.toThrow("late");
    expect(q.batchSizes).toEqual([2]);
  });
});
