import type { Step } from "../roles/challenge.ts";
import type { SegmentRecord } from "./record.ts";
import type { SlotDraw } from "./score.ts";

/** Step 5 of an iteration, pure: the metrics the trainer logs, stores and exports. */

const completionTokens = (s: Step | null | undefined) => s?.completion.tokenIds?.length ?? 0;

/** Tokens the policies generated in the iteration: both challenger steps of every sample, and every rollout. */
export function generatedTokens(slots: readonly SlotDraw[]): number {
  let tokens = 0;
  for (const slot of slots) {
    for (const [i, sample] of slot.challenge.group.entries()) {
      tokens += completionTokens(sample.selection) + completionTokens(sample.task);
      for (const ro of slot.rollouts[i] ?? []) tokens += completionTokens(ro.step);
    }
  }
  return tokens;
}

const mean = (xs: readonly number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
/** Population standard deviation: the spread of the advantages the learner receives. */
const std = (xs: readonly number[]) => {
  const m = mean(xs);
  return Math.sqrt(mean(xs.map((x) => (x - m) ** 2)));
};

/** Tallies keys in first-seen order. */
function count(keys: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const k of keys) counts[k] = (counts[k] ?? 0) + 1;
  return counts;
}

/**
 * The iteration's metrics from its scored records. Scalars go to the metrics table, the log and
 * Prometheus; `pass_rate_histogram` (index = correct rollouts out of K) and `invalid_reasons`
 * are stored with the iteration only.
 */
export function iterationMetrics(
  segments: readonly SegmentRecord[],
  o: { reasonerRollouts: number; tokens: number; seconds: Readonly<Record<string, number>> },
): Record<string, unknown> {
  const tasks = segments.flatMap((sg) => sg.tasks);
  const rollouts = tasks.flatMap((t) => t.rollouts);
  const passRates = tasks.flatMap((t) => (t.passRate === null ? [] : [t.passRate]));
  const valid = tasks.filter((t) => t.valid);
  const histogram = Array.from({ length: o.reasonerRollouts + 1 }, () => 0);
  for (const p of passRates) histogram[Math.round(p * o.reasonerRollouts)]!++;
  const mix = count(valid.map((t) => (t.taskType === "mcq" ? "mcq" : `free_form.${t.answerType}`)));
  const invalidReasons = count(tasks.filter((t) => !t.valid).map((t) => (t.reason ?? "invalid").slice(0, 120)));
  return {
    "challenger.samples": tasks.length,
    "challenger.attempts": segments.reduce((n, sg) => n + sg.attempts, 0),
    "challenger.valid_rate": tasks.length ? valid.length / tasks.length : 0,
    "challenger.docs_skipped": segments.filter((sg) => sg.skipped).length,
    "challenger.mean_reward": mean(tasks.map((t) => t.reward)),
    "tasks.valid": valid.length,
    "reasoner.rollouts": rollouts.length,
    "reasoner.accuracy": rollouts.length ? rollouts.filter((r) => r.correct).length / rollouts.length : 0,
    "pass_rate.mean": mean(passRates),
    "advantage.challenger_std": std(tasks.map((t) => t.advantage)),
    "advantage.reasoner_std": std(rollouts.map((r) => r.advantage)),
    "tokens.generated": o.tokens,
    ...Object.fromEntries(Object.entries(mix).map(([k, v]) => [`mix.${k}`, v])),
    ...Object.fromEntries(Object.entries(o.seconds).map(([k, v]) => [`seconds.${k}`, v])),
    pass_rate_histogram: histogram,
    invalid_reasons: invalidReasons,
  };
}
