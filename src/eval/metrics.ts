/**
 * The scores `spice eval` reports, from per-item verdicts:
 * - avg@K: mean accuracy over all K sampled answers of all items, mean_i(c_i / K). This is also
 *   the unbiased estimate of pass@1 from K samples, so the two would coincide; hence
 * - pass@1: the accuracy of one greedy (temperature 0) answer per item, as most harnesses report it;
 * - pass@K: the share of items with at least one correct answer among the K samples.
 */

export interface ItemOutcome {
  /** One verdict per sampled answer. */
  samples: boolean[];
  greedy: boolean;
  group?: string;
  answerType?: string;
}

export interface Scores {
  n: number;
  k: number;
  avg_at_k: number;
  pass_at_1: number;
  pass_at_k: number;
}

export function scores(items: readonly ItemOutcome[], k: number): Scores {
  const n = items.length;
  if (n === 0) return { n: 0, k, avg_at_k: 0, pass_at_1: 0, pass_at_k: 0 };
  let avg = 0;
  let greedy = 0;
  let any = 0;
  for (const it of items) {
    avg += it.samples.filter(Boolean).length / it.samples.length;
    if (it.greedy) greedy++;
    if (it.samples.some(Boolean)) any++;
  }
  return { n, k, avg_at_k: avg / n, pass_at_1: greedy / n, pass_at_k: any / n };
}

/** Scores per group (difficulty, subject), for items that carry one; groups in first-seen order. */
export function scoresByGroup(
  items: readonly ItemOutcome[],
  k: number,
  key: (it: ItemOutcome) => string | undefined = (it) => it.group,
): Record<string, Scores> {
  const groups = Map.groupBy(
    items.filter((it) => key(it) !== undefined),
    (it) => key(it)!,
  );
  return Object.fromEntries([...groups].map(([g, its]) => [g, scores(its, k)]));
}
