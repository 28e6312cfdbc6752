import { describe, expect, test } from "bun:test";
import { bootstrapMean, pairedGain, sampleSd, stratifiedSample } from "./stats.ts";

describe("bootstrapMean", () => {
  test("matches the normal approximation on a known binomial case (300 of 1,000 correct)", () => {
    const values = Array.from({ length: 1000 }, (_, i) => (i < 300 ? 1 : 0));
    const ci = bootstrapMean(values, { seed: 3, resamples: 4000 });
    const half = 1.96 * Math.sqrt((0.3 * 0.7) / 1000); // 0.0284
    expect(ci.mean).toBe(0.3);
    expect(ci.n).toBe(1000);
    expect(Math.abs(ci.lo - (0.3 - half))).toBeLessThan(0.004);
    expect(Math.abs(ci.hi - (0.3 + half))).toBeLessThan(0.004);
  });

  test("is seeded: the same seed gives the same interval, another seed a slightly different one", () => {
    const values = Array.from({ length: 200 }, (_, i) => ((i * 37) % 101) / 100);
    expect(bootstrapMean(values, { seed: 5 })).toEqual(bootstrapMean(values, { seed: 5 }));
    expect(bootstrapMean(values, { seed: 5 }).lo).not.toBe(bootstrapMean(values, { seed: 6 }).lo);
  });

  test("shrinks with more items and collapses on constant data", () => {
    const small = bootstrapMean(
      Array.from({ length: 100 }, (_, i) => i % 2),
      { seed: 1 },
    );
    const large = bootstrapMean(
      Array.from({ length: 2500 }, (_, i) => i % 2),
      { seed: 1 },
    );
    expect(large.hi - large.lo).toBeLessThan((small.hi - small.lo) / 3);
    expect(bootstrapMean([1, 1, 1], { seed: 1 })).toEqual({ mean: 1, lo: 1, hi: 1, n: 3 });
    expect(bootstrapMean([]).n).toBe(0);
  });
});

describe("pairedGain", () => {
  test("averages seeds per item, then bootstraps the per-item differences", () => {
    const before = [0, 0, 1, 1, 0, 0, 1, 0];
    const a = [1, 0, 1, 1, 1, 0, 1, 0];
    const b = [1, 1, 1, 1, 0, 0, 1, 0];
    const g = pairedGain(before, [a, b], { seed: 2 });
    expect(g.mean).toBeCloseTo(2 / 8, 10); // each seed gains 2 of 8 items
    expect(g.lo).toBeGreaterThanOrEqual(0); // no item got worse
    expect(g.hi).toBeGreaterThan(g.mean);
  });

  test("a real gain on 1,000 items has an interval above 0; a pure reshuffle has one around 0", () => {
    const before = Array.from({ length: 1000 }, (_, i) => (i % 5 === 0 ? 1 : 0)); // 20%
    const better = Array.from({ length: 1000 }, (_, i) => (i % 5 === 0 || i % 7 === 0 ? 1 : 0)); // + ~11 points
    expect(pairedGain(before, [better], { seed: 1 }).lo).toBeGreaterThan(0.05);
    const shuffled = Array.from({ length: 1000 }, (_, i) => ((i + 1) % 5 === 0 ? 1 : 0)); // same 20%, other items
    const null_ = pairedGain(before, [shuffled], { seed: 1 });
    expect(null_.lo).toBeLessThan(0);
    expect(null_.hi).toBeGreaterThan(0);
  });

  test("rejects runs over other items", () => {
    expect(() => pairedGain([1, 0], [[1]])).toThrow(RangeError);
  });
});

describe("stratifiedSample", () => {
  const items = [
    ...Array.from({ length: 600 }, (_, i) => ({ id: `i${i}`, type: "Integer" })),
    ...Array.from({ length: 300 }, (_, i) => ({ id: `m${i}`, type: "MCQ" })),
    ...Array.from({ length: 100 }, (_, i) => ({ id: `s${i}`, type: "String" })),
  ];
  const count = (xs: typeof items, t: string) => xs.filter((x) => x.type === t).length;

  test("keeps every stratum's share exactly when it divides, by largest remainder when not", () => {
    const s = stratifiedSample(items, (x) => x.type, 100, 1);
    expect([count(s, "Integer"), count(s, "MCQ"), count(s, "String")]).toEqual([60, 30, 10]);
    const odd = stratifiedSample(items, (x) => x.type, 7, 1); // 4.2, 2.1, 0.7 → 4, 2, 1
    expect([count(odd, "Integer"), count(odd, "MCQ"), count(odd, "String")]).toEqual([4, 2, 1]);
  });

  test("is seeded, without repeats, in the items' original order", () => {
    const a = stratifiedSample(items, (x) => x.type, 50, 9);
    expect(a).toEqual(stratifiedSample(items, (x) => x.type, 50, 9));
    expect(a).not.toEqual(stratifiedSample(items, (x) => x.type, 50, 10));
    expect(new Set(a.map((x) => x.id)).size).toBe(50);
    const pos = a.map((x) => items.indexOf(x));
    expect(pos).toEqual([...pos].sort((x, y) => x - y));
  });

  test("returns everything when asked for as many or more", () => {
    expect(stratifiedSample(items, (x) => x.type, 5000, 1)).toHaveLength(1000);
  });
});

test("sampleSd", () => {
  expect(sampleSd([1])).toBe(0);
  expect(sampleSd([2, 4, 4, 4, 5, 5, 7, 9])).toBeCloseTo(2.138, 3);
});
