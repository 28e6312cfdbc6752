import { MAX_EXACT_BITS } from "./limits.ts";

/** Raised when an exact computation would exceed the work budget (R4). */
export class BudgetExceeded extends Error {
  constructor(what: string) {
    super(`value past the work budget: ${what}`);
  }
}

/** Raised for values that exist as no number: division by zero, 0^0 with negative powers, … (X3). */
export class UndefinedValue extends Error {
  constructor(what: string) {
    super(`undefined value: ${what}`);
  }
}

const abs = (a: bigint): bigint => (a < 0n ? -a : a);

function gcd(a: bigint, b: bigint): bigint {
  a = abs(a);
  b = abs(b);
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

/** Bit length of |a|; hex conversion is linear and far cheaper than a decimal one. */
export function bitLength(a: bigint): number {
  if (a === 0n) return 0;
  const hex = abs(a).toString(16);
  return (hex.length - 1) * 4 + Math.floor(Math.log2(parseInt(hex[0]!, 16))) + 1;
}

/**
 * Bits of the big values (≥ 2^1024) made so far, a deterministic measure of exact work that the
 * sums of N1 budget per term. Only ever grows; callers compare two readings.
 */
let bigBitsMade = 0;

/** The work meter's reading (see bigBitsMade). */
export const exactWork = (): number => bigBitsMade;

// Negated bounds are constants too: negating a big value in every call would copy it.
const SMALL = 1n << 1024n;
const NEG_SMALL = -SMALL;
const LIMIT = 1n << BigInt(MAX_EXACT_BITS);
const NEG_LIMIT = -LIMIT;
/** 2^2048, 2^4096, …: bit lengths to within a factor of two by comparisons alone (no conversion). */
const BUCKETS: [bigint, bigint, number][] = [];
for (let bits = 2048; bits < 2 * MAX_EXACT_BITS; bits *= 2) {
  const bound = 1n << BigInt(bits);
  BUCKETS.push([bound, -bound, bits]);
}

/** An upper bound on the bit length of |a| (≥ 2^1024), within a factor of two; comparisons only. */
function approxBits(a: bigint): number {
  for (const [bound, negBound, bits] of BUCKETS) if (a < bound && a > negBound) return bits;
  return 2 * MAX_EXACT_BITS;
}

function checkBudget(a: bigint, what: string): bigint {
  // Comparisons only: a big value is not converted to measure it.
  if (a > NEG_SMALL && a < SMALL) return a;
  if (a >= LIMIT || a <= NEG_LIMIT) throw new BudgetExceeded(what);
  bigBitsMade += approxBits(a);
  return a;
}

/** An exact rational number n/d with d > 0 and gcd(n, d) = 1. */
export class Rational {
  readonly n: bigint;
  readonly d: bigint;

  private constructor(n: bigint, d: bigint) {
    this.n = n;
    this.d = d;
  }

  static of(n: bigint, d: bigint = 1n): Rational {
    if (d === 0n) throw new UndefinedValue("division by zero");
    if (d === 1n) return new Rational(checkBudget(n, "numerator"), 1n);
    if (d < 0n) {
      n = -n;
      d = -d;
    }
    const g = gcd(n, d);
    // Euclid on two big numbers is quadratic: the meter charges for it beyond the bits made.
    if (d >= SMALL && (n >= SMALL || n <= NEG_SMALL)) {
      const small = Math.min(approxBits(n), approxBits(d));
      bigBitsMade += Math.floor((small * small) / 4096);
    }
    if (g > 1n) {
      n /= g;
      d /= g;
    }
    return new Rational(checkBudget(n, "numerator"), checkBudget(d, "denominator"));
  }

  static readonly ZERO = new Rational(0n, 1n);
  static readonly ONE = new Rational(1n, 1n);

  /** Parses a plain decimal literal exactly: `-12.50`, `.5`, `8.`, `1e-3`, `2.5E+10`. */
  static parseDecimal(text: string): Rational | null {
    const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text);
    if (!m || (m[2] === "" && (m[3] ?? "") === "")) return null;
    const frac = m[3] ?? "";
    const exp = (m[4] ? Number(m[4]) : 0) - frac.length;
    if (!Number.isSafeInteger(exp) || Math.abs(exp) > MAX_EXACT_BITS) throw new BudgetExceeded("exponent");
    let n = BigInt((m[2] || "0") + frac);
    if (m[1] === "-") n = -n;
    return exp >= 0 ? Rational.of(n * 10n ** BigInt(exp)) : Rational.of(n, 10n ** BigInt(-exp));
  }

  isInteger(): boolean {
    return this.d === 1n;
  }

  isZero(): boolean {
    return this.n === 0n;
  }

  sign(): number {
    return this.n === 0n ? 0 : this.n < 0n ? -1 : 1;
  }

  add(o: Rational): Rational {
    return Rational.of(this.n * o.d + o.n * this.d, this.d * o.d);
  }

  sub(o: Rational): Rational {
    return Rational.of(this.n * o.d - o.n * this.d, this.d * o.d);
  }

  mul(o: Rational): Rational {
    return Rational.of(this.n * o.n, this.d * o.d);
  }

  div(o: Rational): Rational {
    if (o.n === 0n) throw new UndefinedValue("division by zero");
    return Rational.of(this.n * o.d, this.d * o.n);
  }

  neg(): Rational {
    return new Rational(-this.n, this.d);
  }

  abs(): Rational {
    return this.n < 0n ? this.neg() : this;
  }

  equals(o: Rational): boolean {
    return this.n === o.n && this.d === o.d;
  }

  compare(o: Rational): number {
    const l = this.n * o.d;
    const r = o.n * this.d;
    return l === r ? 0 : l < r ? -1 : 1;
  }

  /** Integer power with a size estimate made before any multiplication (R4). */
  pow(e: bigint): Rational {
    if (e === 0n) {
      if (this.n === 0n) throw new UndefinedValue("0^0");
      return Rational.ONE;
    }
    if (this.n === 0n) {
      if (e < 0n) throw new UndefinedValue("division by zero");
      return Rational.ZERO;
    }
    if (abs(this.n) === 1n && this.d === 1n) return Rational.of(this.n < 0n && e % 2n !== 0n ? -1n : 1n);
    const bits = Math.max(bitLength(this.n), bitLength(this.d)) - 1;
    if (abs(e) > BigInt(MAX_EXACT_BITS) || bits * Number(abs(e)) > MAX_EXACT_BITS) {
      throw new BudgetExceeded("power");
    }
    const k = abs(e);
    const r = Rational.of(this.n ** k, this.d ** k);
    return e < 0n ? Rational.ONE.div(r) : r;
  }

  /** Float approximation that never overflows into NaN: scales by powers of two first. */
  toNumber(): number {
    const nb = bitLength(this.n);
    const db = bitLength(this.d);
    if (nb < 1000 && db < 1000) return Number(this.n) / Number(this.d);
    const shiftN = Math.max(0, nb - 64);
    const shiftD = Math.max(0, db - 64);
    const mant = Number(this.n >> BigInt(shiftN)) / Number(this.d >> BigInt(shiftD));
    return mant * 2 ** (shiftN - shiftD);
  }

  toString(): string {
    return this.d === 1n ? this.n.toString() : `${this.n}/${this.d}`;
  }

  /** `-\frac{3}{2}`, `7`: LaTeX that the exact parser reads back to the same value. */
  toLatex(): string {
    const magnitude = this.d === 1n ? this.abs().n.toString() : `\\frac{${this.abs().n}}{${this.d}}`;
    return this.n < 0n ? `-${magnitude}` : magnitude;
  }
}

/** Exact n! by binary splitting, refused past the digit budget. */
export function factorial(n: bigint): bigint {
  if (n < 0n) throw new UndefinedValue("factorial of a negative number");
  // 25,206! is the first factorial past 100,000 digits.
  if (n > 25_206n) throw new BudgetExceeded("factorial");
  return productRange(1n, n);
}

function productRange(a: bigint, b: bigint): bigint {
  if (b - a < 16n) {
    let r = 1n;
    for (let i = a; i <= b; i++) r *= i;
    return r;
  }
  const m = (a + b) / 2n;
  return productRange(a, m) * productRange(m + 1n, b);
}

/** Exact binomial coefficient C(n, k) for integers n ≥ 0, refused past the digit budget. */
export function binomial(n: bigint, k: bigint): bigint {
  if (k < 0n || k > n) return 0n;
  if (k > n - k) k = n - k;
  if (k === 0n) return 1n;
  // log2 C(n, k) ≤ n·H(k/n), the binary entropy bound: refuse before multiplying.
  const p = Number(k) / Number(n);
  const bits = Number(n) * -(p * Math.log2(p) + (1 - p) * Math.log2(1 - p));
  if (!Number.isFinite(bits) || bits > MAX_EXACT_BITS) throw new BudgetExceeded("binomial");
  return productRange(n - k + 1n, n) / productRange(1n, k);
}
