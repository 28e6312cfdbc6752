import { describe, expect, test } from "bun:test";
import type { ChallengerSample, Step } from "../roles/challenge.ts";
import type { ChallengerTask } from "../spice/challenger.ts";
import { challengerReward } from "../spice/rewards.ts";
import { scoreIteration, type ScoreSettings, type SlotDraw, type VerifiedRollout } from "./score.ts";

/** Plain data, no policy: every number below is checked by hand. */

const step = (prompt: string, text: string, tokens: number | null = 2): Step => ({
  prompt,
  promptTokenIds: [7, 8],
  completion: {
    text,
    tokenIds: tokens === null ? null : Array.from({ length: tokens }, (_, i) => i),
    logprobs: tokens === null ? null : Array.from({ length: tokens }, () => -1),
    finishReason: "stop",
  },
});

const FREE: ChallengerTask = {
  valid: true,
  taskType: "free_form",
  question: "How many?",
  answer: "12",
  answerType: "Integer",
};
const MCQ: ChallengerTask = {
  valid: true,
  taskType: "mcq",
  question: "Which is two?",
  options: { A: "1", B: "2", C: "3", D: "4" },
  answer: "B",
  answerType: "MCQ",
};
const INVALID: ChallengerTask = {
  valid: false,
  taskType: "mcq",
  question: "",
  answer: "",
  answerType: null,
  error: "selection: no JSON object",
};

function sample(task: ChallengerTask, taskPrompt: string | null, selectionText = "{}"): ChallengerSample {
  return {
    selection: { ...step("SELECT", selectionText), result: { valid: false, error: "not read by the scoring" } },
    task: taskPrompt === null ? null : step(taskPrompt, JSON.stringify(task)),
    result: task,
  };
}

/** K rollouts of one task, `correct` marking which ones the verifier accepted. */
const rollouts = (prompt: string, correct: boolean[]): VerifiedRollout[] =>
  correct.map((ok, j) => ({
    text: `r${j}`,
    step: step(prompt, `r${j}`, 3),
    verdict: { extracted: ok ? "12" : "7", correct: ok, reason: "" },
  }));

/** G = 3: a free-form task solved 2/4 (p̂ = 0.5), an MCQ solved 4/4 (p̂ = 1), an invalid sibling. */
function slot(over: Partial<SlotDraw["challenge"]> = {}): SlotDraw {
  return {
    docId: "d1",
    challenge: {
      attempts: 3,
      skipped: false,
      group: [sample(FREE, "TASK-FREE"), sample(MCQ, "TASK-MCQ"), sample(INVALID, null, "a poem")],
      ...over,
    },
    rollouts: [
      rollouts("SOLVE-FREE", [true, false, true, false]),
      rollouts("SOLVE-MCQ", [true, true, true, true]),
      null,
    ],
  };
}

const settings: ScoreSettings = {
  runId: "r",
  iteration: 2,
  reward: "threshold",
  reasonerRollouts: 4,
  trainChallenger: true,
};

describe("scoring an iteration (pure)", () => {
  test("p̂, challenger rewards and Dr. GRPO advantages with an invalid sibling in the group", () => {
    const { segments } = scoreIteration([slot()], settings);
    const tasks = segments[0]!.tasks;
    expect(tasks.map((t) => t.passRate)).toEqual([0.5, 1, null]);
    // threshold: 1 for 0 < p̂ < 1, 0 for p̂ = 1; the invalid output gets the penalty ρ = -0.1.
    expect(tasks.map((t) => t.reward)).toEqual([1, 0, -0.1]);
    // mean = 0.9 / 3 = 0.3; A_i = r_i - 0.3, not divided by the standard deviation.
    for (const [i, a] of [0.7, -0.3, -0.4].entries()) expect(tasks[i]!.advantage).toBeCloseTo(a, 12);
    expect(tasks[0]!.rollouts.map((r) => r.advantage)).toEqual([0.5, -0.5, 0.5, -0.5]);
    expect(tasks[0]!.rollouts.map((r) => r.extracted)).toEqual(["12", "7", "12", "7"]);
    expect(tasks[1]!.rollouts.map((r) => r.advantage)).toEqual([0, 0, 0, 0]);
    const invalid = {
      valid: false,
      reason: "selection: no JSON object",
      taskType: null,
      answerType: null,
      rollouts: [],
    };
    expect(tasks[2]).toMatchObject(invalid);
    expect(tasks[2]!.raw).toBe("a poem");
    expect(tasks[0]).toMatchObject({ valid: true, taskType: "free_form", answerType: "Integer", parsed: FREE });
    expect(segments[0]).toMatchObject({ slot: 0, docId: "d1", attempts: 3, skipped: false });
  });

  test("the variance reward peaks at p̂ = 0.5", () => {
    const { segments } = scoreIteration([slot()], { ...settings, reward: "variance" });
    expect(segments[0]!.tasks.map((t) => t.reward)).toEqual([1, challengerReward(1), -0.1]);
    expect(challengerReward(1)).toBeCloseTo(Math.exp(-3.125), 12); // (0·1 - 0.25)² / (2·0.01)
  });

  test("learner groups: one per reasoner task, the challenger's split by prompt, numbered in order", () => {
    const { groups } = scoreIteration([slot()], settings);
    expect(groups.map((g) => [g.group, g.role, g.prompt])).toEqual([
      [0, "reasoner", "SOLVE-FREE"],
      [1, "reasoner", "SOLVE-MCQ"],
      [2, "challenger", "SELECT"],
      [3, "challenger", "TASK-FREE"],
      [4, "challenger", "TASK-MCQ"],
    ]);
    const selection = groups[2]!;
    // The invalid sibling stays in the selection group with its penalty and its (negative) advantage.
    expect(selection.completions).toEqual(["{}", "{}", "a poem"]);
    expect(selection.rewards).toEqual([1, 0, -0.1]);
    for (const [i, a] of [0.7, -0.3, -0.4].entries()) expect(selection.advantages[i]!).toBeCloseTo(a, 12);
    expect(selection.meta).toEqual({ slot: 0, doc_id: "d1", group_size: 3 });
    expect(groups[3]!.meta?.group_size).toBe(3);
    const meta = { slot: 0, sample: 0, pass_rate: 0.5, task_type: "free_form", answer_type: "Integer", group_size: 4 };
    expect(groups[0]!.meta).toEqual(meta);
    expect(groups[0]).toMatchObject({ run: "r", iteration: 2, rewards: [1, 0, 1, 0], prompt_token_ids: [7, 8] });
    expect(groups[0]!.token_ids).toEqual(Array.from({ length: 4 }, () => [0, 1, 2]));
  });

  test("a skipped document and a fixed challenger give the learner no challenger group", () => {
    const skipped = scoreIteration([slot({ skipped: true }), slot()], settings);
    expect(skipped.groups.filter((g) => g.role === "challenger").map((g) => g.meta?.slot)).toEqual([1, 1, 1]);
    expect(skipped.groups.map((g) => g.group)).toEqual([...Array(7).keys()]);
    const fixed = scoreIteration([slot(), slot()], { ...settings, trainChallenger: false });
    expect(fixed.groups.map((g) => g.role)).toEqual(["reasoner", "reasoner", "reasoner", "reasoner"]);
    // Its tasks are still scored and recorded.
    expect(fixed.segments.map((s) => s.tasks.map((t) => t.reward))).toEqual([
      [1, 0, -0.1],
      [1, 0, -0.1],
    ]);
  });

  test("token ids and log-probs are null for a group when any of its completions lacks them", () => {
    const draw = slot();
    const noIds: VerifiedRollout = { text: "x", step: step("SOLVE-FREE", "x", null), verdict: { extracted: null } };
    draw.rollouts = [[...rollouts("SOLVE-FREE", [true, false, true]), noIds], draw.rollouts[1]!, null];
    const { groups } = scoreIteration([draw], settings);
    expect(groups[0]).toMatchObject({ token_ids: null, logprobs: null });
    expect(groups[1]!.token_ids).not.toBeNull();
  });
});
