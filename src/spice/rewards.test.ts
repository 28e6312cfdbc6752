import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import {
  challengerOutputReward,
  challengerReward,
  drGrpoAdvantages,
  INVALID_PENALTY,
  reasonerReward,
} from "./rewards.ts";

describe("challenger reward", () => {
  // docs/method.md §1 step 4: the table for K = 8, rounded to 4 places.
  test.each([
    [0, 0.0439],
    [1, 0.372],
    [2, 0.8226],
    [3, 0.9879],
    [4, 1.0],
    [5, 0.9879],
    [6, 0.8226],
    [7, 0.372],
    [8, 0.0439],
  ])("variance reward at %d/8 is %d", (k, expected) => {
    expect(Number(challengerReward(k / 8, "variance").toFixed(4))).toBe(expected);
  });

  test("ablation rewards follow their definitions", () => {
    expect([0, 0.25, 0.5, 1].map((p) => challengerReward(p, "threshold"))).toEqual([0, 1, 1, 0]);
    expect([0, 0.25, 0.5, 1].map((p) => challengerReward(p, "one_minus_p"))).toEqual([1, 0.75, 0.5, 0]);
    expect([0, 0.25, 0.5, 1].map((p) => challengerReward(p, "rzero"))).toEqual([0, 0.5, 1, 0]);
  });

  test("an invalid output earns ρ = −0.1 whatever the function", () => {
    expect(INVALID_PENALTY).toBe(-0.1);
    for (const fn of ["variance", "threshold", "one_minus_p", "rzero"] as const) {
      expect(challengerOutputReward(false, 0.5, fn)).toBe(-0.1);
      expect(challengerOutputReward(true, null, fn)).toBe(-0.1);
    }
    expect(challengerOutputReward(true, 0.5, "variance")).toBe(1);
  });

  test("a pass rate outside [0, 1] is a programming error", () => {
    expect(() => challengerReward(1.5)).toThrow(RangeError);
    expect(() => challengerReward(Number.NaN)).toThrow(RangeError);
  });

  test("the variance reward is symmetric about ½ and peaks there", () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1, noNaN: true }), (p) => {
        const r = challengerReward(p);
        expect(r).toBeCloseTo(challengerReward(1 - p), 12);
        expect(r).toBeLessThanOrEqual(1);
        expect(r).toBeGreaterThan(0);
      }),
    );
  });
});

describe("reasoner reward", () => {
  test("binary reward", () => {
    expect(reasonerReward(true)).toBe(1);
    expect(reasonerReward(false)).toBe(0);
  });
});

describe("Dr. GRPO advantages", () => {
  test("mean-centred, no std division", () => {
    expect(drGrpoAdvantages([1, 0, 0, 0])).toEqual([0.75, -0.25, -0.25, -0.25]);
    // With std normalisation these would be scaled by 1/0.433; Dr. GRPO keeps the raw scale.
    const a = drGrpoAdvantages([1, 1, 0, 0, 0, 0, 0, 0]);
    expect(a[0]).toBeCloseTo(0.75, 12);
    expect(a[7]).toBeCloseTo(-0.25, 12);
  });

  test("a group with equal rewards contributes nothing", () => {
    expect(drGrpoAdvantages([0.372, 0.372, 0.372])).toEqual([0, 0, 0]);
    expect(drGrpoAdvantages([-0.1, -0.1])).toEqual([0, 0]);
    expect(drGrpoAdvantages([])).toEqual([]);
  });

  test("challenger group with invalid outputs: penalties stay in the group", () => {
    const rewards = [challengerReward(4 / 8), INVALID_PENALTY, challengerReward(0 / 8), INVALID_PENALTY];
    const a = drGrpoAdvantages(rewards);
    const mean = (1 - 0.1 + 0.0439369 - 0.1) / 4;
    expect(a[0]).toBeCloseTo(1 - mean, 6);
    expect(a[1]).toBeCloseTo(-0.1 - mean, 6);
  });

  test("advantages always sum to zero", () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: 1, maxLength: 64 }), (rs) => {
        const sum = drGrpoAdvantages(rs).reduce((x, y) => x + y, 0);
        expect(Math.abs(sum)).toBeLessThan(1e-9);
      }),
    );
  });
});
