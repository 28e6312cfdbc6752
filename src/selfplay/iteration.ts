import { guardChallenge, oracleChallenges, runChallengerPhase } from "./challenger-phase.ts";
import { drawDocuments } from "./documents.ts";
import { generatedTokens, iterationMetrics } from "./metrics.ts";
import { solveTasks, validTasks, verifyRollouts } from "./reasoner-phase.ts";
import type { IterationOutput } from "./record.ts";
import { scoreIteration, type SlotDraw } from "./score.ts";
import type { SelfPlayDeps, SelfPlaySettings } from "./settings.ts";
import { phaseTimer } from "./timer.ts";

export type { DocumentSource, SelfPlayDeps, SelfPlaySettings } from "./settings.ts";

/**
 * One SPICE iteration (docs/method.md §1): B documents → G challenger samples each (in rounds, up to
 * max_attempts) → K reasoner rollouts per valid task, verified → rewards and Dr. GRPO advantages
 * → scored groups for the learner, plus everything the trainer persists and the metrics.
 * Nothing here writes: the trainer commits the returned record in one transaction. An aborted
 * iteration throws between phases and returns nothing.
 */
export async function runSelfPlayIteration(
  deps: SelfPlayDeps,
  s: SelfPlaySettings,
  args: { runId: string; iteration: number; seed: number; signal?: AbortSignal },
): Promise<IterationOutput> {
  const t = phaseTimer();
  const checkAbort = () => args.signal?.throwIfAborted();

  const docs = await t.phase("corpus", () => drawDocuments(deps.documents, s));
  const challengerPolicy = deps.challenger ?? deps.policy;
  const drawn = await t.phase("challenger", async () =>
    deps.oracle
      ? oracleChallenges(deps.oracle, docs, s, args.seed)
      : runChallengerPhase(challengerPolicy, docs, s, args),
  );
  const challenges = s.taskGuard ? drawn.map(guardChallenge) : drawn;
  checkAbort();
  const tasks = validTasks(challenges);
  const solved = tasks.length
    ? await t.phase("reasoner", () => solveTasks(deps.policy, tasks, s, args.seed, args.signal))
    : [];
  checkAbort();
  const rollouts = await t.phase("verify", async () => verifyRollouts(challenges, tasks, solved));

  const slots: SlotDraw[] = challenges.map((challenge, slot) => ({
    docId: docs[slot]?.id ?? null,
    challenge,
    rollouts: rollouts[slot]!,
  }));
  const { segments, groups } = scoreIteration(slots, {
    runId: args.runId,
    iteration: args.iteration,
    reward: s.reward,
    reasonerRollouts: s.reasonerRollouts,
    trainChallenger: !deps.challenger && !deps.oracle,
    guard: s.taskGuard ?? false,
  });
  const tokens = generatedTokens(slots);
  const metrics = iterationMetrics(segments, { reasonerRollouts: s.reasonerRollouts, tokens, seconds: t.seconds });
  return { segments, groups, samplerState: deps.documents?.state() ?? null, metrics };
}
