import { mixSeed } from "../policy/sampling.ts";
import type { Policy } from "../policy/types.ts";
import { solveMany, type Question } from "../roles/solve.ts";
import type { EvalItem } from "./dataset.ts";
import { scores, scoresByGroup, type ItemOutcome, type Scores } from "./metrics.ts";
import { bootstrapMean, MCQ_CHANCE } from "./stats.ts";

/** A model as the reasoner over a dataset: K sampled answers and one greedy answer per item, each verified. */

export interface EvalOptions {
  k: number;
  temperature: number;
  maxTokens: number;
  seed: number;
  /** Items per generate() call; their K samples are batched together. */
  batchItems: number;
  onProgress?: (done: number, total: number) => void;
}

export interface ItemResult {
  id: string;
  group?: string;
  answerType: string;
  greedy: { text: string; extracted: string | null; correct: boolean };
  samples: { extracted: string | null; correct: boolean }[];
}

export interface EvalReport extends Scores {
  groups: Record<string, Scores>;
  /** Scores per answer type (Integer, String, MCQ, …): MCQ is beside its chance level. */
  by_answer_type: Record<string, Scores>;
  /** What guessing scores on the MCQ items (one of four). */
  mcq_chance: number;
  /** 95% percentile-bootstrap intervals over items (seeded, 2,000 resamples): [low, high]. */
  ci95: { pass_at_1: [number, number]; avg_at_k: [number, number] };
  items: ItemResult[];
}

function question(item: EvalItem): Question {
  return {
    question: item.question,
    ...(item.options ? { options: item.options } : {}),
    gold: { answer: item.answer, answerType: item.answerType, ...(item.options ? { options: item.options } : {}) },
  };
}

export async function runEval(policy: Policy, items: readonly EvalItem[], o: EvalOptions): Promise<EvalReport> {
  const results: ItemResult[] = [];
  for (let start = 0, batch = 0; start < items.length; start += o.batchItems, batch++) {
    const chunk = items.slice(start, start + o.batchItems);
    const questions = chunk.map(question);
    const common = { maxTokens: o.maxTokens, seed: mixSeed(o.seed, batch) };
    // Both calls queue their rows at once, so the greedy and the sampled rows share decode batches
    // (every row keeps its own seed: the answers do not depend on how rows are batched).
    const [greedy, sampled] = await Promise.all([
      solveMany(policy, questions, { ...common, rollouts: 1, temperature: 0 }),
      solveMany(policy, questions, { ...common, rollouts: o.k, temperature: o.temperature }),
    ]);
    chunk.forEach((item, i) => {
      const g = greedy[i]!.rollouts[0]!;
      results.push({
        id: item.id,
        ...(item.group !== undefined ? { group: item.group } : {}),
        answerType: item.answerType,
        greedy: { text: g.text, extracted: g.extracted, correct: g.correct === true },
        samples: sampled[i]!.rollouts.map((r) => ({ extracted: r.extracted, correct: r.correct === true })),
      });
    });
    o.onProgress?.(results.length, items.length);
  }
  const outcomes: ItemOutcome[] = results.map((r) => ({
    samples: r.samples.map((s) => s.correct),
    greedy: r.greedy.correct,
    ...(r.group !== undefined ? { group: r.group } : {}),
    answerType: r.answerType,
  }));
  const interval = (values: number[]): [number, number] => {
    const ci = bootstrapMean(values, { seed: o.seed });
    return [ci.lo, ci.hi];
  };
  return {
    ...scores(outcomes, o.k),
    groups: scoresByGroup(outcomes, o.k),
    by_answer_type: scoresByGroup(outcomes, o.k, (it) => it.answerType),
    mcq_chance: MCQ_CHANCE,
    ci95: {
      pass_at_1: interval(outcomes.map((it) => (it.greedy ? 1 : 0))),
      avg_at_k: interval(outcomes.map((it) => it.samples.filter(Boolean).length / Math.max(1, it.samples.length))),
    },
    items: results,
  };
}
