import { describe, expect, test } from "bun:test";
import type { ChallengerSample, Step } from "../roles/challenge.ts";
import { generatedTokens, iterationMetrics } from "./metrics.ts";
import type { RolloutRecord, SegmentRecord, TaskRecord } from "./record.ts";

/** Plain records, no policy: every metric below is checked by hand. */

const rollout = (correct: boolean): RolloutRecord => ({
  sample: 0,
  text: "",
  extracted: null,
  correct,
  reward: correct ? 1 : 0,
  advantage: 0,
  policyVersion: null,
});

function task(over: Partial<TaskRecord>): TaskRecord {
  const invalid = {
    valid: false,
    reason: null,
    taskType: null,
    answerType: null,
    passRate: null,
    reward: -0.1,
    rollouts: [],
  };
  return { sample: 0, raw: "", parsed: null, advantage: 0, policyVersion: null, ...invalid, ...over };
}

/** K rollouts, the first `correct` of them right. */
const solved = (correct: number, k: number) => Array.from({ length: k }, (_, j) => rollout(j < correct));

const LONG = `options are not pairwise distinct ${"x".repeat(200)}`;

const segments: SegmentRecord[] = [
  {
    slot: 0,
    docId: "a",
    attempts: 3,
    skipped: false,
    tasks: [
      task({
        valid: true,
        taskType: "free_form",
        answerType: "Integer",
        passRate: 0.5,
        reward: 1,
        rollouts: solved(2, 4),
      }),
      task({ valid: true, taskType: "mcq", answerType: "MCQ", passRate: 1, reward: 0, rollouts: solved(4, 4) }),
      task({ reason: "question is empty" }),
    ],
  },
  {
    slot: 1,
    docId: "b",
    attempts: 8,
    skipped: true,
    tasks: [task({ reason: "question is empty" }), task({ reason: LONG })],
  },
];

describe("iteration metrics (pure)", () => {
  test("rates, means, histogram, mix and invalid reasons from the records", () => {
    const m = iterationMetrics(segments, { reasonerRollouts: 4, tokens: 123, seconds: { corpus: 0.5, verify: 0.25 } });
    expect(m).toEqual({
      "challenger.samples": 5,
      "challenger.attempts": 11,
      "challenger.valid_rate": 2 / 5,
      "challenger.docs_skipped": 1,
      "challenger.mean_reward": (1 + 0 - 0.1 - 0.1 - 0.1) / 5,
      "tasks.valid": 2,
      "reasoner.rollouts": 8,
      "reasoner.accuracy": 6 / 8,
      "pass_rate.mean": 0.75,
      "advantage.challenger_std": 0,
      "advantage.reasoner_std": 0,
      "tokens.generated": 123,
      "mix.free_form.Integer": 1,
      "mix.mcq": 1,
      "seconds.corpus": 0.5,
      "seconds.verify": 0.25,
      // Index = correct rollouts out of K = 4: one task at 2/4, one at 4/4.
      pass_rate_histogram: [0, 0, 1, 0, 1],
      invalid_reasons: { "question is empty": 2, [LONG.slice(0, 120)]: 1 },
    });
    expect(m["challenger.mean_reward"]).toBeCloseTo(0.14, 12);
  });

  test("advantage spread: the standard deviation of the challenger's and the reasoner's advantages", () => {
    const adv = (a: number) => ({ ...rollout(a > 0), advantage: a });
    const m = iterationMetrics(
      [
        {
          slot: 0,
          docId: "a",
          attempts: 2,
          skipped: false,
          tasks: [
            task({ valid: true, passRate: 0.5, advantage: 0.3, rollouts: [adv(0.5), adv(-0.5)] }),
            task({ advantage: -0.3 }),
          ],
        },
      ],
      { reasonerRollouts: 2, tokens: 0, seconds: {} },
    );
    expect(m["advantage.challenger_std"]).toBeCloseTo(0.3, 12);
    expect(m["advantage.reasoner_std"]).toBeCloseTo(0.5, 12);
  });

  test("an iteration with nothing valid has zero rates, not NaN", () => {
    const m = iterationMetrics([{ slot: 0, docId: null, attempts: 2, skipped: true, tasks: [task({}), task({})] }], {
      reasonerRollouts: 2,
      tokens: 0,
      seconds: {},
    });
    expect(m).toMatchObject({
      "challenger.valid_rate": 0,
      "reasoner.accuracy": 0,
      "pass_rate.mean": 0,
      "challenger.mean_reward": -0.1,
    });
    expect(m.pass_rate_histogram).toEqual([0, 0, 0]);
    expect(iterationMetrics([], { reasonerRollouts: 1, tokens: 0, seconds: {} })["challenger.mean_reward"]).toBe(0);
  });

  test("generated tokens: both challenger steps of every sample and every rollout", () => {
    const step = (tokens: number | null): Step => ({
      prompt: "p",
      promptTokenIds: null,
      completion: {
        text: "",
        tokenIds: tokens === null ? null : Array(tokens).fill(0),
        logprobs: null,
        finishReason: "stop",
      },
    });
    const sample = (selection: number, task: number | null): ChallengerSample => ({
      selection: { ...step(selection), result: { valid: false, error: "" } },
      task: task === null ? null : step(task),
      result: { valid: false, taskType: "mcq", question: "", answer: "", answerType: null },
    });
    const verdict = { extracted: null };
    const tokens = generatedTokens([
      {
        docId: null,
        challenge: { attempts: 2, skipped: false, group: [sample(5, 10), sample(4, null)] },
        rollouts: [
          [
            { text: "", step: step(7), verdict },
            { text: "", step: step(null), verdict },
          ],
          null,
        ],
      },
    ]);
    expect(tokens).toBe(5 + 10 + 4 + 7); // a backend without token ids counts 0
  });
});
