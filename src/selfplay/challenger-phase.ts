import { mixSeed } from "../policy/sampling.ts";
import type { Policy } from "../policy/types.ts";
import { challenge, type ChallengeResult } from "../roles/challenge.ts";
import type { Document, SelfPlaySettings } from "./settings.ts";

/**
 * Step 2: the challenger's G samples per document, in rounds up to max_attempts. One document
 * at a time, so each call's batch composition (and so its seeded output) is fixed.
 */
export async function runChallengerPhase(
  policy: Policy,
  docs: ReadonlyArray<Document | null>,
  s: SelfPlaySettings,
  args: { seed: number; signal?: AbortSignal },
): Promise<ChallengeResult[]> {
  const challenges: ChallengeResult[] = [];
  for (const [slot, doc] of docs.entries()) {
    args.signal?.throwIfAborted();
    challenges.push(
      await challenge(policy, doc?.text ?? null, {
        samples: s.challengerSamples,
        maxAttempts: s.maxAttempts,
        taskTypes: s.taskTypes,
        temperature: s.temperature,
        topP: s.topP,
        maxTokens: s.maxNewTokens,
        seed: mixSeed(args.seed, 1, slot),
        signal: args.signal,
      }),
    );
  }
  return challenges;
}
