import { mixSeed } from "../policy/sampling.ts";
import type { Policy } from "../policy/types.ts";
import { type ChallengeResult, challengeMany } from "../roles/challenge.ts";
import { guardTask } from "../spice/guard.ts";
import type { Document, SelfPlaySettings, TaskOracle } from "./settings.ts";

/**
 * Step 2: the challenger's G samples per document, in rounds up to max_attempts. Every document's
 * round is submitted at once (so a pool of inference servers is kept busy), each document with its own
 * seed; the rows reach the batching queue in a fixed order, so a seeded phase repeats exactly.
 */
export async function runChallengerPhase(
  policy: Policy,
  docs: ReadonlyArray<Document | null>,
  s: SelfPlaySettings,
  args: { seed: number; signal?: AbortSignal },
): Promise<ChallengeResult[]> {
  args.signal?.throwIfAborted();
  return challengeMany(
    policy,
    docs.map((doc, slot) => ({ document: doc?.text ?? null, seed: mixSeed(args.seed, 1, slot) })),
    {
      samples: s.challengerSamples,
      maxAttempts: s.maxAttempts,
      taskTypes: s.taskTypes,
      temperature: s.temperature,
      topP: s.topP,
      maxTokens: s.maxNewTokens,
      ...(args.signal ? { signal: args.signal } : {}),
    },
  );
}

/** The oracle baseline's "challenger": G gold tasks of each drawn document, as one round with no policy steps. */
export function oracleChallenges(
  oracle: TaskOracle,
  docs: ReadonlyArray<Document | null>,
  s: SelfPlaySettings,
  seed: number,
): ChallengeResult[] {
  return docs.map((doc, slot) => {
    const tasks = doc ? oracle(doc, s.challengerSamples, mixSeed(seed, 1, slot)) : [];
    return {
      document: doc?.text ?? null,
      truncated: false,
      attempts: tasks.length,
      rounds: 1,
      skipped: !tasks.some((t) => t.valid),
      group: tasks.map((result) => ({ selection: null, task: null, result })),
    };
  });
}

/** The collapse guard on one document's draw: rejected tasks become invalid; a draw left with none is skipped. */
export function guardChallenge(c: ChallengeResult): ChallengeResult {
  const group = c.group.map((sample) => ({ ...sample, result: guardTask(sample.result) }));
  return { ...c, group, skipped: c.skipped || !group.some((sample) => sample.result.valid) };
}
