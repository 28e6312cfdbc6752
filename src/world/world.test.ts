import { describe, expect, test } from "bun:test";
import { parseFreeForm, parseMcq } from "../spice/challenger.ts";
import { verify } from "../verify/index.ts";
import { generateWorld } from "./generate.ts";
import { evalJsonl, corpusJsonl } from "./jsonl.ts";
import { reasonerCompletion } from "./sft-data.ts";
import { splitWorld } from "./split.ts";
import type { WorldTask } from "./types.ts";

const WORLD = generateWorld({ seed: 7, documents: 400 });

/** The task as the challenger would write it, checked by the challenger's own validation. */
function challengerCheck(t: WorldTask) {
  return t.answer_type === "MCQ"
    ? parseMcq(JSON.stringify({ question: t.question, options: t.options, answer: t.answer }))
    : parseFreeForm(
        JSON.stringify({ question: t.question, answer: t.answer, answer_type: t.answer_type }),
        t.answer_type,
      );
}

describe("generateWorld", () => {
  test("the same seed gives the same world; another seed another", () => {
    expect(generateWorld({ seed: 7, documents: 400 })).toEqual(WORLD);
    expect(generateWorld({ seed: 8, documents: 400 }).documents.map((d) => d.text)).not.toEqual(
      WORLD.documents.map((d) => d.text),
    );
  });

  test("short, distinct documents of every kind, three tasks each", () => {
    expect(WORLD.documents).toHaveLength(400);
    expect(new Set(WORLD.documents.map((d) => d.text)).size).toBe(400);
    expect(Math.max(...WORLD.documents.map((d) => d.text.length))).toBeLessThan(300);
    expect(new Set(WORLD.documents.map((d) => d.kind))).toEqual(new Set(["story", "table", "units", "dates"]));
    expect(WORLD.tasks).toHaveLength(1200);
    expect(new Set(WORLD.tasks.map((t) => t.id)).size).toBe(1200);
    expect(new Set(WORLD.tasks.map((t) => t.difficulty))).toEqual(new Set(["one_step", "two_step", "comparison"]));
  });

  test("every gold answer verifies against itself, and a wrong one does not", () => {
    for (const t of WORLD.tasks) {
      const own = verify(`\\boxed{${t.answer}}`, t.answer, t.answer_type, t.options);
      expect({ id: t.id, correct: own.correct }).toEqual({ id: t.id, correct: true });
      const wrong =
        t.answer_type === "MCQ"
          ? t.answer === "A"
            ? "B"
            : "A"
          : t.answer_type === "Integer"
            ? String(Number(t.answer) + 1)
            : "Someday";
      expect(verify(`\\boxed{${wrong}}`, t.answer, t.answer_type, t.options).correct).toBe(false);
    }
  });

  test("the worked solution is right: its arithmetic holds and it verifies", () => {
    const ops: Record<string, (a: number, b: number) => number> = {
      "+": (a, b) => a + b,
      "-": (a, b) => a - b,
      x: (a, b) => a * b,
    };
    for (const t of WORLD.tasks) {
      for (const m of t.steps.join(" ").matchAll(/(\d+) ([+\-x]) (\d+) = (\d+)/g)) {
        expect(`${m[0]} → ${ops[m[2]!]!(Number(m[1]), Number(m[3]))}`).toBe(`${m[0]} → ${m[4]}`);
      }
      expect(verify(reasonerCompletion(t), t.answer, t.answer_type, t.options).correct).toBe(true);
    }
  });

  test("every task passes the challenger's validation (no leaked String answers, valid MCQ)", () => {
    for (const t of WORLD.tasks) expect({ id: t.id, ...challengerCheck(t) }).toMatchObject({ id: t.id, valid: true });
  });

  test("knobs: difficulties, mcqShare, kinds and number ranges", () => {
    const only = generateWorld({ seed: 1, documents: 40, difficulties: ["two_step"], mcqShare: 0 });
    expect(new Set(only.tasks.map((t) => t.difficulty))).toEqual(new Set(["two_step"]));
    expect(only.tasks.some((t) => t.answer_type === "MCQ")).toBe(false);
    const allMcq = generateWorld({ seed: 1, documents: 40, mcqShare: 1 });
    expect(allMcq.tasks.some((t) => t.answer_type === "Integer")).toBe(false);
    const stories = generateWorld({ seed: 1, documents: 40, kinds: ["story"], maxNumber: 5 });
    expect(new Set(stories.documents.map((d) => d.kind))).toEqual(new Set(["story"]));
    const numbers = stories.documents.flatMap((d) => [...d.text.matchAll(/\d+/g)].map((m) => Number(m[0])));
    expect(Math.max(...numbers)).toBeLessThanOrEqual(5);
    expect(() => generateWorld({ seed: 1, documents: 10, maxNumber: 2 })).toThrow();
    expect(() => generateWorld({ seed: 1, documents: 5000, kinds: ["units"], maxFactor: 2 })).toThrow(/distinct/);
  });
});

describe("splitWorld", () => {
  const split = splitWorld(WORLD, { evalFraction: 0.25, seed: 3 });

  test("train and held-out documents are disjoint and cover the world", () => {
    const trainIds = new Set(split.train.documents.map((d) => d.id));
    const evalIds = new Set(split.eval.documents.map((d) => d.id));
    expect(evalIds.size).toBe(100);
    expect(trainIds.size + evalIds.size).toBe(400);
    expect([...evalIds].filter((id) => trainIds.has(id))).toEqual([]);
    expect(split.train.tasks.every((t) => trainIds.has(t.doc_id))).toBe(true);
    expect(split.eval.tasks.every((t) => evalIds.has(t.doc_id))).toBe(true);
  });

  test("no held-out question is also a training question", () => {
    const trainQuestions = new Set(split.train.tasks.map((t) => t.question));
    expect(split.eval.tasks.filter((t) => trainQuestions.has(t.question))).toEqual([]);
    expect(split.eval.tasks.length + split.droppedDuplicates).toBe(300);
  });

  test("the split is seeded", () => {
    expect(splitWorld(WORLD, { evalFraction: 0.25, seed: 3 })).toEqual(split);
    expect(splitWorld(WORLD, { evalFraction: 0.25, seed: 4 }).eval.documents).not.toEqual(split.eval.documents);
  });
});

describe("JSON Lines", () => {
  test("corpus rows carry id, text and metadata; eval rows the spice eval shape", () => {
    const small = generateWorld({ seed: 2, documents: 4 });
    const corpus = corpusJsonl(small, 2)
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(corpus[0]).toEqual({
      id: small.documents[0]!.id,
      text: small.documents[0]!.text,
      metadata: expect.objectContaining({ kind: "story", world_seed: 2 }),
    });
    const rows = evalJsonl(small)
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(rows).toHaveLength(12);
    for (const r of rows)
      expect(Object.keys(r).sort()).toEqual(
        ["answer", "answer_type", "difficulty", "id", "kind", "question", ...(r.options ? ["options"] : [])].sort(),
      );
  });
});
