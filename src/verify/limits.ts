/** Robustness limits (docs/verifier-rules.md R2–R4). Exported so surfaces and docs quote the same numbers. */

/** R2: a response longer than this is answered false without extraction. */
export const MAX_RESPONSE_CHARS = 50_000;

/** R3: an extracted answer nested deeper than this (braces, brackets, parentheses) is false. */
export const MAX_NESTING_DEPTH = 100;

/** R4: exact values are kept up to this many decimal digits; anything larger is refused. */
export const MAX_EXACT_DIGITS = 100_000;

/** log2(10): converts the digit budget into a bit budget that BigInt can check cheaply. */
export const MAX_EXACT_BITS = Math.ceil(MAX_EXACT_DIGITS * 3.3219280948873626) + 64;

/**
 * Answers longer than this are not handed to the LaTeX parser: real answers are short, and
 * parsing cost grows with length. Plain number literals (up to the digit budget) bypass it.
 */
export const MAX_PARSED_ANSWER_CHARS = 1_000;

/** N1: a finite sum or product is evaluated term by term, at most this many terms in one value (else R4). */
export const MAX_SUM_TERMS = 10_000;

/**
 * N1: the work one sum or product may spend on its terms, in bits of big values made (the
 * exact meter of rational.ts), and in tree nodes evaluated (terms × size of the body).
 * Past either, the value is refused (R4); about half a second at most on this machine.
 */
export const MAX_SUM_WORK_BITS = 4_000_000;
export const MAX_SUM_NODES = 500_000;

/**
 * N1: an exact sum or product whose running denominator passes this many bits is finished
 * numerically instead (harmonic-like sums), so that no sum costs a gcd of huge numbers per term.
 */
export const MAX_SUM_DENOMINATOR_BITS = 1_024;
