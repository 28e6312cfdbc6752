import type { ChallengeResult, Step } from "../roles/challenge.ts";
import { passRate, type RolloutScore } from "../spice/reasoner.ts";
import { challengerOutputReward, drGrpoAdvantages, reasonerReward, type RewardFunction } from "../spice/rewards.ts";
import type { PolicyVersion } from "../policy/types.ts";
import { guardRewards } from "../spice/guard.ts";
import type { PolicyVersionRecord, ScoredGroup } from "../spice/scored-group.ts";
import type { RolloutRecord, SegmentRecord, TaskRecord } from "./record.ts";

/**
 * Step 4 of an iteration (docs/method.md §1, steps 4–5), pure: from what the roles produced to rewards,
 * Dr. GRPO advantages, the scored groups for the learner and the records for the database.
 * It takes plain data (no policy), so the arithmetic is testable by hand.
 */

/** A reasoner rollout and its verdict against the task's gold answer. */
export interface VerifiedRollout {
  text: string;
  step: Step;
  verdict: RolloutScore;
}

/** One document slot as the iteration drew it, before any reward. */
export interface SlotDraw {
  docId: string | null;
  challenge: Pick<ChallengeResult, "attempts" | "skipped" | "group">;
  /** Per challenger sample, in group order: the verified rollouts of its task, or null when it went to no reasoner. */
  rollouts: ReadonlyArray<VerifiedRollout[] | null>;
}

export interface ScoreSettings {
  runId: string;
  iteration: number;
  reward: RewardFunction;
  /** K: the reasoner's group size, recorded as `group_size` for the loss. */
  reasonerRollouts: number;
  /** False with a fixed challenger: another model, whose outputs are scored and stored but never trained on. */
  trainChallenger: boolean;
  /** The collapse guard's reward cap (src/spice/guard.ts `guardRewards`); off by default. */
  guard?: boolean;
}

/** A completion's policy version as records and exports carry it (snake_case); null when the backend gave none. */
export function versionRecord(v: PolicyVersion | undefined): PolicyVersionRecord | null {
  if (!v) return null;
  return {
    backend: v.backend,
    model: v.model,
    ...(v.weightsHash !== undefined ? { weights_hash: v.weightsHash } : {}),
    ...(v.swaps !== undefined ? { swaps: v.swaps } : {}),
    ...(v.revision !== undefined ? { revision: v.revision } : {}),
  };
}

type UnnumberedGroup = Omit<ScoredGroup, "group">;
type Base = Pick<ScoredGroup, "run" | "iteration">;

/** Learner groups share one prompt, so a challenger group splits by prompt; `group_size` keeps G for the loss constant. */
export function stepGroups(
  base: Base & Pick<ScoredGroup, "role">,
  steps: ReadonlyArray<{ step: Step; reward: number; advantage: number }>,
  groupSize: number,
  meta: Record<string, unknown>,
): UnnumberedGroup[] {
  const byPrompt = new Map<string, Array<(typeof steps)[number]>>();
  for (const s of steps) {
    const list = byPrompt.get(s.step.prompt) ?? [];
    list.push(s);
    byPrompt.set(s.step.prompt, list);
  }
  return [...byPrompt.values()].map((list) => {
    const withIds = list.every((s) => s.step.completion.tokenIds !== null);
    const withLp = list.every((s) => s.step.completion.logprobs !== null);
    return {
      ...base,
      prompt: list[0]!.step.prompt,
      prompt_token_ids: list[0]!.step.promptTokenIds,
      completions: list.map((s) => s.step.completion.text),
      rewards: list.map((s) => s.reward),
      advantages: list.map((s) => s.advantage),
      token_ids: withIds ? list.map((s) => s.step.completion.tokenIds!) : null,
      logprobs: withLp ? list.map((s) => s.step.completion.logprobs!) : null,
      policy_versions: list.map((s) => versionRecord(s.step.completion.version)),
      meta: { ...meta, group_size: groupSize },
    };
  });
}

/** The reasoner's group of one task: binary rewards, mean-centred advantages, and its learner group. */
function scoreRollouts(
  rollouts: readonly VerifiedRollout[],
  base: Base,
  groupSize: number,
  meta: Record<string, unknown>,
): { records: RolloutRecord[]; groups: UnnumberedGroup[] } {
  const rewards = rollouts.map((ro) => reasonerReward(ro.verdict.correct === true));
  const advantages = drGrpoAdvantages(rewards);
  const records: RolloutRecord[] = rollouts.map((ro, j) => ({
    sample: j,
    text: ro.text,
    extracted: ro.verdict.extracted,
    correct: ro.verdict.correct === true,
    reward: rewards[j]!,
    advantage: advantages[j]!,
    policyVersion: versionRecord(ro.step.completion.version),
  }));
  const steps = rollouts.map((ro, j) => ({ step: ro.step, reward: rewards[j]!, advantage: advantages[j]! }));
  return { records, groups: stepGroups({ ...base, role: "reasoner" }, steps, groupSize, meta) };
}

function scoreSlot(
  draw: SlotDraw,
  slot: number,
  o: ScoreSettings,
): { segment: SegmentRecord; groups: UnnumberedGroup[] } {
  const { group } = draw.challenge;
  const base = { run: o.runId, iteration: o.iteration };
  const passRates = group.map((_, i) => {
    const rollouts = draw.rollouts[i];
    return rollouts ? passRate(rollouts.map((ro) => ro.verdict)) : null;
  });
  const raw = group.map((sample, i) => challengerOutputReward(sample.result.valid, passRates[i]!, o.reward));
  const rewards = o.guard
    ? guardRewards(
        raw,
        group.map((sample) => sample.result.valid),
        passRates,
      )
    : raw;
  const advantages = drGrpoAdvantages(rewards);
  const groups: UnnumberedGroup[] = [];
  const tasks = group.map((sample, i): TaskRecord => {
    const r = sample.result;
    const rollouts = draw.rollouts[i];
    let records: RolloutRecord[] = [];
    if (rollouts) {
      const meta = { slot, sample: i, pass_rate: passRates[i], task_type: r.taskType, answer_type: r.answerType };
      const scored = scoreRollouts(rollouts, base, o.reasonerRollouts, meta);
      records = scored.records;
      groups.push(...scored.groups);
    }
    return {
      sample: i,
      raw: [sample.selection?.completion.text, sample.task?.completion.text]
        .filter((x) => x !== undefined)
        .join("\n---\n"),
      parsed: r.valid ? r : null,
      valid: r.valid,
      reason: r.valid ? null : (r.error ?? "invalid"),
      taskType: r.valid ? r.taskType : null,
      answerType: r.valid ? r.answerType : null,
      passRate: passRates[i]!,
      reward: rewards[i]!,
      advantage: advantages[i]!,
      policyVersion: versionRecord((sample.task ?? sample.selection)?.completion.version),
      rollouts: records,
    };
  });
  // The challenger's trajectories: the type-selection step and the task step, both carrying the sample's advantage.
  if (!draw.challenge.skipped && o.trainChallenger) {
    const steps = group.flatMap((sample, i) =>
      [sample.selection, sample.task].flatMap((st) =>
        st ? [{ step: st, reward: rewards[i]!, advantage: advantages[i]! }] : [],
      ),
    );
    groups.push(...stepGroups({ ...base, role: "challenger" }, steps, group.length, { slot, doc_id: draw.docId }));
  }
  const { attempts, skipped } = draw.challenge;
  return { segment: { slot, docId: draw.docId, attempts, skipped, tasks }, groups };
}

/** Scores every slot of an iteration; the learner groups are numbered in order across slots. */
export function scoreIteration(
  slots: readonly SlotDraw[],
  o: ScoreSettings,
): { segments: SegmentRecord[]; groups: ScoredGroup[] } {
  const groups: UnnumberedGroup[] = [];
  const segments = slots.map((draw, slot) => {
    const scored = scoreSlot(draw, slot, o);
    groups.push(...scored.groups);
    return scored.segment;
  });
  return { segments, groups: groups.map((g, group) => ({ ...g, group })) };
}
