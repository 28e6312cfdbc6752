import type { Rng } from "../prng.ts";
import { MCQ_LETTERS, type McqOptions } from "../verify/types.ts";

/** Seeded draws the document kinds share. */

/** Uniform integer in lo…hi (inclusive). */
export function between(rng: Rng, lo: number, hi: number): number {
  return lo + rng.int(hi - lo + 1);
}

/** n distinct items in random order (partial Fisher–Yates). */
export function distinct<T>(rng: Rng, items: readonly T[], n: number): T[] {
  const pool = [...items];
  for (let i = 0; i < n; i++) {
    const j = i + rng.int(pool.length - i);
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  return pool.slice(0, n);
}

/** n distinct integers in lo…hi; the range must hold n values. */
export function distinctInts(rng: Rng, lo: number, hi: number, n: number): number[] {
  return distinct(
    rng,
    Array.from({ length: hi - lo + 1 }, (_, i) => lo + i),
    n,
  );
}

/** Four options in random order and the letter of `correct`; the three others must differ from it and each other. */
export function shuffleOptions(
  rng: Rng,
  correct: string,
  others: readonly string[],
): { options: McqOptions; letter: string } {
  const order = distinct(rng, [correct, ...others], 4);
  const options = Object.fromEntries(MCQ_LETTERS.map((l, i) => [l, order[i]!])) as McqOptions;
  return { options, letter: MCQ_LETTERS[order.indexOf(correct)]! };
}
