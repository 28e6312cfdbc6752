import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { verify } from "./index.ts";

const TYPES = ["Integer", "Expression", "String", "MCQ"];
const SEED = 20_251_030;
const PER_ITEM_MS = 1_000;

// LaTeX-flavoured noise: the pieces that drive extraction, parsing and evaluation.
const latexPiece = fc.constantFrom(
  "\\boxed{",
  "\\fbox{",
  "{",
  "}",
  "\\{",
  "\\}",
  "(",
  ")",
  "[",
  "]",
  "\\frac",
  "\\sqrt",
  "^",
  "_",
  "!",
  "=",
  ",",
  "\\pm",
  "\\cup",
  "\\infty",
  "\\pi",
  "x",
  "e",
  "i",
  "1",
  "0",
  "9",
  "10",
  ".",
  "\\%",
  "%",
  "\\$",
  "$",
  "\\text{",
  " or ",
  "The answer is ",
  "Answer:",
  "\n",
  " ",
  "\\left(",
  "\\right)",
  "\\begin{pmatrix}",
  "\\end{pmatrix}",
  "&",
  "\\\\",
  "\\overline{",
  "\\binom",
  "\\ln",
  "\\log_",
  "\\sin",
  "−",
  "∞",
  "\u0000",
  "A",
  "B)",
  "km",
  "\\def",
  "\\times",
  "10^{10^{12}}",
);
const latexNoise = fc.array(latexPiece, { maxLength: 60 }).map((parts) => parts.join(""));
const anyText = fc.oneof(fc.string({ maxLength: 200 }), fc.string({ unit: "grapheme", maxLength: 100 }), latexNoise);

describe("R1: any input, no throw, bounded time", () => {
  test("random responses and golds of every answer type", () => {
    fc.assert(
      fc.property(anyText, anyText, fc.constantFrom(...TYPES), (response, gold, type) => {
        const t0 = performance.now();
        const v = verify(response, gold, type);
        expect(performance.now() - t0).toBeLessThan(PER_ITEM_MS);
        expect(typeof v.correct).toBe("boolean");
        expect(typeof v.reason).toBe("string");
      }),
      { seed: SEED, numRuns: 600 },
    );
  });

  test("boxed noise against noise, with options", () => {
    const options = { A: "1", B: "x", C: "\\frac12", D: "Paris" };
    fc.assert(
      fc.property(latexNoise, latexNoise, fc.constantFrom(...TYPES), (answer, gold, type) => {
        const t0 = performance.now();
        const v = verify(`\\boxed{${answer}}`, gold, type, { options });
        expect(performance.now() - t0).toBeLessThan(PER_ITEM_MS);
        expect(typeof v.correct).toBe("boolean");
      }),
      { seed: SEED + 1, numRuns: 400 },
    );
  });

  test("wrong-typed inputs answer false instead of throwing", () => {
    const odd: unknown[] = [null, undefined, 42, {}, [], Symbol("x"), 10n];
    for (const x of odd) {
      expect(verify(x, "1", "Integer").correct).toBe(false);
      expect(verify("\\boxed{1}", "1", x).correct).toBe(false);
    }
  });
});

// Canonical answers as a challenger would write them.
const integer = fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }).map(String);
const fraction = fc
  .tuple(fc.integer({ min: -99, max: 99 }), fc.integer({ min: 1, max: 99 }))
  .map(([n, d]) => `\\frac{${n}}{${d}}`);
const leaf = fc.constantFrom("x", "y", "2", "3", "7", "\\pi", "e", "\\frac{1}{2}", "0.5");
const expression: fc.Arbitrary<string> = fc.letrec<{ e: string }>((tie) => ({
  e: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    leaf,
    fc.tuple(tie("e"), fc.constantFrom("+", "-", "\\cdot "), tie("e")).map(([a, op, b]) => `${a}${op}${b}`),
    fc.tuple(tie("e"), tie("e")).map(([a, b]) => `\\frac{${a}}{${b}}`),
    fc.tuple(tie("e"), fc.integer({ min: 2, max: 3 })).map(([a, k]) => `(${a})^{${k}}`),
    tie("e").map((a) => `\\sqrt{${a}}`),
  ),
})).e;
const word = fc.stringMatching(/^[A-Za-z][a-z]{1,10}( [A-Za-z][a-z]{1,10}){0,2}$/);

describe("a canonical answer boxed verifies against itself", () => {
  const cases: [string, fc.Arbitrary<string>][] = [
    ["Integer", integer],
    ["Expression", fc.oneof(integer, fraction, expression)],
    ["String", word],
    ["MCQ", fc.constantFrom("A", "B", "C", "D")],
  ];
  for (const [type, arb] of cases) {
    test(type, () => {
      fc.assert(
        fc.property(arb, (answer) => {
          const v = verify(`Reasoning... so the answer is \\boxed{${answer}}.`, answer, type);
          expect(v.correct).toBe(true);
        }),
        { seed: SEED + 2, numRuns: 200 },
      );
    });
  }
});

describe("Expression equality is symmetric", () => {
  test("random expression pairs", () => {
    fc.assert(
      fc.property(expression, expression, (a, b) => {
        const ab = verify(`\\boxed{${a}}`, b, "Expression").correct;
        const ba = verify(`\\boxed{${b}}`, a, "Expression").correct;
        expect(ab).toBe(ba);
      }),
      { seed: SEED + 3, numRuns: 300 },
    );
  });

  test("rewritten pairs (equal by construction) are equal both ways", () => {
    let equal = 0;
    const runs = 200;
    fc.assert(
      fc.property(expression, expression, (a, b) => {
        const left = `(${a})+(${b})`;
        const right = `(${b})+(${a})`;
        const ab = verify(`\\boxed{${left}}`, right, "Expression");
        const ba = verify(`\\boxed{${right}}`, left, "Expression");
        expect(ab.correct).toBe(ba.correct);
        if (ab.correct) equal++;
      }),
      { seed: SEED + 4, numRuns: runs },
    );
    // Only expressions undefined everywhere (a division by an expression that is 0) may fail.
    expect(equal).toBeGreaterThan(runs * 0.9);
  });
});
