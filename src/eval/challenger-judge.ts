import { mixSeed } from "../policy/sampling.ts";
import type { Policy } from "../policy/types.ts";
import { challenge } from "../roles/challenge.ts";
import { solveMany } from "../roles/solve.ts";
import { goldOf } from "../spice/reasoner.ts";
import type { TaskType } from "../spice/task-types.ts";
import {
  controlDocuments,
  judgeGold,
  referenceValues,
  summarizeJudged,
  type JudgedSample,
  type JudgeSummary,
} from "../world/judge.ts";
import type { WorldDocument, WorldTask } from "../world/types.ts";

/**
 * A model as the challenger over toy-world documents (`spice world judge`): G samples per document in
 * one round (so the valid rate is the raw rate, not a best-of-rounds), K reasoner rollouts per valid
 * task verified against its own gold, and each gold judged against the document's facts
 * (src/world/judge.ts) and against a control document of the same kind.
 */

export interface ChallengerJudgeOptions {
  /** G: challenger samples per document. */
  samples: number;
  /** K: reasoner rollouts per valid task. */
  rollouts: number;
  temperature: number;
  /** Generation budget of the challenger's task step and of each rollout. */
  maxTokens: number;
  seed: number;
  taskTypes?: readonly TaskType[];
  onProgress?: (done: number, total: number) => void;
}

export interface ChallengerJudgeSample extends JudgedSample {
  question?: string;
  answer?: string;
  /** The value the gold stands for (an MCQ's option text). */
  goldValue?: string;
}

export interface ChallengerJudgeReport {
  summary: JudgeSummary;
  samples: ChallengerJudgeSample[];
}

export async function judgeChallenger(
  policy: Policy,
  docs: readonly WorldDocument[],
  worldTasks: readonly WorldTask[],
  o: ChallengerJudgeOptions,
): Promise<ChallengerJudgeReport> {
  const tasksOf = new Map<string, WorldTask[]>();
  for (const t of worldTasks) tasksOf.set(t.doc_id, [...(tasksOf.get(t.doc_id) ?? []), t]);
  const refsOf = (d: WorldDocument) => referenceValues(d, tasksOf.get(d.id) ?? []);
  const controls = controlDocuments(docs);

  const samples: ChallengerJudgeSample[] = [];
  const pending: { sample: ChallengerJudgeSample; gold: NonNullable<ReturnType<typeof goldOf>> }[] = [];
  for (const [i, doc] of docs.entries()) {
    const r = await challenge(policy, doc.text, {
      samples: o.samples,
      maxAttempts: o.samples,
      temperature: o.temperature,
      maxTokens: o.maxTokens,
      seed: mixSeed(o.seed, 1, i),
      ...(o.taskTypes ? { taskTypes: o.taskTypes } : {}),
    });
    const refs = refsOf(doc);
    const control = controls[i];
    const controlRefs = control ? refsOf(control) : [];
    for (const s of r.group) {
      const t = s.result;
      const gold = goldOf(t);
      if (!gold) {
        samples.push({ docId: doc.id, kind: doc.kind, valid: false, error: t.error ?? "invalid" });
        continue;
      }
      const own = judgeGold(t, refs);
      const sample: ChallengerJudgeSample = {
        docId: doc.id,
        kind: doc.kind,
        valid: true,
        taskType: t.taskType,
        answerType: t.answerType,
        question: t.question,
        answer: t.answer,
        goldValue: own.value,
        basis: own.basis,
        controlBasis: control ? judgeGold(t, controlRefs).basis : null,
      };
      samples.push(sample);
      pending.push({ sample, gold });
    }
    o.onProgress?.(i + 1, docs.length);
  }
  // Every valid task's K rollouts in one generate call: one batch composition, so one seeded output.
  const solved = pending.length
    ? await solveMany(
        policy,
        pending.map(({ sample, gold }) => ({
          question: sample.question!,
          ...(gold.options ? { options: gold.options } : {}),
          gold,
        })),
        { rollouts: o.rollouts, temperature: o.temperature, maxTokens: o.maxTokens, seed: mixSeed(o.seed, 2) },
      )
    : [];
  pending.forEach(({ sample }, k) => {
    sample.rollouts = o.rollouts;
    sample.correct = solved[k]!.rollouts.filter((r) => r.correct === true).length;
  });
  return { summary: summarizeJudged(samples), samples };
}
