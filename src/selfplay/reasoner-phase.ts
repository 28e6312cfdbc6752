import { mixSeed } from "../policy/sampling.ts";
import type { Policy } from "../policy/types.ts";
import type { ChallengeResult } from "../roles/challenge.ts";
import { solveMany, type SolveResult } from "../roles/solve.ts";
import type { ChallengerTask } from "../spice/challenger.ts";
import { goldOf, scoreRollout, type Gold } from "../spice/reasoner.ts";
import type { VerifiedRollout } from "./score.ts";
import type { SelfPlaySettings } from "./settings.ts";

/** Step 3: the reasoner's K rollouts for every valid task, then each one verified against the task's gold answer. */

/** A valid task of the iteration: where it came from (slot, sample in the group) and its gold answer. */
export interface ValidTask {
  slot: number;
  sample: number;
  task: ChallengerTask;
  gold: Gold;
}

export function validTasks(challenges: readonly ChallengeResult[]): ValidTask[] {
  return challenges.flatMap((c, slot) =>
    c.group.flatMap((s, sample) => {
      const gold = goldOf(s.result);
      return gold ? [{ slot, sample, task: s.result, gold }] : [];
    }),
  );
}

/** Every valid task of every document in one generate call (one batch composition, so one seeded output). */
export async function solveTasks(
  policy: Policy,
  tasks: readonly ValidTask[],
  s: SelfPlaySettings,
  seed: number,
  signal?: AbortSignal,
): Promise<SolveResult[]> {
  if (tasks.length === 0) return [];
  return solveMany(
    policy,
    tasks.map((v) => ({ question: v.task.question, ...(v.task.options ? { options: v.task.options } : {}) })),
    {
      rollouts: s.reasonerRollouts,
      temperature: s.temperature,
      topP: s.topP,
      maxTokens: s.maxNewTokens,
      seed: mixSeed(seed, 2),
      ...(signal ? { signal } : {}),
    },
  );
}

/** The verdicts, laid out per slot and per challenger sample (null: the sample's task went to no reasoner). */
export function verifyRollouts(
  challenges: readonly ChallengeResult[],
  tasks: readonly ValidTask[],
  solved: readonly SolveResult[],
): Array<Array<VerifiedRollout[] | null>> {
  const out = challenges.map((c) => c.group.map((): VerifiedRollout[] | null => null));
  for (const [k, v] of tasks.entries()) {
    const verified = solved[k]!.rollouts.map((ro) => ({
      text: ro.text,
      step: ro.step,
      verdict: scoreRollout(ro.text, v.gold),
    }));
    out[v.slot]![v.sample] = verified;
  }
  return out;
}
