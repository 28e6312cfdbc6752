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
  "X4",
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

describe("verdict reasons of the issue-18 rules", () => {
  test("S6: a wrong-shape verdict names both shapes", () => {
    const v = verify(
      "\\boxed{\\begin{pmatrix}1&2&3\\\\4&5&6\\end{pmatrix}}",
      "\\begin{pmatrix}1&2\\\\3&4\\\\5&6\\end{pmatrix}",
      "Expression",
    );
    expect(v.correct).toBe(false);
    expect(v.reason).toContain("answer 2×3, gold 3×2");
  });

  test("S6: a product of matrices whose inner sizes differ names their shapes", () => {
    const v = verify(
      "\\boxed{\\begin{pmatrix}1&2&3\\end{pmatrix}\\begin{pmatrix}1&2\\end{pmatrix}}",
      "\\begin{pmatrix}1&2\\end{pmatrix}",
      "Expression",
    );
    expect(v.correct).toBe(false);
    expect(v.reason).toContain("1×3 and 1×2 cannot be multiplied");
  });

  test("N1: more than 10,000 terms is refused by the work budget (R4), nested sums counted together", () => {
    for (const answer of [
      "\\sum_{k=1}^{10001} k",
      "\\sum_{i=1}^{101}\\sum_{j=1}^{100} 1",
      "\\prod_{k=1}^{10^{12}} k",
    ]) {
      const v = verify(`\\boxed{${answer}}`, "1", "Integer");
      expect(v.correct).toBe(false);
      expect(v.reason).toContain("work budget");
    }
  });

  test("N1: sums of huge terms are refused quickly instead of computed for seconds", () => {
    for (const answer of ["\\sum_{k=1}^{10000} k!", "\\sum_{k=1}^{10000} k^{k}", "\\prod_{k=1}^{10000} k^{k}"]) {
      const t0 = performance.now();
      const v = verify(`\\boxed{${answer}}`, "1", "Integer");
      expect(v.correct).toBe(false);
      expect(v.reason).toContain("work budget");
      expect(performance.now() - t0).toBeLessThan(2_000);
    }
  });

  test("X4: a relation is not a value, and a value is not a relation", () => {
    expect(verify("\\boxed{x > 2}", "2", "Expression").reason).toContain("relation");
    expect(verify("\\boxed{2}", "x > 2", "Expression").correct).toBe(false);
  });
});
