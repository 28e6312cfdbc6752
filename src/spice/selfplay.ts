import type { ScoredGroup } from "../learner/types.ts";
import { mixSeed } from "../policy/sampling.ts";
import type { Policy } from "../policy/types.ts";
import { challenge, type ChallengeResult, type ChallengerSample, type Step } from "../roles/challenge.ts";
import { solveMany } from "../roles/solve.ts";
import type { IterationOutput } from "../trainer/runner.ts";
import type { SegmentRecord, TaskRecord } from "../trainer/record.ts";
import type { TaskType } from "./prompts.ts";
import { passRate, scoreRollout, type Gold } from "./reasoner.ts";
import { challengerOutputReward, drGrpoAdvantages, reasonerReward, type RewardFunction } from "./rewards.ts";

/**
 * One SPICE iteration (docs/method.md §1): B documents → G challenger samples each (in rounds, up to
 * max_attempts) → K reasoner rollouts per valid task → verify → rewards → Dr. GRPO advantages →
 * scored groups for the learner, plus everything the trainer persists and the metrics.
 * Nothing here writes: the trainer commits the returned record in one transaction.
 */

export interface SelfPlaySettings {
  batchDocs: number;
  challengerSamples: number;
  reasonerRollouts: number;
  maxAttempts: number;
  taskTypes: readonly TaskType[];
  reward: RewardFunction;
  useCorpus: boolean;
  temperature: number;
  topP: number;
  maxNewTokens: number;
}

/** The corpus as the trainer sees it: the next B segments of its sampler, and the sampler's state. */
export interface DocumentSource {
  next(n: number): Promise<Array<{ id: string; text: string }>>;
  state(): unknown;
}

export interface SelfPlayDeps {
  /** The reasoner, and the challenger in self-play. */
  policy: Policy;
  /** A fixed challenger (the paper's strong-challenger baseline); defaults to `policy`. */
  challenger?: Policy;
  documents: DocumentSource | null;
}

interface Timer {
  phase<T>(name: string, fn: () => Promise<T>): Promise<T>;
  seconds: Record<string, number>;
}

function timer(): Timer {
  const seconds: Record<string, number> = {};
  return {
    seconds,
    async phase(name, fn) {
      const t0 = performance.now();
      try {
        return await fn();
      } finally {
        seconds[name] = (seconds[name] ?? 0) + (performance.now() - t0) / 1000;
      }
    },
  };
}

const completionTokens = (s: Step | null) => s?.completion.tokenIds?.length ?? 0;

/** Learner groups share one prompt, so a challenger group splits by prompt; `group_size` keeps G for the loss constant. */
function stepGroups(
  base: Omit<ScoredGroup, "prompt" | "completions" | "rewards" | "advantages" | "token_ids" | "logprobs" | "prompt_token_ids" | "group">,
  steps: Array<{ step: Step; reward: number; advantage: number }>,
  groupSize: number,
  meta: Record<string, unknown>,
): Array<Omit<ScoredGroup, "group">> {
  const byPrompt = new Map<string, typeof steps>();
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
      meta: { ...meta, group_size: groupSize },
    };
  });
}

function goldOf(sample: ChallengerSample): Gold | null {
  const t = sample.result;
  if (!t.valid || !t.answerType) return null;
  return { answer: t.answer, answerType: t.answerType, ...(t.options ? { options: t.options } : {}) };
}

export async function runSelfPlayIteration(
  deps: SelfPlayDeps,
  s: SelfPlaySettings,
  args: { runId: string; iteration: number; seed: number; signal?: AbortSignal },
): Promise<IterationOutput> {
  const t = timer();
  const challengerPolicy = deps.challenger ?? deps.policy;
  const checkAbort = () => args.signal?.throwIfAborted();
  const gen = { temperature: s.temperature, topP: s.topP };

  // 1. B documents (or B empty slots: the no-corpus ablation).
  const docs = await t.phase("corpus", async () =>
    s.useCorpus && deps.documents ? deps.documents.next(s.batchDocs) : Array.from({ length: s.batchDocs }, () => null),
  );
  if (s.useCorpus && docs.length === 0) throw new Error("the corpus is empty: ingest documents first (spice corpus ingest)");

  // 2. Challenger: one document at a time, so each call's batch composition (and so its seeded output) is fixed.
  const challenges: ChallengeResult[] = [];
  await t.phase("challenger", async () => {
    for (const [slot, doc] of docs.entries()) {
      checkAbort();
      challenges.push(
        await challenge(challengerPolicy, doc?.text ?? null, {
          samples: s.challengerSamples,
          maxAttempts: s.maxAttempts,
          taskTypes: s.taskTypes,
          ...gen,
          maxTokens: s.maxNewTokens,
          seed: mixSeed(args.seed, 1, slot),
        }),
      );
    }
  });
  checkAbort();

  // 3. Reasoner: every valid task of every document in one generate call (one batch composition).
  const valid = challenges.flatMap((c, slot) =>
    c.group.flatMap((sample, i) => {
      const gold = goldOf(sample);
      return gold ? [{ slot, i, sample, gold }] : [];
    }),
  );
  const solved = valid.length
    ? await t.phase("reasoner", () =>
        solveMany(
          deps.policy,
          valid.map((v) => ({ question: v.sample.result.question, ...(v.sample.result.options ? { options: v.sample.result.options } : {}) })),
          { rollouts: s.reasonerRollouts, ...gen, maxTokens: s.maxNewTokens, seed: mixSeed(args.seed, 2) },
        ),
      )
    : [];
  checkAbort();

  // 4. Verify every rollout against its task's gold answer.
  const verdicts = await t.phase("verify", async () => solved.map((r, k) => r.rollouts.map((ro) => scoreRollout(ro.text, valid[k]!.gold))));

  // 5. Rewards and advantages per group; scored groups for the learner; records for the database.
  const groups: Array<Omit<ScoredGroup, "group">> = [];
  const segments: SegmentRecord[] = [];
  const passRates: number[] = [];
  const invalidReasons: Record<string, number> = {};
  const mix: Record<string, number> = {};
  let correctRollouts = 0;
  let totalRollouts = 0;
  let tokens = 0;
  let challengerRewardSum = 0;
  let challengerSamples = 0;
  const base = { run: args.runId, iteration: args.iteration };

  for (const [slot, c] of challenges.entries()) {
    const solvedHere = new Map(valid.flatMap((v, k) => (v.slot === slot ? [[v.i, k] as const] : [])));
    const taskRecords: TaskRecord[] = [];
    const sampleRewards = c.group.map((sample, i) => {
      const k = solvedHere.get(i);
      const p = k === undefined ? null : passRate(verdicts[k]!);
      return challengerOutputReward(sample.result.valid, p, s.reward);
    });
    const sampleAdv = drGrpoAdvantages(sampleRewards);
    for (const [i, sample] of c.group.entries()) {
      tokens += completionTokens(sample.selection) + completionTokens(sample.task);
      challengerRewardSum += sampleRewards[i]!;
      challengerSamples++;
      const k = solvedHere.get(i);
      let rollouts: TaskRecord["rollouts"] = [];
      let p: number | null = null;
      if (k !== undefined) {
        const rr = solved[k]!.rollouts;
        const rewards = verdicts[k]!.map((v) => reasonerReward(v.correct === true));
        const adv = drGrpoAdvantages(rewards);
        p = passRate(verdicts[k]!);
        passRates.push(p);
        correctRollouts += rewards.filter((r) => r === 1).length;
        totalRollouts += rewards.length;
        tokens += rr.reduce((n, ro) => n + completionTokens(ro.step), 0);
        rollouts = rr.map((ro, j) => ({
          sample: j,
          text: ro.text,
          extracted: verdicts[k]![j]!.extracted,
          correct: verdicts[k]![j]!.correct === true,
          reward: rewards[j]!,
          advantage: adv[j]!,
        }));
        groups.push(
          ...stepGroups(
            { ...base, role: "reasoner" },
            rr.map((ro, j) => ({ step: ro.step, reward: rewards[j]!, advantage: adv[j]! })),
            s.reasonerRollouts,
            { slot, sample: i, pass_rate: p, task_type: sample.result.taskType, answer_type: sample.result.answerType },
          ),
        );
      }
      if (sample.result.valid) {
        const kind = sample.result.taskType === "mcq" ? "mcq" : `free_form.${sample.result.answerType}`;
        mix[kind] = (mix[kind] ?? 0) + 1;
      } else {
        const reason = (sample.result.error ?? "invalid").slice(0, 120);
        invalidReasons[reason] = (invalidReasons[reason] ?? 0) + 1;
      }
      taskRecords.push({
        sample: i,
        raw: [sample.selection?.completion.text, sample.task?.completion.text].filter((x) => x !== undefined).join("\n---\n"),
        parsed: sample.result.valid ? sample.result : null,
        valid: sample.result.valid,
        reason: sample.result.valid ? null : (sample.result.error ?? "invalid"),
        taskType: sample.result.valid ? sample.result.taskType : null,
        answerType: sample.result.valid ? sample.result.answerType : null,
        passRate: p,
        reward: sampleRewards[i]!,
        advantage: sampleAdv[i]!,
        rollouts,
      });
    }
    // The challenger's trajectories: the type-selection step and the task step, both carrying the sample's advantage.
    const steps = c.group.flatMap((sample, i) =>
      [sample.selection, sample.task].flatMap((st) => (st ? [{ step: st, reward: sampleRewards[i]!, advantage: sampleAdv[i]! }] : [])),
    );
    // A fixed challenger is another model: its outputs are scored and stored, but never trained on.
    if (!c.skipped && !deps.challenger) {
      groups.push(...stepGroups({ ...base, role: "challenger" }, steps, c.group.length, { slot, doc_id: docs[slot]?.id ?? null }));
    }
    segments.push({ slot, docId: docs[slot]?.id ?? null, attempts: c.attempts, skipped: c.skipped, tasks: taskRecords });
  }

  const histogram = Array.from({ length: s.reasonerRollouts + 1 }, () => 0);
  for (const p of passRates) histogram[Math.round(p * s.reasonerRollouts)]!++;
  const validCount = segments.reduce((n, sg) => n + sg.tasks.filter((x) => x.valid).length, 0);
  const metrics: Record<string, unknown> = {
    "challenger.samples": challengerSamples,
    "challenger.attempts": challenges.reduce((n, c) => n + c.attempts, 0),
    "challenger.valid_rate": challengerSamples ? validCount / challengerSamples : 0,
    "challenger.docs_skipped": challenges.filter((c) => c.skipped).length,
    "challenger.mean_reward": challengerSamples ? challengerRewardSum / challengerSamples : 0,
    "tasks.valid": validCount,
    "reasoner.rollouts": totalRollouts,
    "reasoner.accuracy": totalRollouts ? correctRollouts / totalRollouts : 0,
    "pass_rate.mean": passRates.length ? passRates.reduce((a, b) => a + b, 0) / passRates.length : 0,
    "tokens.generated": tokens,
    ...Object.fromEntries(Object.entries(mix).map(([k, v]) => [`mix.${k}`, v])),
    ...Object.fromEntries(Object.entries(t.seconds).map(([k, v]) => [`seconds.${k}`, v])),
    pass_rate_histogram: histogram,
    invalid_reasons: invalidReasons,
  };
  return {
    segments,
    groups: groups.map((g, group) => ({ ...g, group })),
    samplerState: deps.documents?.state() ?? null,
    metrics,
  };
}
