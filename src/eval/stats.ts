import { createRng } from "../prng.ts";

/**
 * The statistics behind a trustworthy held-out score (docs/eval.md "Intervals"): a seeded percentile
 * bootstrap over items, a stratified sample that keeps each stratum's share, and the chance level of
 * multiple-choice items. Pure: no I/O.
 */

/** Four options, one right: what guessing scores on an MCQ item. */
export const MCQ_CHANCE = 0.25;

export interface Interval {
  /** The statistic on the data as given. */
  mean: number;
  /** The interval's bounds (percentiles of the resampled means). */
  lo: number;
  hi: number;
  /** Items (the resampling unit). */
  n: number;
}

export interface BootstrapOptions {
  /** Resamples drawn (default 2000). */
  resamples?: number;
  /** Seed of the resampling (default 1): the same data and seed give the same interval. */
  seed?: number;
  /** Coverage (default 0.95). */
  level?: number;
}

const mean = (xs: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i]!;
  return xs.length ? s / xs.length : Number.NaN;
};

/** Linear-interpolated quantile of sorted values. */
function quantile(sorted: Float64Array, q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/**
 * Percentile bootstrap interval of the mean of per-item values (0/1 verdicts for an accuracy,
 * differences for a paired gain): items are drawn with replacement, `resamples` times.
 */
export function bootstrapMean(values: readonly number[], o: BootstrapOptions = {}): Interval {
  const n = values.length;
  if (n === 0) return { mean: Number.NaN, lo: Number.NaN, hi: Number.NaN, n: 0 };
  const resamples = o.resamples ?? 2000;
  const level = o.level ?? 0.95;
  if (!(level > 0 && level < 1)) throw new RangeError("level must lie strictly between 0 and 1");
  if (!(resamples >= 1)) throw new RangeError("resamples must be >= 1");
  const rng = createRng(o.seed ?? 1);
  const means = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += values[rng.int(n)]!;
    means[r] = s / n;
  }
  means.sort();
  const tail = (1 - level) / 2;
  return { mean: mean(values), lo: quantile(means, tail), hi: quantile(means, 1 - tail), n };
}

/**
 * Interval of a paired gain over the same items: per item, `after` minus `before`, where `after` may
 * hold several runs (seeds) of the same items, averaged per item first. The items are the resampling
 * unit, so the interval covers which items happened to be in the set; the spread over seeds is
 * reported beside it.
 */
export function pairedGain(
  before: readonly number[],
  after: ReadonlyArray<readonly number[]>,
  o: BootstrapOptions = {},
): Interval {
  if (after.length === 0) throw new RangeError("no runs to compare");
  for (const a of after)
    if (a.length !== before.length) throw new RangeError("every run must score the same items as the baseline");
  const diffs = before.map((b, i) => mean(after.map((a) => a[i]!)) - b);
  return bootstrapMean(diffs, o);
}

/**
 * A sample of `n` items that keeps each stratum's share (largest-remainder allocation), drawn with a
 * seeded shuffle inside each stratum and returned in the items' original order. With n ≥ the item
 * count every item is returned.
 */
export function stratifiedSample<T>(items: readonly T[], stratum: (item: T) => string, n: number, seed: number): T[] {
  if (n >= items.length) return [...items];
  if (n <= 0) return [];
  const byStratum = new Map<string, number[]>();
  items.forEach((it, i) => {
    const key = stratum(it);
    const list = byStratum.get(key) ?? [];
    list.push(i);
    byStratum.set(key, list);
  });
  const strata = [...byStratum.entries()];
  const exact = strata.map(([, idx]) => (idx.length * n) / items.length);
  const take = exact.map(Math.floor);
  let left = n - take.reduce((a, b) => a + b, 0);
  // The remaining slots go to the largest remainders (ties: the larger stratum, then first seen).
  const order = strata
    .map((_, s) => s)
    .sort(
      (a, b) => exact[b]! - take[b]! - (exact[a]! - take[a]!) || strata[b]![1].length - strata[a]![1].length || a - b,
    );
  for (const s of order) {
    if (left === 0) break;
    take[s]!++;
    left--;
  }
  const rng = createRng(seed);
  const chosen: number[] = [];
  strata.forEach(([, idx], s) => {
    const pool = [...idx];
    for (let i = 0; i < take[s]!; i++) {
      const j = i + rng.int(pool.length - i);
      [pool[i], pool[j]] = [pool[j]!, pool[i]!];
    }
    chosen.push(...pool.slice(0, take[s]!));
  });
  return chosen.sort((a, b) => a - b).map((i) => items[i]!);
}

/** Sample standard deviation (n − 1); 0 for fewer than two values. */
export function sampleSd(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
}
