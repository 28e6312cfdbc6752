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
