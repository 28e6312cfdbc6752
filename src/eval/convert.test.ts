import { describe, expect, test } from "bun:test";
import { convertJsonl } from "./convert.ts";
import { parseDataset } from "./dataset.ts";

const jsonl = (rows: unknown[]) => rows.map((r) => (typeof r === "string" ? r : JSON.stringify(r))).join("\n");

describe("convertJsonl", () => {
  test("gsm8k: the number after #### is the gold, separators removed", () => {
    const { rows, bad } = convertJsonl(
      jsonl([
        { question: "Tom has 2 apples and buys 3. How many?", answer: "2 + 3 = <<2+3=5>>5\n#### 5" },
        { question: "Big?", answer: "so\n#### 1,234" },
        { question: "Half?", answer: "#### 0.5" },
        { question: "No mark", answer: "42" },
      ]),
      "gsm8k",
    );
    expect(rows.map((r) => [r.id, r.answer, r.answer_type])).toEqual([
      ["gsm8k-1", "5", "Integer"],
      ["gsm8k-2", "1234", "Integer"],
      ["gsm8k-3", "0.5", "Expression"],
    ]);
    expect(bad).toEqual([{ line: 4, error: 'answer has no "#### <number>" line' }]);
  });

  test("math: the last \\boxed{} of the solution (nested braces kept), an answer field wins, prose is a String", () => {
    const { rows, bad } = convertJsonl(
      jsonl([
        {
          problem: "Compute 1/2.",
          solution: "It is $\\boxed{1}$, no: $\\boxed{\\frac{1}{2}}$.",
          level: "Level 2",
          unique_id: "test/algebra/1.json",
        },
        { problem: "How many?", solution: "So \\boxed{12}." },
        { problem: "p", solution: "whatever", answer: "\\sqrt{2}" },
        { problem: "Which day?", solution: "\\boxed{\\text{Monday}}" },
        { problem: "p", solution: "no box at all" },
      ]),
      "math",
    );
    expect(rows).toEqual([
      {
        id: "test/algebra/1.json",
        question: "Compute 1/2.",
        answer: "\\frac{1}{2}",
        answer_type: "Expression",
        difficulty: "Level 2",
      },
      { id: "math-2", question: "How many?", answer: "12", answer_type: "Integer" },
      { id: "math-3", question: "p", answer: "\\sqrt{2}", answer_type: "Expression" },
      { id: "math-4", question: "Which day?", answer: "\\text{Monday}", answer_type: "String" },
    ]);
    expect(bad.map((b) => b.line)).toEqual([5]);
  });

  test("mcq: index or letter answers, list / object / ARC-style choices; not four choices is a bad row", () => {
    const { rows, bad } = convertJsonl(
      jsonl([
        { question: "2+2?", choices: ["3", "4", "5", "6"], answer: 1 },
        { id: "x", question: "Sky?", options: { A: "red", B: "green", C: "blue", D: "black" }, answer: "c" },
        { question: "ARC?", choices: { label: ["A", "B", "C", "D"], text: ["w", "x", "y", "z"] }, answerKey: "D" },
        { question: "three", choices: ["a", "b", "c"], answer: 0 },
        { question: "range", choices: ["a", "b", "c", "d"], answer: 4 },
        "[1, 2]",
      ]),
      "mcq",
    );
    expect(rows.map((r) => [r.id, r.answer, r.options?.[r.answer as "A"]])).toEqual([
      ["mcq-1", "B", "4"],
      ["x", "C", "blue"],
      ["mcq-3", "D", "z"],
    ]);
    expect(bad.map((b) => b.line)).toEqual([4, 5, 6]);
  });

  test("converted rows are valid spice eval rows", () => {
    const { rows } = convertJsonl(jsonl([{ question: "2+2?", choices: ["3", "4", "5", "6"], answer: 1 }]), "mcq");
    const { rows: math } = convertJsonl(jsonl([{ problem: "p", solution: "\\boxed{\\frac{1}{2}}" }]), "math");
    const { items, bad } = parseDataset(jsonl([...rows, ...math]));
    expect(bad).toEqual([]);
    expect(items).toHaveLength(2);
  });
});
