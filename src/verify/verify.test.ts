import { describe, expect, test } from "bun:test";
import { verify } from "./index.ts";
import { CASES } from "../../test/verify/cases.ts";

const RULES = [
  "E1",
  "E2",
  "E3",
  "E4",
  "E5",
  "E6",
  "E7",
  "N1",
  "N2",
  "N3",
  "N4",
  "N5",
  "N6",
  "N7",
  "X1",
  "X2",
  "X3",
  "S1",
  "S2",
  "S3",
  "S4",
  "S5",
  "S6",
  "S7",
  "M1",
  "M2",
  "M3",
  "T1",
  "R2",
  "R3",
  "R4",
  "R5",
  "R6",
];

describe("verifier rules (docs/verifier-rules.md), table-driven", () => {
  CASES.forEach(([rule, response, gold, type, expected, options], index) => {
    const label = `${rule} #${index} ${JSON.stringify(response.slice(0, 60))} vs ${JSON.stringify(gold.slice(0, 30))} (${type}) → ${expected}`;
    test(label, () => {
      const t0 = performance.now();
      const v = verify(response, gold, type, options ? { options } : undefined);
      const ms = performance.now() - t0;
      expect({ correct: v.correct, reason: v.reason }).toMatchObject({ correct: expected });
      expect(ms).toBeLessThan(5_000);
    });
  });
});

describe("case table coverage", () => {
  test("at least 300 cases, every rule with a true and a false case", () => {
    expect(CASES.length).toBeGreaterThanOrEqual(300);
    for (const rule of RULES) {
      const rows = CASES.filter((c) => c[0] === rule);
      expect(
        rows.some((c) => c[4] === false),
        `${rule} has a false case`,
      ).toBe(true);
      if (rule !== "E2" && rule !== "E3" && rule !== "R6") {
        expect(
          rows.some((c) => c[4] === true),
          `${rule} has a true case`,
        ).toBe(true);
      }
    }
  });
});
