import { describe, expect, test } from "bun:test";
import { createRng } from "../prng.ts";
import { DOC_OPEN } from "../spice/prompts.ts";
import { challengerRows, GymRowSchema, outputText, reasonerRows } from "./rows.ts";

describe("gym rows", () => {
  test("challenger rows carry the task prompt for their segment and the kind it asks for, seeded", () => {
    const segs = Array.from({ length: 40 }, (_, i) => ({ id: `s${i}`, text: `Document number ${i}.` }));
    const rows = challengerRows(segs, createRng(3), { taskTypes: ["mcq", "free_form"], agent: "a" });
    expect(rows).toEqual(challengerRows(segs, createRng(3), { taskTypes: ["mcq", "free_form"], agent: "a" }));
    const r = rows[5]! as { responses_create_params: { input: { content: string }[] } };
    expect(r).toMatchObject({ spice_role: "challenger", spice_row: 5, spice_segment: "s5", agent_ref: { name: "a" } });
    expect(r.responses_create_params.input[1]!.content).toContain(`${DOC_OPEN}\nDocument number 5.`);
    expect(new Set(rows.map((x) => x.spice_task_type))).toEqual(new Set(["mcq", "free_form"]));
    for (const x of rows) expect(GymRowSchema.safeParse(x).success).toBe(true);
    const kinds = new Set(rows.map((x) => `${x.spice_task_type}/${x.spice_answer_type}`));
    expect(kinds.size).toBe(4);
  });

  test("reasoner rows are numbered placeholders", () => {
    expect(reasonerRows(2, { agent: null, firstRow: 10 })).toEqual([
      { responses_create_params: { input: [] }, spice_role: "reasoner", spice_row: 10 },
      { responses_create_params: { input: [] }, spice_role: "reasoner", spice_row: 11 },
    ]);
  });

  test("the output text is the output_text of message items, reasoning and tool calls left out", () => {
    const text = outputText({
      output: [
        { type: "reasoning", summary: [{ type: "summary_text", text: "hmm" }] },
        { type: "function_call", name: "f", arguments: "{}" },
        {
          type: "message",
          role: "assistant",
          content: [
            { type: "output_text", text: "So " },
            { type: "refusal", refusal: "x" },
          ],
        },
        { type: "message", role: "assistant", content: [{ type: "output_text", text: "\\boxed{4}" }] },
        null,
      ],
    });
    expect(text).toBe("So \\boxed{4}");
  });
});
