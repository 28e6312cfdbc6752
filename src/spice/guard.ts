import type { ChallengerTask } from "./challenger.ts";
import { INVALID_PENALTY } from "./rewards.ts";

/**
 * The collapse guard: beyond the paper, off by default (trainer key `task_guard`; docs/method.md
 * "Beyond the paper"). A weak challenger whose outputs are mostly invalid can earn a positive
 * advantage with a trivial task (a valid task at p̂ = 1 earns more than the invalid penalty ρ), and
 * drift to tasks the reasoner answers with one constant. Two closures, both pure:
 *
 * 1. `guardTask`: a task whose question is shorter than a few words, or whose numeric gold answer
 *    stands verbatim in the question, is rejected as invalid (it gets ρ and no reasoner rollouts).
 * 2. `guardRewards`: in a group with invalid siblings, a valid task at p̂ ∈ {0, 1} is rewarded no
 *    more than ρ, so a trivial (or unanswerable) task is never preferred to writing nothing valid.
 */

/** Fewest words a guarded question may have. */
export const MIN_QUESTION_WORDS = 6;

const words = (text: string) => text.split(/\s+/).filter((w) => /[\p{L}\p{N}]/u.test(w));

/** Numbers as written in text: signs, separators and decimals kept apart from surrounding words. */
function numbersIn(text: string): string[] {
  return [...text.matchAll(/-?\d[\d,]*(?:\.\d+)?/g)].map((m) => m[0].replace(/,/g, ""));
}

/** Why a valid task is rejected by the guard, or null when it passes (invalid tasks pass through unchanged). */
export function guardReason(task: ChallengerTask, minWords = MIN_QUESTION_WORDS): string | null {
  if (!task.valid) return null;
  const n = words(task.question).length;
  if (n < minWords) return `guard: question has ${n} words (fewer than ${minWords})`;
  if (task.answerType === "Integer" || task.answerType === "Expression") {
    const gold = task.answer.trim().replace(/,/g, "");
    if (/^-?\d+(?:\.\d+)?$/.test(gold) && numbersIn(task.question).includes(gold))
      return "guard: the gold answer stands verbatim in the question";
  }
  if (task.answerType === "MCQ" && task.options) {
    const right = task.options[task.answer as keyof typeof task.options]?.trim().toLowerCase();
    const distinct = right && Object.values(task.options).filter((o) => o.trim().toLowerCase() === right).length > 1;
    if (distinct) return "guard: the right option is repeated among the options";
  }
  return null;
}

/** The task with the guard applied: a rejected task becomes invalid with the guard's reason. */
export function guardTask(task: ChallengerTask, minWords = MIN_QUESTION_WORDS): ChallengerTask {
  const reason = guardReason(task, minWords);
  return reason === null ? task : { ...task, valid: false, error: reason };
}

/**
 * Challenger rewards with the p̂ ∈ {0, 1} cap: when some sibling in the group is invalid, a valid
 * task that every rollout solved (or none did) gets at most ρ.
 */
export function guardRewards(
  rewards: readonly number[],
  valid: readonly boolean[],
  passRates: ReadonlyArray<number | null>,
): number[] {
  const anyInvalid = valid.some((v) => !v);
  return rewards.map((r, i) => {
    const p = passRates[i];
    return anyInvalid && valid[i] && (p === 0 || p === 1) ? Math.min(r, INVALID_PENALTY) : r;
  });
}
