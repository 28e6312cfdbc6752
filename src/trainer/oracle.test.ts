import { describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "../../test/helpers.ts";
import { BadInput } from "../errors.ts";
import type { ChallengerTask } from "../spice/challenger.ts";
import { docIdOf, loadOracle, oracleDraw } from "./oracle.ts";

const task = (q: string): ChallengerTask => ({
  valid: true,
  taskType: "free_form",
  question: q,
  answer: "1",
  answerType: "Integer",
});

describe("oracle tasks", () => {
  test("a corpus segment id names its document", () => {
    expect(docIdOf("w1-d0042:0")).toBe("w1-d0042");
    expect(docIdOf("a:b:3")).toBe("a:b");
    expect(docIdOf("plain")).toBe("plain");
  });

  test("draws are seeded, cover the document's tasks before repeating, and are empty without tasks", () => {
    const tasks = ["q0", "q1", "q2"].map(task);
    const a = oracleDraw(tasks, 6, 7);
    expect(a).toEqual(oracleDraw(tasks, 6, 7));
    expect(new Set(a.slice(0, 3).map((t) => t.question)).size).toBe(3);
    expect(a.slice(3)).toEqual(a.slice(0, 3));
    expect(oracleDraw([], 4, 1)).toEqual([]);
  });

  test("loads world rows by doc_id and answers for a segment of that document", async () => {
    const t = tempDir();
    try {
      const path = join(t.dir, "tasks.jsonl");
      const rows = [
        { id: "t1", doc_id: "d1", question: "Ann has 2 pens. How many pens?", answer: "2", answer_type: "Integer" },
        {
          id: "t2",
          doc_id: "d1",
          question: "Which day?",
          answer: "B",
          answer_type: "MCQ",
          options: { A: "Mon", B: "Tue", C: "Wed", D: "Thu" },
        },
        { id: "t3", doc_id: "d2", question: "What day is it?", answer: "Monday", answer_type: "String" },
      ];
      writeFileSync(path, rows.map((r) => JSON.stringify(r)).join("\n"));
      const oracle = await loadOracle(path);
      const got = oracle({ id: "d1:0", text: "…" }, 2, 3);
      expect(got.map((x) => x.question).sort()).toEqual(["Ann has 2 pens. How many pens?", "Which day?"]);
      expect(got.find((x) => x.answerType === "MCQ")).toMatchObject({ taskType: "mcq", answer: "B", valid: true });
      expect(oracle({ id: "d3:0", text: "…" }, 2, 3)).toEqual([]);

      writeFileSync(path, `${JSON.stringify({ ...rows[0], doc_id: undefined })}\n`);
      await expect(loadOracle(path)).rejects.toBeInstanceOf(BadInput);
      await expect(loadOracle(join(t.dir, "missing.jsonl"))).rejects.toBeInstanceOf(BadInput);
    } finally {
      t.cleanup();
    }
  });
});
