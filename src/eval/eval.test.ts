import { describe, expect, test } from "bun:test";
import { openDb } from "../db/client.ts";
import { ScriptedPolicy } from "../policy/scripted.ts";
import { compareTable } from "./compare.ts";
import { parseDataset } from "./dataset.ts";
import { scores, scoresByGroup } from "./metrics.ts";
import { runEval } from "./run.ts";
import { resultsFor, saveResult, type StoredResult } from "./store.ts";

const GOOD = [
  { id: "q1", question: "What is 2 + 3?", answer: "5", answer_type: "Integer", difficulty: "one_step" },
  { id: "q2", question: "What is 4 + 4?", answer: 8, answer_type: "integer", difficulty: "one_step" },
  {
    id: "q3",
    question: "Which is a day?",
    answer: "b",
    answer_type: "mcq",
    options: { A: "Apple", B: "Monday", C: "Blue", D: "Ten" },
    difficulty: "comparison",
  },
  { question: "Name the day after Monday.", answer: "Tuesday", answer_type: "String" },
];

const jsonl = (rows: unknown[]) => rows.map((r) => (typeof r === "string" ? r : JSON.stringify(r))).join("\n");

describe("parseDataset", () => {
  test("reads good rows, normalising types and MCQ letters; an id defaults to the line number", () => {
    const { items, bad } = parseDataset(jsonl(GOOD));
    expect(bad).toEqual([]);
    expect(items.map((i) => [i.id, i.answer, i.answerType, i.group])).toEqual([
      ["q1", "5", "Integer", "one_step"],
      ["q2", "8", "Integer", "one_step"],
      ["q3", "B", "MCQ", "comparison"],
      ["4", "Tuesday", "String", undefined],
    ]);
  });

  test("bad rows are reported with their line numbers and skipped", () => {
    const { items, bad } = parseDataset(
      jsonl([
        GOOD[0],
        "{not json",
        { question: "", answer: "1", answer_type: "Integer" },
        { question: "q?", answer: "1", answer_type: "Number" },
        { question: "q?", answer: "A", answer_type: "MCQ" },
        { question: "q?", answer: "E", answer_type: "MCQ", options: { A: "1", B: "2", C: "3", D: "4" } },
        "",
        { ...GOOD[1], id: "q1" },
        GOOD[3],
      ]),
    );
    expect(items.map((i) => i.id)).toEqual(["q1", "9"]);
    expect(bad.map((b) => b.line)).toEqual([2, 3, 4, 5, 6, 8]);
    expect(bad[0]!.error).toBe("not valid JSON");
    expect(bad[2]!.error).toContain("answer_type");
    expect(bad[3]!.error).toContain("options");
    expect(bad[5]!.error).toContain("duplicate id");
  });
});

describe("metrics", () => {
  test("avg@k is the mean of c/k, pass@1 the greedy accuracy, pass@k any-correct", () => {
    const items = [
      { samples: [false, false, false, false], greedy: false, group: "a" },
      { samples: [true, true, false, false], greedy: false, group: "a" },
      { samples: [true, true, true, true], greedy: true, group: "b" },
      { samples: [true, false, false, false], greedy: true },
    ];
    expect(scores(items, 4)).toEqual({
      n: 4,
      k: 4,
      avg_at_k: (0 + 0.5 + 1 + 0.25) / 4,
      pass_at_1: 0.5,
      pass_at_k: 0.75,
    });
    expect(scoresByGroup(items, 4)).toEqual({
      a: { n: 2, k: 4, avg_at_k: 0.25, pass_at_1: 0, pass_at_k: 0.5 },
      b: { n: 1, k: 4, avg_at_k: 1, pass_at_1: 1, pass_at_k: 1 },
    });
    expect(scores([], 8)).toEqual({ n: 0, k: 8, avg_at_k: 0, pass_at_1: 0, pass_at_k: 0 });
  });
});

describe("runEval with a scripted policy", () => {
  // Per question: how many of the K sampled answers are right, and whether the greedy one is.
  const plan: Record<string, { right: number; greedy: boolean; answer: string }> = {
    "What is 2 + 3?": { right: 4, greedy: true, answer: "5" },
    "What is 4 + 4?": { right: 1, greedy: false, answer: "8" },
    "Which is a day?": { right: 2, greedy: true, answer: "B" },
    "Name the day after Monday.": { right: 0, greedy: false, answer: "Tuesday" },
  };
  const { items } = parseDataset(jsonl(GOOD));

  test("gives the known avg@k, pass@1 and pass@k, per group too, through the verifier", async () => {
    // The greedy pass comes first (one call per item), then K samples per item.
    const policy = new ScriptedPolicy((prompt, { call, sample }) => {
      const q = Object.keys(plan).find((k) => prompt.includes(k))!;
      const p = plan[q]!;
      const right = call < items.length ? p.greedy : sample < p.right;
      return right ? `Thinking. \\boxed{${p.answer}}` : "Thinking. \\boxed{nope}";
    });
    const report = await runEval(policy, items, { k: 4, temperature: 1, maxTokens: 64, seed: 1, batchItems: 16 });
    expect(report.n).toBe(4);
    expect(report.avg_at_k).toBeCloseTo((1 + 0.25 + 0.5 + 0) / 4, 12);
    expect(report.pass_at_1).toBe(0.5);
    expect(report.pass_at_k).toBe(0.75);
    expect(report.groups.one_step).toEqual({ n: 2, k: 4, avg_at_k: 0.625, pass_at_1: 0.5, pass_at_k: 1 });
    expect(report.items[2]!.greedy).toMatchObject({ extracted: "B", correct: true });
    // The reasoner prompt carries the MCQ options.
    expect(policy.seen.some((s) => s.includes("B) Monday"))).toBe(true);
  });

  test("batches of items cover every item exactly once", async () => {
    const policy = ScriptedPolicy.fromList(["\\boxed{5}"]);
    const report = await runEval(policy, items, { k: 2, temperature: 1, maxTokens: 64, seed: 1, batchItems: 3 });
    expect(report.items.map((i) => i.id)).toEqual(["q1", "q2", "q3", "4"]);
    expect(report.avg_at_k).toBe(0.25);
  });
});

describe("stored results and --compare", () => {
  const result = (checkpoint: string, avg: number, at: number): StoredResult => ({
    checkpoint,
    dataset: "eval.jsonl",
    datasetHash: "h1",
    model: "m",
    n: 10,
    k: 8,
    temperature: 1,
    seed: 1,
    avg_at_k: avg,
    pass_at_1: avg / 2,
    pass_at_k: 1,
    groups: { one_step: { n: 5, k: 8, avg_at_k: 0.5, pass_at_1: 0.4, pass_at_k: 1 } },
    createdAt: new Date(at),
  });

  test("one row per checkpoint and dataset, replaced on re-evaluation; a table across checkpoints", () => {
    const db = openDb(":memory:");
    saveResult(db, result("base", 0.1, 1000));
    saveResult(db, result("sft", 0.3, 2000));
    saveResult(db, result("base", 0.2, 3000));
    saveResult(db, { ...result("other-data", 0.9, 4000), datasetHash: "h2" });
    const rows = resultsFor(db, "h1");
    expect(rows.map((r) => [r.checkpoint, r.avg_at_k])).toEqual([
      ["sft", 0.3],
      ["base", 0.2],
    ]);
    const table = compareTable(rows).trim().split("\n");
    expect(table[0]).toBe("| checkpoint | n | k | avg@k | pass@1 | pass@k | avg@k one_step | evaluated |");
    expect(table[2]).toStartWith("| sft | 10 | 8 | 30.0 | 15.0 | 100.0 | 50.0 |");
    expect(table).toHaveLength(4);
    db.$client.close();
  });
});
