import { describe, expect, test } from "bun:test";
import { createRng } from "../prng.ts";
import { drawTask, poolWeight, WEIGHT_FLOOR } from "./pool.ts";

describe("pool weights", () => {
  test("medium difficulty and recent tasks weigh most", () => {
    const at = (passRate: number, policyVersion = 10) => poolWeight({ taskId: 1, passRate, policyVersion }, 10, 4);
    expect(at(0.5)).toBe(1);
    expect(at(0.25)).toBeCloseTo(0.75, 12);
    expect(at(0)).toBe(WEIGHT_FLOOR);
    expect(at(1)).toBe(WEIGHT_FLOOR);
    expect(at(0.5, 6)).toBeCloseTo(0.5, 12);
    expect(at(0.5, 2)).toBeCloseTo(0.25, 12);
  });

  test("draws follow the weights; an empty pool draws nothing; the same seed draws the same", () => {
    const pool = [
      { taskId: 1, passRate: 0.5, policyVersion: 3 },
      { taskId: 2, passRate: 1, policyVersion: 3 },
      { taskId: 3, passRate: 0.5, policyVersion: 0 },
    ];
    expect(drawTask([], 3, 4, createRng(1))).toBeNull();
    const rng = createRng(7);
    const counts = new Map<number, number>();
    for (let i = 0; i < 20_000; i++) {
      const t = drawTask(pool, 3, 3, rng)!;
      counts.set(t.taskId, (counts.get(t.taskId) ?? 0) + 1);
    }
    // Weights 1 : 0.05 : 0.5.
    expect(counts.get(1)! / 20_000).toBeCloseTo(1 / 1.55, 1);
    expect(counts.get(2)! / 20_000).toBeCloseTo(0.05 / 1.55, 1);
    expect(counts.get(3)! / 20_000).toBeCloseTo(0.5 / 1.55, 1);
    const a = Array.from(
      { length: 10 },
      (
        (r) => () =>
          drawTask(pool, 3, 4, r)!.taskId
      )(createRng(5)),
    );
    const b = Array.from(
      { length: 10 },
      (
        (r) => () =>
          drawTask(pool, 3, 4, r)!.taskId
      )(createRng(5)),
    );
    expect(a).toEqual(b);
  });
});
