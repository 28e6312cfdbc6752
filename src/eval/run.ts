import { mixSeed } from "../policy/sampling.ts";
import type { Policy } from "../policy/types.ts";
import { solveMany, type Question } from "../roles/solve.ts";
import type { EvalItem } from "./dataset.ts";
import { scores, scoresByGroup, type ItemOutcome, type Scores } from "./metrics.ts";

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
  greedy: { text: string; extracted: string | null; correct: boolean };
  samples: { extracted: string | null; correct: boolean }[];
}

export interface EvalReport extends Scores {
  groups: Record<string, Scores>;
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
    const greedy = await solveMany(policy, questions, { ...common, rollouts: 1, temperature: 0 });
    const sampled = await solveMany(policy, questions, { ...common, rollouts: o.k, temperature: o.temperature });
    chunk.forEach((item, i) => {
      const g = greedy[i]!.rollouts[0]!;
      results.push({
        id: item.id,
        ...(item.group !== undefined ? { group: item.group } : {}),
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
  }));
  return { ...scores(outcomes, o.k), groups: scoresByGroup(outcomes, o.k), items: results };
}
