/**
 * `/aggregate_metrics` (NeMo-Gym's AggregateMetrics, docs/gym.md#the-contract), pure: the verify answers of
 * one evaluation grouped by `_ng_task_index`, with mean/max/min/median/std of every numeric or boolean top-level
 * field (`reward`, `p_hat`, `valid`, `correct`, …) per task and over all, as NeMo-Gym's reward profiler names them;
 * `key_metrics` are the `mean/*` entries plus the SPICE headline rates.
 */

export interface AggregateMetrics {
  group_level_metrics: Record<string, unknown>[];
  agent_metrics: Record<string, unknown>;
  key_metrics: Record<string, unknown>;
}

const INDEX_KEYS = new Set(["_ng_task_index", "_ng_rollout_index", "spice_row"]);

function numericFields(rows: readonly Record<string, unknown>[]): Map<string, number[]> {
  const fields = new Map<string, number[]>();
  for (const row of rows) {
    for (const [k, v] of Object.entries(row)) {
      if (INDEX_KEYS.has(k)) continue;
      const x = typeof v === "boolean" ? Number(v) : typeof v === "number" && Number.isFinite(v) ? v : null;
      if (x === null) continue;
      const list = fields.get(k) ?? [];
      list.push(x);
      fields.set(k, list);
    }
  }
  return fields;
}

function stats(name: string, xs: readonly number[]): Record<string, number> {
  const sorted = [...xs].sort((a, b) => a - b);
  const n = sorted.length;
  const mean = sorted.reduce((a, b) => a + b, 0) / n;
  const median = n % 2 ? sorted[(n - 1) / 2]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2;
  const std = Math.sqrt(sorted.reduce((a, b) => a + (b - mean) ** 2, 0) / n);
  return {
    [`mean/${name}`]: mean,
    [`max/${name}`]: sorted[n - 1]!,
    [`min/${name}`]: sorted[0]!,
    [`median/${name}`]: median,
    [`std/${name}`]: std,
  };
}

function profile(rows: readonly Record<string, unknown>[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, xs] of numericFields(rows)) Object.assign(out, stats(name, xs));
  return out;
}

const rate = (rows: readonly Record<string, unknown>[], key: string) => {
  const xs = rows.filter((r) => typeof r[key] === "boolean");
  return xs.length ? xs.filter((r) => r[key] === true).length / xs.length : null;
};

export function aggregateMetrics(verifyResponses: readonly Record<string, unknown>[]): AggregateMetrics {
  if (verifyResponses.length === 0) return { group_level_metrics: [], agent_metrics: {}, key_metrics: {} };
  const groups = new Map<number, Record<string, unknown>[]>();
  for (const r of verifyResponses) {
    const idx = typeof r._ng_task_index === "number" ? r._ng_task_index : 0;
    const list = groups.get(idx) ?? [];
    list.push(r);
    groups.set(idx, list);
  }
  const group_level_metrics = [...groups.keys()]
    .sort((a, b) => a - b)
    .map((idx) => ({ _ng_task_index: idx, num_rollouts: groups.get(idx)!.length, ...profile(groups.get(idx)!) }));
  const challenger = verifyResponses.filter((r) => r.spice_role === "challenger");
  const reasoner = verifyResponses.filter((r) => r.spice_role !== "challenger" && typeof r.correct === "boolean");
  const headline: Record<string, number> = {};
  const validRate = rate(challenger, "valid");
  if (validRate !== null) headline["spice/challenger_valid_rate"] = validRate;
  const pHats = challenger.flatMap((r) => (typeof r.p_hat === "number" ? [r.p_hat] : []));
  if (pHats.length) headline["spice/mean_p_hat"] = pHats.reduce((a, b) => a + b, 0) / pHats.length;
  const accuracy = rate(reasoner, "correct");
  if (accuracy !== null) headline["spice/reasoner_accuracy"] = accuracy;
  const agent_metrics = {
    num_tasks: groups.size,
    num_rollouts: verifyResponses.length,
    ...profile(verifyResponses),
    ...headline,
  };
  const key_metrics = Object.fromEntries(
    Object.entries(agent_metrics).filter(([k]) => k.startsWith("mean/") || k.startsWith("spice/")),
  );
  return { group_level_metrics, agent_metrics, key_metrics };
}
