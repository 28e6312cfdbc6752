import { describe, expect, test } from "bun:test";
import { generateWorld } from "./generate.ts";
import {
  answerValue,
  controlDocuments,
  judgeGold,
  referenceValues,
  stepResults,
  summarizeJudged,
  wilson,
  type JudgedSample,
} from "./judge.ts";
import type { WorldDocument, WorldTask } from "./types.ts";

const WORLD = generateWorld({ seed: 3, documents: 40 });
const tasksOf = (d: WorldDocument) => WORLD.tasks.filter((t) => t.doc_id === d.id);
const ofKind = (kind: string) => WORLD.documents.find((d) => d.kind === kind)!;

describe("reference values", () => {
  test("a step's result is the number after its last =", () => {
    expect(stepResults("Ben has 4 + 3 = 7.")).toEqual(["7"]);
    expect(stepResults("One crate holds 3 x 4 = 12.")).toEqual(["12"]);
    expect(stepResults("Counting from Friday: Saturday 1, Sunday 2.")).toEqual([]);
    expect(stepResults("7 is option B.")).toEqual([]);
  });

  test("an MCQ answer stands for its option's text", () => {
    expect(answerValue("b", { A: "Ida", B: "Tia", C: "Uma", D: "Jon" })).toBe("Tia");
    expect(answerValue(" 12 ")).toBe("12");
  });

  test("facts first, then the world's answers, then intermediate results, each value once", () => {
    const doc: WorldDocument = {
      id: "d",
      kind: "units",
      text: "One pack holds 4 pens. One carton holds 3 packs. Uma has 2 cartons of pens. Sam has 4 packs of pens.",
      facts: { thing: "pens", "pens per pack": 4, "packs per carton": 3, "cartons of Uma": 2, "packs of Sam": 4 },
    };
    const task = (answer: string, steps: string[]): WorldTask => ({
      id: `d-${answer}`,
      doc_id: "d",
      kind: "units",
      question: "q",
      answer,
      answer_type: "Integer",
      difficulty: "two_step",
      steps,
    });
    const refs = referenceValues(doc, [
      task("16", ["4 x 4 = 16."]),
      task("24", ["One carton holds 3 x 4 = 12.", "2 cartons hold 2 x 12 = 24."]),
    ]);
    expect(refs).toEqual([
      { value: "pens", basis: "fact" },
      { value: "4", basis: "fact" },
      { value: "3", basis: "fact" },
      { value: "2", basis: "fact" },
      { value: "16", basis: "answer" },
      { value: "24", basis: "answer" },
      { value: "12", basis: "step" },
    ]);
  });

  test("every task the world writes for a document is grounded in that document", () => {
    for (const doc of WORLD.documents) {
      const refs = referenceValues(doc, tasksOf(doc));
      for (const t of tasksOf(doc)) expect(judgeGold(t, refs).basis).not.toBeNull();
    }
  });
});

describe("judgeGold", () => {
  const story = ofKind("story");
  const refs = referenceValues(story, tasksOf(story));
  const counts = Object.values(story.facts).filter((v): v is number => typeof v === "number");

  test("a count stated in the document is a fact; a number nowhere in it is not grounded", () => {
    expect(judgeGold({ answer: String(counts[0]) }, refs)).toEqual({ value: String(counts[0]), basis: "fact" });
    expect(judgeGold({ answer: `+0${counts[0]}` }, refs).basis).toBe("fact");
    expect(judgeGold({ answer: "987" }, refs)).toEqual({ value: "987", basis: null });
  });

  test("an MCQ is judged by its gold option's text, names casefolded", () => {
    const comparison = tasksOf(story).find((t) => t.difficulty === "comparison")!;
    const winner = comparison.options![comparison.answer as "A"];
    const options = { A: "Nobody", B: winner.toUpperCase(), C: "x", D: "y" };
    expect(judgeGold({ answer: "B", options }, refs)).toEqual({ value: winner.toUpperCase(), basis: "answer" });
    expect(judgeGold({ answer: "A", options }, refs).basis).toBeNull();
  });

  test("dates: the day an event ends is a fact", () => {
    const dates = ofKind("dates");
    const r = referenceValues(dates, tasksOf(dates));
    const ends = Object.entries(dates.facts).find(([k]) => k.endsWith(" ends"))![1] as string;
    expect(judgeGold({ answer: ends.toLowerCase() }, r).basis).toBe("fact");
    expect(judgeGold({ answer: "Someday" }, r).basis).toBeNull();
  });
});

describe("controlDocuments", () => {
  test("the next document of the same kind, cyclically; none when a kind has one document", () => {
    const docs = [
      { id: "a", kind: "story" },
      { id: "b", kind: "table" },
      { id: "c", kind: "story" },
      { id: "d", kind: "dates" },
    ] as const;
    expect(controlDocuments(docs).map((d) => d?.id ?? null)).toEqual(["c", null, "a", null]);
  });
});

describe("summary", () => {
  test("Wilson interval: known values, the edges stay in [0, 1]", () => {
    const [lo, hi] = wilson(50, 100);
    expect(lo).toBeCloseTo(0.4038, 3);
    expect(hi).toBeCloseTo(0.5962, 3);
    expect(wilson(0, 10)[0]).toBe(0);
    expect(wilson(0, 10)[1]).toBeCloseTo(0.2775, 3);
    expect(wilson(10, 10)[1]).toBe(1);
    expect(wilson(0, 0)).toEqual([0, 1]);
  });

  test("shares are over all samples (valid) or over valid tasks (the rest)", () => {
    const s = (over: Partial<JudgedSample>): JudgedSample => ({ docId: "d1", kind: "story", valid: true, ...over });
    const samples: JudgedSample[] = [
      s({ valid: false, error: "answer is empty" }),
      s({ valid: false, error: "answer is empty", docId: "d2" }),
      s({ valid: false, error: "selection: malformed JSON" }),
      s({ taskType: "free_form", answerType: "Integer", correct: 2, rollouts: 4, basis: "fact", controlBasis: "fact" }),
      s({ taskType: "free_form", answerType: "Integer", correct: 0, rollouts: 4, basis: "step", controlBasis: null }),
      s({ taskType: "mcq", answerType: "MCQ", correct: 1, rollouts: 4, basis: null, controlBasis: null }),
    ];
    const sum = summarizeJudged(samples);
    expect(sum.documents).toBe(2);
    expect(sum.samples).toBe(6);
    expect(sum.valid).toMatchObject({ count: 3, of: 6, share: 0.5 });
    expect(sum.solved).toMatchObject({ count: 2, of: 3 });
    expect(sum.grounded).toMatchObject({ count: 2, of: 3 });
    expect(sum.groundedControl).toMatchObject({ count: 1, of: 3 });
    expect(sum.groundedAndSolved).toMatchObject({ count: 1, of: 3 });
    expect(sum.byBasis).toEqual({ fact: 1, answer: 0, step: 1 });
    expect(sum.mix).toEqual({ "free_form/Integer": 2, "mcq/MCQ": 1 });
    expect(Object.entries(sum.invalidReasons)).toEqual([
      ["answer is empty", 2],
      ["selection: malformed JSON", 1],
    ]);
    expect(summarizeJudged([]).valid).toMatchObject({ count: 0, of: 0, share: 0 });
  });
});
