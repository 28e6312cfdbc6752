import { describe, expect, test } from "bun:test";
import type { ChallengerTask } from "./challenger.ts";
import { guardReason, guardRewards, guardTask } from "./guard.ts";
import { INVALID_PENALTY } from "./rewards.ts";

const task = (over: Partial<ChallengerTask>): ChallengerTask => ({
  valid: true,
  taskType: "free_form",
  question: "Dan has 3 shells. Ben has 4 more shells than Dan. How many shells does Ben have?",
  answer: "7",
  answerType: "Integer",
  ...over,
});
const OPTIONS = { A: "Monday", B: "Tuesday", C: "Friday", D: "Sunday" };

describe("guardReason", () => {
  const cases: Array<[string, Partial<ChallengerTask>, RegExp | null]> = [
    ["a world task passes", {}, null],
    ["a short question", { question: "How many shells?" }, /3 words/],
    ["five words is still short", { question: "How many shells does Ben?" }, /5 words/],
    ["punctuation is not a word", { question: "Ben has ? ? ? ? ? shells" }, /3 words/],
    [
      "numeric gold verbatim",
      { question: "Dan has 3 shells. How many shells does Dan have?", answer: "3" },
      /verbatim/,
    ],
    ["gold with separators", { question: "A farm has 1,200 hens in all. How many hens?", answer: "1200" }, /verbatim/],
    [
      "a number containing the gold is not the gold",
      { question: "Dan has 13 shells and gives 6 away. How many now?" },
      null,
    ],
    [
      "a String answer in the question is allowed (comparisons name both sides)",
      {
        question: "Ann has 5 pens and Ben has 3 pens. Who has more pens?",
        answer: "Ann",
        answerType: "String",
      },
      null,
    ],
    [
      "MCQ with distinct options",
      {
        taskType: "mcq",
        question: "The fair starts on Monday and ends 1 day later. On what day does it end?",
        answer: "B",
        answerType: "MCQ",
        options: OPTIONS,
      },
      null,
    ],
    [
      "MCQ whose right option is repeated",
      {
        taskType: "mcq",
        question: "The fair starts on Monday and ends 1 day later. On what day does it end?",
        answer: "B",
        answerType: "MCQ",
        options: { ...OPTIONS, C: "tuesday" },
      },
      /repeated/,
    ],
    ["an invalid task is left as it is", { valid: false, question: "x", error: "bad json" }, null],
  ];
  for (const [name, over, want] of cases) {
    test(name, () => {
      const r = guardReason(task(over));
      if (want === null) expect(r).toBeNull();
      else expect(r).toMatch(want);
    });
  }

  test("guardTask turns a rejected task invalid with the reason and keeps the rest", () => {
    const t = guardTask(task({ question: "How many?" }));
    expect(t.valid).toBe(false);
    expect(t.error).toMatch(/^guard:/);
    expect(t.answer).toBe("7");
    const ok = task({});
    expect(guardTask(ok)).toBe(ok);
  });
});

describe("guardRewards", () => {
  const ρ = INVALID_PENALTY;
  const cases: Array<[string, number[], boolean[], Array<number | null>, number[]]> = [
    ["no invalid sibling: unchanged", [0.04, 1, 0.04], [true, true, true], [1, 0.5, 0], [0.04, 1, 0.04]],
    ["p̂ = 1 beside an invalid sibling is capped at ρ", [0.044, ρ], [true, false], [1, null], [ρ, ρ]],
    ["p̂ = 0 beside an invalid sibling is capped at ρ", [0.044, ρ, 1], [true, false, true], [0, null, 0.5], [ρ, ρ, 1]],
    ["0 < p̂ < 1 keeps its reward", [0.6, ρ], [true, false], [0.25, null], [0.6, ρ]],
    ["a reward already below ρ stays", [-0.5, ρ], [true, false], [1, null], [-0.5, ρ]],
  ];
  for (const [name, rewards, valid, p, want] of cases) {
    test(name, () => expect(guardRewards(rewards, valid, p)).toEqual(want));
  }
});
