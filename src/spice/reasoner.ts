import { extractAnswer } from "../verify/extract.ts";
import { verify } from "../verify/index.ts";
import type { AnswerType, McqOptions } from "../verify/types.ts";
import type { ChallengerTask } from "./challenger.ts";

/** The reasoner's pure part: reading and scoring its rollouts (docs/method.md §1 step 3). */

export interface Gold {
  answer: string;
  answerType: AnswerType;
  options?: McqOptions;
}

/** The gold answer a valid task carries; an invalid task has none and goes to no reasoner. */
export function goldOf(task: ChallengerTask): Gold | null {
  if (!task.valid || !task.answerType) return null;
  return { answer: task.answer, answerType: task.answerType, ...(task.options ? { options: task.options } : {}) };
}

export interface RolloutScore {
  /** The final answer as read from the response, or null when there is none. */
  extracted: string | null;
  /** Present when a gold answer was given. */
  correct?: boolean;
  /** Why the verifier decided as it did (with a gold answer), or why nothing was extracted. */
  reason?: string;
}

export function scoreRollout(text: string, gold?: Gold): RolloutScore {
  if (gold) {
    const v = verify(text, gold.answer, gold.answerType, gold.options);
    return { extracted: v.extracted ?? null, correct: v.correct, reason: v.reason };
  }
  const e = extractAnswer(text);
  return e.ok ? { extracted: e.answer } : { extracted: null, reason: e.reason };
}

/** Fraction of rollouts judged correct: p̂ in the challenger's reward. */
export function passRate(scores: readonly RolloutScore[]): number {
  if (scores.length === 0) return 0;
  return scores.filter((s) => s.correct === true).length / scores.length;
}
