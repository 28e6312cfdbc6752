import { describe, expect, test } from "bun:test";
import { parseSftJsonl } from "../learner/sft.ts";
import { renderPlain, type Prompt } from "../policy/types.ts";
import { parseSelection, parseTask } from "../spice/challenger.ts";
import { reasonerPrompt, selectionPrompt } from "../spice/prompts.ts";
import { verify } from "../verify/index.ts";
import { generateWorld } from "./generate.ts";
import { toJsonl } from "./jsonl.ts";
import { sftPairs } from "./sft-data.ts";

const WORLD = generateWorld({ seed: 5, documents: 60 });
const PAIRS = sftPairs(WORLD, { seed: 1 });

describe("sftPairs", () => {
  test("per document: one selection and one task pair for the challenger, one answer pair per task", () => {
    const count = (step: string) => PAIRS.filter((p) => p.step === step).length;
    expect([count("selection"), count("task"), count("answer")]).toEqual([60, 60, 180]);
    expect(sftPairs(WORLD, { seed: 1, roles: ["reasoner"] }).every((p) => p.role === "reasoner")).toBe(true);
    expect(sftPairs(WORLD, { seed: 1 })).toEqual(PAIRS);
  });

  test("prompts are the roles' own prompts, rendered plainly; completions follow after a space", () => {
    const doc = WORLD.documents[0]!;
    expect(PAIRS[0]!.prompt).toBe(renderPlain(selectionPrompt(doc.text, ["mcq", "free_form"])));
    const task = WORLD.tasks[0]!;
    const answer = PAIRS.find((p) => p.step === "answer")!;
    expect(answer.prompt).toBe(renderPlain(reasonerPrompt(task.question, task.options)));
    for (const p of PAIRS) expect(p.completion.startsWith(" ")).toBe(true);
  });

  test("a custom render (a chat template) is used and its trailing newline kept without a space", () => {
    const render = (p: Prompt) => `<chat>${renderPlain(p)}</chat>\n`;
    const pairs = sftPairs(WORLD, { seed: 1, render });
    expect(pairs.every((p) => p.prompt.startsWith("<chat>") && !p.completion.startsWith(" "))).toBe(true);
  });

  test("challenger completions pass the challenger's parsing and validation", () => {
    const selections = PAIRS.filter((p) => p.step === "selection");
    const tasks = PAIRS.filter((p) => p.step === "task");
    selections.forEach((s, i) => {
      const sel = parseSelection(s.completion, ["mcq", "free_form"]);
      expect(sel.valid).toBe(true);
      if (!sel.valid) return;
      expect(parseTask(tasks[i]!.completion, sel.selection)).toMatchObject({ valid: true });
    });
  });

  test("reasoner completions end in a box the verifier accepts against the gold", () => {
    const byQuestion = new Map(WORLD.tasks.map((t) => [renderPlain(reasonerPrompt(t.question, t.options)), t]));
    for (const p of PAIRS.filter((x) => x.step === "answer")) {
      const t = byQuestion.get(p.prompt)!;
      expect(p.completion).toMatch(/\\boxed\{[^}]+\}$/);
      expect(verify(p.completion, t.answer, t.answer_type, t.options).correct).toBe(true);
    }
  });

  test("the learner's SFT reader accepts the JSON Lines as they are", () => {
    const { examples, bad } = parseSftJsonl(toJsonl(PAIRS));
    expect(bad).toEqual([]);
    expect(examples).toHaveLength(PAIRS.length);
  });
});
