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
  // issue 18: relations, sums, arrays, ratios, digit groups
  "<",
  ">=",
  "\\le",
  "\\geqslant",
  "\\ne",
  "\\approx",
  ":",
  ",\\!",
  "{,}",
  "\\sum_{k=1}^{",
  "\\prod_{k=0}^{10000}",
  "k",
  "\\begin{array}{cc}",
  "\\end{array}",
  "\\left[",
  "\\right]",
  "\\textnormal{",
  " and ",
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

// ---- X4: relations ---------------------------------------------------------------------------

type Op = "<" | "<=" | ">" | ">=" | "!=";
const NOTATIONS: Record<Op, string[]> = {
  "<": ["<", "\\lt"],
  "<=": ["\\le", "\\leq", "\\leqslant", "<="],
  ">": [">", "\\gt"],
  ">=": ["\\ge", "\\geq", "\\geqslant", ">="],
  "!=": ["\\ne", "\\neq"],
};
const FLIPPED = { "<": ">", "<=": ">=", ">": "<", ">=": "<=", "!=": "!=" } as const satisfies Record<Op, Op>;
const TOGGLED: Record<Exclude<Op, "!=">, Exclude<Op, "!=">> = { "<": "<=", "<=": "<", ">": ">=", ">=": ">" };
const OPS = Object.keys(NOTATIONS) as Op[];
const ORDER_OPS = OPS.filter((o): o is Exclude<Op, "!="> => o !== "!=");

/** A relation symbol of `op`, in one of its notations (the index picks which). */
const written = (op: Op, pick: number): string => NOTATIONS[op][pick % NOTATIONS[op].length]!;

/** c0 + c1·x + c2·x² + c3·y, written as a model would. */
function polynomial([c0, c1, c2, c3]: number[]): string {
  const terms: [number, string][] = [
    [c2!, "x^2"],
    [c1!, "x"],
    [c3!, "y"],
    [c0!, ""],
  ];
  let out = "";
  for (const [c, v] of terms) {
    if (c === 0) continue;
    const mag = Math.abs(c) === 1 && v !== "" ? "" : String(Math.abs(c));
    out += `${c < 0 ? "-" : out === "" ? "" : "+"}${mag}${v}`;
  }
  return out === "" ? "0" : out;
}

const coeffs = fc.array(fc.integer({ min: -9, max: 9 }), { minLength: 4, maxLength: 4 });
/** Two sides whose difference is not identically zero (so the relation says something). */
const sides = fc
  .tuple(coeffs, coeffs)
  .filter(([l, r]) => l.some((c, k) => c !== r[k]))
  .map(([l, r]) => [polynomial(l), polynomial(r)] as const);
const positive = fc.oneof(
  fc.integer({ min: 1, max: 12 }).map(String),
  fc.tuple(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 2, max: 9 })).map(([p, q]) => `\\frac{${p}}{${q}}`),
  fc.constantFrom("\\sqrt{2}", "\\pi", "0.5"),
);
const pick = fc.nat({ max: 3 });

describe("X4: relations", () => {
  test("a relation equals itself with the sides swapped and the direction flipped", () => {
    fc.assert(
      fc.property(sides, fc.constantFrom(...OPS), pick, pick, ([l, r], op, p1, p2) => {
        const v = verify(
          `\\boxed{${r} ${written(FLIPPED[op], p1)} ${l}}`,
          `${l} ${written(op, p2)} ${r}`,
          "Expression",
        );
        expect(v.correct).toBe(true);
      }),
      { seed: SEED + 5, numRuns: 200 },
    );
  });

  test("scaling both sides' difference by a positive constant keeps the relation", () => {
    fc.assert(
      fc.property(sides, fc.constantFrom(...OPS), positive, pick, ([l, r], op, c, p) => {
        const scaled = `${c}\\left((${l})-(${r})\\right) ${written(op, p)} 0`;
        expect(verify(`\\boxed{${scaled}}`, `${l} ${written(op, 0)} ${r}`, "Expression").correct).toBe(true);
      }),
      { seed: SEED + 6, numRuns: 200 },
    );
  });

  test("scaling by a negative constant flips the direction (and unflipped it is another relation)", () => {
    fc.assert(
      fc.property(sides, fc.constantFrom(...OPS), positive, pick, ([l, r], op, c, p) => {
        const gold = `${l} ${written(op, 0)} ${r}`;
        const negated = `-${c}\\left((${l})-(${r})\\right)`;
        expect(verify(`\\boxed{${negated} ${written(FLIPPED[op], p)} 0}`, gold, "Expression").correct).toBe(true);
        // ≠ is its own flip; every other relation changes when the sign changes alone.
        expect(verify(`\\boxed{${negated} ${written(op, p)} 0}`, gold, "Expression").correct).toBe(op === "!=");
      }),
      { seed: SEED + 7, numRuns: 200 },
    );
  });

  test("strictness must match", () => {
    fc.assert(
      fc.property(sides, fc.constantFrom(...ORDER_OPS), pick, ([l, r], op, p) => {
        const v = verify(`\\boxed{${l} ${written(TOGGLED[op], p)} ${r}}`, `${l} ${written(op, 0)} ${r}`, "Expression");
        expect(v.correct).toBe(false);
      }),
      { seed: SEED + 8, numRuns: 200 },
    );
  });

  test("a linear inequality in one variable equals its interval, in both directions", () => {
    const nonzero = fc.integer({ min: -9, max: 9 }).filter((a) => a !== 0);
    const small = fc.integer({ min: -20, max: 20 });
    fc.assert(
      fc.property(nonzero, small, small, fc.constantFrom(...ORDER_OPS), pick, (a, b, c, op, p) => {
        // a·x + b op c  ⇔  x op' (c − b)/a, op' flipped when a < 0.
        const solved = a < 0 ? FLIPPED[op] : op;
        const end = `\\frac{${c - b}}{${a}}`;
        const interval = (o: Exclude<Op, "!=">): string =>
          o === "<"
            ? `(-\\infty, ${end})`
            : o === "<="
              ? `(-\\infty, ${end}]`
              : o === ">"
                ? `(${end}, \\infty)`
                : `[${end}, \\infty)`;
        const relation = `${a}x ${b < 0 ? "-" : "+"} ${Math.abs(b)} ${written(op, p)} ${c}`;
        expect(verify(`\\boxed{${relation}}`, interval(solved), "Expression").correct).toBe(true);
        expect(verify(`\\boxed{${interval(solved)}}`, relation, "Expression").correct).toBe(true);
        // The other bracket at the finite end is another set.
        expect(verify(`\\boxed{${interval(TOGGLED[solved])}}`, relation, "Expression").correct).toBe(false);
      }),
      { seed: SEED + 9, numRuns: 200 },
    );
  });
});
