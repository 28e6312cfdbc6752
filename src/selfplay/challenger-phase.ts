import { mixSeed } from "../policy/sampling.ts";
import type { Policy } from "../policy/types.ts";
import { type ChallengeResult, challengeMany } from "../roles/challenge.ts";
import type { Document, SelfPlaySettings } from "./settings.ts";

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
