import * as Cx from "./complex.ts";
import type { Complex } from "./complex.ts";
import { MAX_SUM_DENOMINATOR_BITS, MAX_SUM_NODES, MAX_SUM_TERMS, MAX_SUM_WORK_BITS } from "./limits.ts";
import { type MathJson, args, head, isNumberNode } from "./mathjson.ts";
import { BudgetExceeded, Rational, UndefinedValue, binomial, exactWork, factorial } from "./rational.ts";

/** Raised for trees the evaluator cannot give a value: parse errors, unknown functions, text (R6). */
export class Unsupported extends Error {}

const CONSTANTS = new Set([
  "Pi",
  "ExponentialE",
  "e",
  "i",
  "ImaginaryUnit",
  "PositiveInfinity",
  "NegativeInfinity",
  "ComplexInfinity",
  "NaN",
  "Nothing",
]);

/** N1: `["Sum"|"Product", body, ["Tuple", index, lo, hi]]`, as the LaTeX parser writes `\sum_{k=1}^{4}`. */
interface SumLimits {
  body: MathJson;
  index: string;
  lo: MathJson;
  hi: MathJson;
}

function sumLimits(x: MathJson): SumLimits | null {
  const h = head(x);
  if (h !== "Sum" && h !== "Product") return null;
  const [body, limits, extra] = args(x);
  if (body === undefined || limits === undefined || extra !== undefined || head(limits) !== "Tuple") return null;
  const [index, lo, hi, more] = args(limits);
  if (typeof index !== "string" || lo === undefined || hi === undefined || more !== undefined) return null;
  return { body, index, lo, hi };
}

/** Free variables of a tree: symbols that are not constants (`e` and `i` are constants, X1). */
export function freeSymbols(x: MathJson, out: Set<string> = new Set()): Set<string> {
  if (typeof x === "string") {
    if (!CONSTANTS.has(x) && !x.startsWith("'")) out.add(x);
  } else if (Array.isArray(x) && x[0] !== "InverseFunction") {
    const sum = sumLimits(x);
    if (sum) {
      // The index of a sum is bound inside it.
      const inner = freeSymbols(sum.body);
      inner.delete(sum.index);
      for (const v of inner) out.add(v);
      freeSymbols(sum.lo, out);
      freeSymbols(sum.hi, out);
      return out;
    }
    for (let k = 1; k < x.length; k++) freeSymbols(x[k]!, out);
  }
  return out;
}

/** A value as a tree node; parenthesised so that `2k` with k = 3 stays a product, not `2 3`. */
export function valueNode(r: Rational): MathJson {
  const num: MathJson = { num: r.abs().n.toString() };
  const magnitude: MathJson = r.isInteger() ? num : ["Divide", num, { num: r.d.toString() }];
  return ["Delimiter", r.sign() < 0 ? ["Negate", magnitude] : magnitude];
}

/** `x` with every free occurrence of the symbol `name` replaced by `value` (a sum's own index is left alone). */
export function substitute(x: MathJson, name: string, value: MathJson): MathJson {
  if (x === name) return value;
  if (!Array.isArray(x)) return x;
  const sum = sumLimits(x);
  if (sum && sum.index === name) {
    return [x[0]!, sum.body, ["Tuple", name, substitute(sum.lo, name, value), substitute(sum.hi, name, value)]];
  }
  return x.map((c, k) => (k === 0 ? c : substitute(c, name, value)));
}

/** Sum and product terms, and term nodes, left to the current top-level evaluation (N1, R4). */
let termsLeft = MAX_SUM_TERMS;
let nodesLeft = MAX_SUM_NODES;

function resetSumBudget(): void {
  termsLeft = MAX_SUM_TERMS;
  nodesLeft = MAX_SUM_NODES;
}

/** Nodes of a tree, counting stops past `cap`. */
function treeSize(x: MathJson, cap: number): number {
  if (!Array.isArray(x)) return 1;
  let n = 1;
  for (let k = 1; k < x.length && n <= cap; k++) n += treeSize(x[k]!, cap - n);
  return n;
}

/** Charges `count` terms of `body` to the budget, before any is evaluated. */
function spendTerms(count: bigint, body: MathJson): void {
  if (count <= 0n) return;
  if (count > BigInt(termsLeft)) throw new BudgetExceeded(`a sum or product of more than ${MAX_SUM_TERMS} terms`);
  const nodes = Number(count) * treeSize(body, nodesLeft + 1);
  if (nodes > nodesLeft) throw new BudgetExceeded("a sum or product too long to evaluate");
  termsLeft -= Number(count);
  nodesLeft -= nodes;
}

const DENOMINATOR_LIMIT = 1n << BigInt(MAX_SUM_DENOMINATOR_BITS);

/** Number literal; the parser writes repeating decimals as `0.(12)` (N6). */
function numberLiteral(x: number | { num: string }): Rational | null {
  const text = typeof x === "number" ? (Number.isFinite(x) ? String(x) : "") : x.num;
  const repeating = /^([+-]?)(\d*)\.(\d*)\((\d+)\)$/.exec(text);
  if (repeating) {
    const value = repeatingDecimal([{ num: `${repeating[2] || "0"}.${repeating[3]}` }, { num: repeating[4]! }]);
    return repeating[1] === "-" ? value.neg() : value;
  }
  return Rational.parseDecimal(text);
}

/** Integer k-th root of a non-negative integer when exact, else null. */
function exactIntRoot(n: bigint, k: number): bigint | null {
  if (n < 0n) return null;
  if (n < 2n) return n;
  const approx = BigInt(Math.round(Number(n) ** (1 / k)));
  if (n < 1n << 50n) {
    for (const r of [approx - 1n, approx, approx + 1n]) if (r >= 0n && r ** BigInt(k) === n) return r;
    return null;
  }
  // Newton's method on big values, seeded from above.
  let x = 1n << BigInt(Math.ceil(n.toString(2).length / k) + 1);
  const kb = BigInt(k);
  for (;;) {
    const y = ((kb - 1n) * x + n / x ** (kb - 1n)) / kb;
    if (y >= x) break;
    x = y;
  }
  return x ** kb === n ? x : null;
}

/** r^(p/q) when the result is rational, else null (e.g. sqrt(2)). */
function rationalPower(base: Rational, exp: Rational): Rational | null {
  if (exp.isInteger()) return base.pow(exp.n);
  if (exp.d > 64n || base.sign() < 0) return null;
  const q = Number(exp.d);
  const rn = exactIntRoot(base.n, q);
  const rd = exactIntRoot(base.d, q);
  if (rn === null || rd === null) return null;
  return Rational.of(rn, rd).pow(exp.n);
}

function toInteger(r: Rational, what: string): bigint {
  if (!r.isInteger()) throw new Unsupported(`${what} of a non-integer`);
  return r.n;
}

/** `3\frac14` as the library parses it: an integer literal next to a proper literal fraction (N7). */
function mixedNumber(parts: MathJson[]): Rational | null {
  if (parts.length !== 2) return null;
  const [written, frac] = parts as [MathJson, MathJson];
  // `-2\frac13` parses as (−2)·(1/3) next to each other: the sign belongs to the whole number.
  const negative = head(written) === "Negate";
  const whole = negative ? args(written)[0]! : written;
  if (head(frac) !== "Divide") return null;
  const [a, b] = args(frac);
  const isIntLit = (v: MathJson | undefined): v is number | { num: string } =>
    v !== undefined && isNumberNode(v) && /^\d+$/.test(typeof v === "number" ? String(v) : v.num);
  if (!isIntLit(whole) || !isIntLit(a) || !isIntLit(b)) return null;
  const w = numberLiteral(whole)!;
  const num = numberLiteral(a)!;
  const den = numberLiteral(b)!;
  if (num.compare(den) >= 0) return null;
  const value = w.add(num.div(den));
  return negative ? value.neg() : value;
}

function delimited(x: MathJson[]): MathJson {
  // ["Delimiter", body, "'(,)'"]: a single parenthesised value; sequences are not scalars.
  const body = x[0];
  if (body === undefined || head(body) === "Sequence") throw new Unsupported("sequence where a value was expected");
  return body;
}

/**
 * Exact value of a constant tree: a Rational, or null when the value is not rational
 * (or not known to be): symbols, π, √2, logarithms. Throws BudgetExceeded (R4),
 * UndefinedValue (X3) and Unsupported (R6).
 */
export function evalExact(x: MathJson): Rational | null {
  resetSumBudget();
  return exact(x);
}

/** N1: a finite sum or product with integer bounds, term by term; null when a term is not rational. */
function exactSum(sum: SumLimits, product: boolean): Rational | null {
  const lo = exact(sum.lo);
  const hi = exact(sum.hi);
  if (lo === null || hi === null) return null;
  if (!lo.isInteger() || !hi.isInteger()) throw new Unsupported("sum bounds that are not integers");
  spendTerms(hi.n - lo.n + 1n, sum.body);
  let acc = product ? Rational.ONE : Rational.ZERO;
  let work = 0;
  for (let k = lo.n; k <= hi.n; k++) {
    const before = exactWork();
    const v = exact(substitute(sum.body, sum.index, valueNode(Rational.of(k))));
    // The terms' own work (big values made), not the running total's, which grows linearly.
    work += exactWork() - before;
    if (work > MAX_SUM_WORK_BITS) throw new BudgetExceeded("a sum or product of terms too large to evaluate");
    if (v === null) return null;
    acc = product ? acc.mul(v) : acc.add(v);
    // A huge denominator would make every further term cost a gcd of huge numbers: go numeric.
    if (acc.d > DENOMINATOR_LIMIT) return null;
  }
  return acc;
}

function exact(x: MathJson): Rational | null {
  if (isNumberNode(x)) return numberLiteral(x);
  if (typeof x === "string") return null;
  if (!Array.isArray(x)) throw new Unsupported("text where a value was expected");
  const h = head(x);
  const a = args(x);
  switch (h) {
    case "Add":
    case "Subtract":
    case "Multiply": {
      let acc: Rational | null = null;
      for (let k = 0; k < a.length; k++) {
        const v = exact(a[k]!);
        if (v === null) return null;
        if (acc === null) acc = v;
        else if (h === "Multiply") acc = acc.mul(v);
        else if (h === "Subtract") acc = acc.sub(v);
        else acc = acc.add(v);
      }
      return acc;
    }
    case "Negate": {
      const v = exact(a[0]!);
      return v === null ? null : v.neg();
    }
    case "Divide":
    case "Rational": {
      if (a.length !== 2) throw new Unsupported("malformed fraction");
      const n = exact(a[0]!);
      const d = exact(a[1]!);
      if (d?.isZero()) throw new UndefinedValue("division by zero");
      return n === null || d === null ? null : n.div(d);
    }
    case "Power": {
      const base = exact(a[0]!);
      const e = exact(a[1]!);
      if (base === null || e === null) return null;
      return rationalPower(base, e);
    }
    case "Sqrt":
    case "Root": {
      const base = exact(a[0]!);
      const n = h === "Sqrt" ? Rational.of(2n) : exact(a[1]!);
      if (base === null || n === null || !n.isInteger() || n.n < 1n) return null;
      if (base.sign() < 0 && n.n % 2n === 1n) {
        const r = rationalPower(base.neg(), Rational.of(1n, n.n));
        return r === null ? null : r.neg();
      }
      return rationalPower(base, Rational.of(1n, n.n));
    }
    case "Factorial": {
      const v = exact(a[0]!);
      return v === null ? null : Rational.of(factorial(toInteger(v, "factorial")));
    }
    case "Binomial": {
      const n = exact(a[0]!);
      const k = exact(a[1]!);
      if (n === null || k === null) return null;
      const nn = toInteger(n, "binomial");
      if (nn < 0n) return null;
      return Rational.of(binomial(nn, toInteger(k, "binomial")));
    }
    case "Abs": {
      const v = exact(a[0]!);
      return v === null ? null : v.abs();
    }
    case "RepeatingDecimal":
      return repeatingDecimal(a);
    case "InvisibleOperator": {
      const mixed = mixedNumber(a);
      if (mixed) return mixed;
      if (a.length >= 2 && a.every(isNumberNode)) throw new Unsupported("two numbers side by side");
      return exact(["Multiply", ...a]);
    }
    case "Delimiter":
      return exact(delimited(a));
    case "Sequence":
      if (a.length === 1) return exact(a[0]!);
      throw new Unsupported("sequence where a value was expected");
    case "Sum":
    case "Product": {
      const sum = sumLimits(x);
      if (!sum) throw new Unsupported("a sum or product without integer bounds");
      return exactSum(sum, h === "Product");
    }
    case "Error":
      throw new Unsupported("malformed LaTeX");
    default:
      return null;
  }
}

/** `0.1\overline{6}`: the fast parser's node for N6 (the library folds it to a Rational itself). */
function repeatingDecimal(a: MathJson[]): Rational {
  const [prefix, rep] = a as [{ num: string }, { num: string }];
  const [intPart, fracPart = ""] = prefix.num.split(".");
  const scale = 10n ** BigInt(fracPart.length);
  const base = Rational.of(BigInt((intPart || "0") + fracPart), scale);
  const period = 10n ** BigInt(rep.num.length) - 1n;
  return base.add(Rational.of(BigInt(rep.num), period * scale));
}

const FUNCTIONS1: Record<string, (z: Complex) => Complex> = {
  Sin: Cx.sin,
  Cos: Cx.cos,
  Tan: Cx.tan,
  Cot: (z) => Cx.div(Cx.C(1), Cx.tan(z)),
  Sec: (z) => Cx.div(Cx.C(1), Cx.cos(z)),
  Csc: (z) => Cx.div(Cx.C(1), Cx.sin(z)),
  Arcsin: Cx.asin,
  Arccos: Cx.acos,
  Arctan: Cx.atan,
  Arccot: (z) => Cx.atan(Cx.div(Cx.C(1), z)),
  Sinh: Cx.sinh,
  Cosh: Cx.cosh,
  Tanh: Cx.tanh,
  Exp: Cx.exp,
  Ln: Cx.ln,
  Lb: (z) => Cx.div(Cx.ln(z), Cx.C(Math.LN2)),
  Lg: (z) => Cx.div(Cx.ln(z), Cx.C(Math.LN10)),
  Sqrt: Cx.sqrt,
  Abs: (z) => Cx.C(Cx.abs(z)),
  Negate: Cx.neg,
  Gamma: Cx.gamma,
  Floor: (z) => (z.im === 0 ? Cx.C(Math.floor(z.re)) : Cx.NAN),
  Ceil: (z) => (z.im === 0 ? Cx.C(Math.ceil(z.re)) : Cx.NAN),
  Degrees: (z) => Cx.mul(z, Cx.C(Math.PI / 180)),
};

function constant(name: string, env: Map<string, Complex>): Complex {
  switch (name) {
    case "Pi":
      return Cx.C(Math.PI);
    case "ExponentialE":
    case "e":
      return Cx.C(Math.E);
    case "i":
    case "ImaginaryUnit":
      return Cx.C(0, 1);
    case "PositiveInfinity":
      return Cx.C(Infinity);
    case "NegativeInfinity":
      return Cx.C(-Infinity);
    case "ComplexInfinity":
    case "NaN":
      return Cx.NAN;
  }
  if (name.startsWith("'")) throw new Unsupported("text where a value was expected");
  const v = env.get(name);
  if (v === undefined) throw new Unsupported(`unbound symbol ${name}`);
  return v;
}

function realFactorial(z: Complex): Complex {
  if (z.im !== 0) return Cx.NAN;
  if (Number.isInteger(z.re)) {
    if (z.re < 0) return Cx.NAN;
    if (z.re > 170) return Cx.C(Infinity);
    let r = 1;
    for (let k = 2; k <= z.re; k++) r *= k;
    return Cx.C(r);
  }
  return Cx.gamma(Cx.C(z.re + 1));
}

/** C(n, k) for any n and a non-negative integer k: the falling factorial over k!. */
function numericBinomial(n: Complex, k: Complex): Complex {
  if (k.im !== 0 || !Number.isInteger(k.re) || k.re < 0 || k.re > 1000) return Cx.NAN;
  let r = Cx.C(1);
  for (let j = 0; j < k.re; j++) r = Cx.div(Cx.mul(r, Cx.sub(n, Cx.C(j))), Cx.C(j + 1));
  return r;
}

function isMinusOne(x: MathJson | undefined): boolean {
  if (x === undefined) return false;
  if (head(x) === "Negate") {
    const inner = args(x)[0];
    return inner !== undefined && isNumberNode(inner) && numberLiteral(inner)?.equals(Rational.ONE) === true;
  }
  return isNumberNode(x) && numberLiteral(x)?.equals(Rational.ONE.neg()) === true;
}

/** Floating value of a tree with its free variables bound in `env` (numeric sampling, X1). */
export function evalNumeric(x: MathJson, env: Map<string, Complex>): Complex {
  resetSumBudget();
  return numeric(x, env);
}

function numericBound(x: MathJson, env: Map<string, Complex>): bigint {
  const v = numeric(x, env);
  if (v.im !== 0 || !Number.isSafeInteger(v.re)) throw new Unsupported("sum bounds that are not integers");
  return BigInt(v.re);
}

function numericSum(sum: SumLimits, product: boolean, env: Map<string, Complex>): Complex {
  const lo = numericBound(sum.lo, env);
  const hi = numericBound(sum.hi, env);
  spendTerms(hi - lo + 1n, sum.body);
  const inner = new Map(env);
  let acc = Cx.C(product ? 1 : 0);
  for (let k = lo; k <= hi; k++) {
    inner.set(sum.index, Cx.C(Number(k)));
    const v = numeric(sum.body, inner);
    acc = product ? Cx.mul(acc, v) : Cx.add(acc, v);
  }
  return acc;
}

function numeric(x: MathJson, env: Map<string, Complex>): Complex {
  if (isNumberNode(x)) {
    if (typeof x === "number") return Cx.C(x);
    const exact = numberLiteral(x);
    return exact === null ? Cx.NAN : Cx.C(exact.toNumber());
  }
  if (typeof x === "string") return constant(x, env);
  if (!Array.isArray(x)) throw new Unsupported("text where a value was expected");
  const h = head(x);
  const a = args(x);
  const ev = (k: number): Complex => {
    const node = a[k];
    if (node === undefined) throw new Unsupported("missing argument");
    return numeric(node, env);
  };
  switch (h) {
    case "Add":
    case "Subtract":
    case "Multiply": {
      let acc = ev(0);
      for (let k = 1; k < a.length; k++) {
        const v = ev(k);
        acc = h === "Add" ? Cx.add(acc, v) : h === "Subtract" ? Cx.sub(acc, v) : Cx.mul(acc, v);
      }
      return acc;
    }
    case "Divide":
    case "Rational":
      return Cx.div(ev(0), ev(1));
    case "Power": {
      // \sin^{-1} x is the inverse sine, not a reciprocal.
      const base = a[0];
      const inverse =
        Array.isArray(base) && base.length === 2 && isMinusOne(a[1])
          ? FUNCTIONS1[`Arc${String(base[0]).toLowerCase()}`]
          : undefined;
      if (inverse) return inverse(numeric((base as MathJson[])[1]!, env));
      return Cx.pow(ev(0), ev(1));
    }
    case "Root":
      return Cx.root(ev(0), ev(1));
    case "Log":
      // Plain \log is the natural logarithm (the Math-Verify/SymPy reading); \log_b has a base.
      return a.length > 1 ? Cx.div(Cx.ln(ev(0)), Cx.ln(ev(1))) : Cx.ln(ev(0));
    case "Factorial":
      return realFactorial(ev(0));
    case "Binomial":
      return numericBinomial(ev(0), ev(1));
    case "RepeatingDecimal":
      return Cx.C(repeatingDecimal(a).toNumber());
    case "InvisibleOperator": {
      const mixed = mixedNumber(a);
      if (mixed) return Cx.C(mixed.toNumber());
      if (a.length >= 2 && a.every(isNumberNode)) throw new Unsupported("two numbers side by side");
      return numeric(["Multiply", ...a], env);
    }
    case "Delimiter":
      return numeric(delimited(a), env);
    case "Sequence":
      if (a.length === 1) return ev(0);
      throw new Unsupported("sequence where a value was expected");
    case "Sum":
    case "Product": {
      const sum = sumLimits(x);
      if (!sum) throw new Unsupported("a sum or product without integer bounds");
      return numericSum(sum, h === "Product", env);
    }
    case "Apply": {
      // \sin^{-1}x → ["Apply", ["InverseFunction", "Sin"], x]
      const f = a[0];
      if (Array.isArray(f) && f[0] === "InverseFunction" && typeof f[1] === "string") {
        const inverse = FUNCTIONS1[`Arc${f[1].toLowerCase()}`];
        if (inverse) return inverse(ev(1));
      }
      throw new Unsupported("unknown function");
    }
  }
  const f = h === null ? undefined : FUNCTIONS1[h];
  if (f && a.length === 1) return f(ev(0));
  throw new Unsupported(h === "Error" ? "malformed LaTeX" : `unsupported operation ${h ?? "?"}`);
}

export { BudgetExceeded, UndefinedValue };
