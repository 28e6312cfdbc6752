import type { Complex } from "./complex.ts";
import { Unsupported, evalExact, evalNumeric, freeSymbols } from "./evaluate.ts";
import { parseExact } from "./exact-parser.ts";
import { parseLatex } from "./latex.ts";
import { MAX_PARSED_ANSWER_CHARS } from "./limits.ts";
import { type MathJson, hasError } from "./mathjson.ts";
import { BudgetExceeded, Rational, UndefinedValue } from "./rational.ts";

/** One mathematical value as written: its text, its tree, and whether a decimal literal occurs (N5). */
export interface Scalar {
  text: string;
  json: MathJson;
  decimal: boolean;
}

const DECIMAL_LITERAL = /\d\.|\.\d/;

/** Parses one value: the fast exact parser first, the LaTeX library after (R6: errors are null). */
export function parseScalar(text: string): Scalar | null {
  const trimmed = text.trim();
  if (trimmed === "") return null;
  let json = parseExact(trimmed);
  if (json === null) {
    if (trimmed.length > MAX_PARSED_ANSWER_CHARS) throw new BudgetExceeded("answer too long to parse");
    json = parseLatex(trimmed);
    if (json === null || hasError(json)) return null;
  }
  return { text: trimmed, json, decimal: DECIMAL_LITERAL.test(trimmed) };
}

/** Exact rational value, null when not rational; BudgetExceeded/UndefinedValue propagate. */
export function exactValue(s: Scalar): Rational | null {
  return evalExact(s.json);
}

/** |a − b| ≤ 1e-6 · max(|a|, |b|), computed exactly (N5: no absolute tolerance). */
function withinDecimalTolerance(a: Rational, b: Rational): boolean {
  const diff = a.sub(b).abs().mul(Rational.of(1_000_000n));
  const big = a.abs().compare(b.abs()) >= 0 ? a.abs() : b.abs();
  return diff.compare(big) <= 0;
}

export function rationalsMatch(a: Rational, b: Rational, decimal: boolean): boolean {
  return decimal ? withinDecimalTolerance(a, b) : a.equals(b);
}

// Deterministic PRNG so that a verdict never depends on the run (mulberry32).
function prng(seed: number): () => number {
  let t = seed >>> 0;
  return () => {
    t = (t + 0x6d2b79f5) >>> 0;
    let r = Math.imul(t ^ (t >>> 15), 1 | t);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
}

const SAMPLE_POINTS = 6;

/** Random environments for the free variables: positive reals away from 0 and 1. */
export function samplePoints(vars: Iterable<string>): Map<string, Complex>[] {
  const names = [...vars].sort();
  const rand = prng(0x5eed);
  const points: Map<string, Complex>[] = [];
  for (let p = 0; p < SAMPLE_POINTS; p++) {
    const env = new Map<string, Complex>();
    for (const name of names) env.set(name, { re: 0.3 + 2.4 * rand(), im: 0 });
    points.push(env);
  }
  return points;
}

const finite = (z: Complex): boolean => Number.isFinite(z.re) && Number.isFinite(z.im);

/**
 * Numeric equality of two complex values. Infinities match only the same infinity and
 * NaN matches nothing (X3). `rel` is relative; `floor` bounds the scale from below so that
 * float noise around 0 (sin π) is absorbed when exact sides are compared.
 */
export function closeEnough(a: Complex, b: Complex, rel: number, floor: number): boolean {
  if (Number.isNaN(a.re) || Number.isNaN(a.im) || Number.isNaN(b.re) || Number.isNaN(b.im)) return false;
  if (!finite(a) || !finite(b)) return a.re === b.re && a.im === b.im;
  const scale = Math.max(Math.hypot(a.re, a.im), Math.hypot(b.re, b.im), floor);
  return Math.hypot(a.re - b.re, a.im - b.im) <= rel * scale;
}

export type Comparison = { equal: boolean; reason: string };

/**
 * N5 + X1 + X3: exact rationals compare exactly (or at 1e-6 relative with a decimal
 * literal); anything else is compared numerically at the same random points.
 */
export function compareScalars(answer: Scalar, gold: Scalar): Comparison {
  const decimal = answer.decimal || gold.decimal;
  let ea: Rational | null;
  let eg: Rational | null;
  try {
    ea = exactValue(answer);
    eg = exactValue(gold);
  } catch (err) {
    if (err instanceof UndefinedValue || err instanceof Unsupported) return { equal: false, reason: err.message };
    throw err;
  }
  if (ea !== null && eg !== null) {
    const equal = rationalsMatch(ea, eg, decimal);
    return { equal, reason: equal ? (decimal ? "equal within 1e-6" : "equal exactly") : "different value" };
  }
  const vars = freeSymbols(answer.json, freeSymbols(gold.json));
  const rel = decimal ? 1e-6 : vars.size > 0 ? 1e-9 : 1e-12;
  const floor = decimal ? 0 : 1;
  let checked = 0;
  for (const env of vars.size > 0 ? samplePoints(vars) : [new Map<string, Complex>()]) {
    let va: Complex;
    let vg: Complex;
    try {
      va = evalNumeric(answer.json, env);
      vg = evalNumeric(gold.json, env);
    } catch (err) {
      if (err instanceof Unsupported) return { equal: false, reason: err.message };
      throw err;
    }
    // A sample point on a singularity of both sides says nothing; skip it.
    if (vars.size > 0 && !finite(va) && !finite(vg)) continue;
    if (!closeEnough(va, vg, rel, floor)) return { equal: false, reason: "different value" };
    checked++;
  }
  if (checked === 0) return { equal: false, reason: "no defined value to compare" };
  return { equal: true, reason: vars.size > 0 ? "equal at random points" : "equal numerically" };
}

/** Numeric value at one environment, or NaN when it cannot be evaluated. */
export function numericValue(s: Scalar, env: Map<string, Complex>): Complex {
  try {
    return evalNumeric(s.json, env);
  } catch (err) {
    if (err instanceof Unsupported) return { re: NaN, im: NaN };
    throw err;
  }
}

/**
 * X2/X4: the constant c with fa = c·fg, checked at seeded points (1e-6 relative with a decimal
 * literal, else 1e-9), or a reason when there is none. Points where both vanish say nothing.
 */
export function constantRatio(fa: Scalar, fg: Scalar): Complex | string {
  const vars = freeSymbols(fa.json, freeSymbols(fg.json));
  const rel = fa.decimal || fg.decimal ? 1e-6 : 1e-9;
  let ratio: Complex | null = null;
  for (const env of samplePoints(vars)) {
    const va = numericValue(fa, env);
    const vg = numericValue(fg, env);
    if (!finite(va) || !finite(vg)) continue;
    const vgZero = Math.hypot(vg.re, vg.im) < 1e-12;
    const vaZero = Math.hypot(va.re, va.im) < 1e-12;
    if (vgZero || vaZero) {
      if (vgZero !== vaZero) return "not a constant multiple";
      continue;
    }
    const d = vg.re * vg.re + vg.im * vg.im;
    const r = { re: (va.re * vg.re + va.im * vg.im) / d, im: (va.im * vg.re - va.re * vg.im) / d };
    if (ratio === null) ratio = r;
    else if (!closeEnough(r, ratio, rel, 0)) return "not a constant multiple";
  }
  return ratio ?? "could not be compared";
}
