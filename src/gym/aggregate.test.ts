import { describe, expect, test } from "bun:test";
import { aggregateMetrics } from "./aggregate.ts";

describe("/aggregate_metrics", () => {
  test("groups by _ng_task_index with mean/max/min/median/std of numeric and boolean fields", () => {
    const m = aggregateMetrics([
      { _ng_task_index: 1, _ng_rollout_index: 0, reward: 1, correct: true, response: {} },
      { _ng_task_index: 1, _ng_rollout_index: 1, reward: 0, correct: false },
      { _ng_task_index: 0, reward: 0.9879, spice_role: "challenger", valid: true, p_hat: 0.375 },
      { _ng_task_index: 0, reward: -0.1, spice_role: "challenger", valid: false, p_hat: null },
    ]);
    expect(m.group_level_metrics.map((g) => g._ng_task_index)).toEqual([0, 1]);
    expect(m.group_level_metrics[1]).toMatchObject({
      num_rollouts: 2,
      "mean/reward": 0.5,
      "max/reward": 1,
      "min/reward": 0,
      "median/reward": 0.5,
      "std/reward": 0.5,
      "mean/correct": 0.5,
    });
    expect(m.group_level_metrics[1]).not.toHaveProperty("mean/_ng_rollout_index");
    expect(m.agent_metrics).toMatchObject({ num_tasks: 2, num_rollouts: 4 });
    expect(m.agent_metrics["mean/reward"]).toBeCloseTo((1 + 0 + 0.9879 - 0.1) / 4, 12);
    expect(m.key_metrics).toMatchObject({
      "spice/challenger_valid_rate": 0.5,
      "spice/mean_p_hat": 0.375,
      "spice/reasoner_accuracy": 0.5,
    });
    expect(Object.keys(m.key_metrics).every((k) => k.startsWith("mean/") || k.startsWith("spice/"))).toBe(true);
  });

  test("no answers, no metrics", () => {
    expect(aggregateMetrics([])).toEqual({ group_level_metrics: [], agent_metrics: {}, key_metrics: {} });
  });
});
