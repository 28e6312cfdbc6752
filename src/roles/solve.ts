import type { GenerateOptions, Policy } from "../policy/types.ts";
import { reasonerPrompt } from "../spice/prompts.ts";
import { passRate, scoreRollout, type Gold, type RolloutScore } from "../spice/reasoner.ts";
import type { McqOptions } from "../verify/types.ts";
import type { Step } from "./challenge.ts";

/** The reasoner with a policy (docs/method.md §1 step 3): K rollouts per question, each scored. */

export interface Question {
  question: string;
  options?: McqOptions;
  /** With a gold answer every rollout is verified and a pass rate given. */
  gold?: Gold;
}

export interface SolveOptions {
  /** K: rollouts per question. */
  rollouts: number;
  temperature?: number;
  topP?: number;
  maxTokens?: number;
  seed?: number;
  onToken?: GenerateOptions["onToken"];
  /** Cancels the call (an HTTP client gone, a trainer stop): it rejects with `Cancelled`. */
  signal?: AbortSignal;
}

export interface Rollout extends RolloutScore {
  text: string;
  step: Step;
}

export interface SolveResult {
  prompt: string;
  rollouts: Rollout[];
  /** Present when a gold answer was given. */
  passRate?: number;
}

/** Solves several questions in one generate call, so they share batches. */
export async function solveMany(policy: Policy, questions: Question[], options: SolveOptions): Promise<SolveResult[]> {
  const results = await policy.generate(
    questions.map((q) => reasonerPrompt(q.question, q.options)),
    {
      n: options.rollouts,
      temperature: options.temperature ?? 1.0,
      topP: options.topP ?? 1.0,
      maxTokens: options.maxTokens ?? 512,
      seed: options.seed,
      onToken: options.onToken,
      ...(options.signal ? { signal: options.signal } : {}),
    },
  );
  return results.map((r, i) => {
    const gold = questions[i]!.gold;
    const rollouts = r.completions.map((completion) => ({
      text: completion.text,
      ...scoreRollout(completion.text, gold),
      step: { prompt: r.prompt, promptTokenIds: r.promptTokenIds, completion },
    }));
    return { prompt: r.prompt, rollouts, ...(gold ? { passRate: passRate(rollouts) } : {}) };
  });
}

export async function solve(policy: Policy, question: Question, options: SolveOptions): Promise<SolveResult> {
  const [r] = await solveMany(policy, [question], options);
  return r!;
}
