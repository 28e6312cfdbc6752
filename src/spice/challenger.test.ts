import { describe, expect, test } from "bun:test";
import { parseFreeForm, parseMcq, parseSelection } from "./challenger.ts";
import { parseModelJson } from "./tolerant-json.ts";

const mcq = {
  question: "Which river flows through Vienna?",
  options: { A: "Rhine", B: "Danube", C: "Elbe", D: "Oder" },
  answer: "B",
};

describe("tolerant JSON", () => {
  test("fence, prose around, trailing commas, single quotes, LaTeX escapes", () => {
    expect(parseModelJson('Sure!\n```json\n{"a": 1,}\n```\nDone.')).toEqual({ ok: true, value: { a: 1 } });
    expect(parseModelJson("Here it is: {'a': 'it\\'s', b: [1, 2,],} hope that helps")).toEqual({
      ok: true,
      value: { a: "it's", b: [1, 2] },
    });
    expect(parseModelJson('{"answer": "\\frac{1}{2}", "t": "\\times \\sqrt{2} \\neq 1\\nnext"}')).toEqual({
      ok: true,
      value: { answer: "\\frac{1}{2}", t: "\\times \\sqrt{2} \\neq 1\nnext" },
    });
    expect(parseModelJson("{}")).toEqual({ ok: true, value: {} });
  });

  test("non-JSON and broken JSON give reasons, never throw", () => {
    expect(parseModelJson("I cannot do that.")).toEqual({ ok: false, reason: "no JSON object in the output" });
    const broken = parseModelJson('{"question": "unterminated');
    expect(broken.ok).toBe(false);
    expect(parseModelJson("{".repeat(5000)).ok).toBe(false);
    expect(parseModelJson('{"a": process.exit(1)}').ok).toBe(false);
  });
});

describe("type selection", () => {
  test("valid choices and their reasons", () => {
    expect(
      parseSelection('{"task_type": "mcq", "answer_type": null, "reason": "facts"}', ["mcq", "free_form"]),
    ).toEqual({
      valid: true,
      selection: { taskType: "mcq", answerType: null, reason: "facts" },
    });
    expect(parseSelection('{"task_type": "free-form", "answer_type": "integer"}', ["mcq", "free_form"])).toMatchObject({
      valid: true,
      selection: { taskType: "free_form", answerType: "Integer" },
    });
  });
  test("invalid choices", () => {
    expect(parseSelection('{"task_type": "essay"}', ["mcq", "free_form"])).toMatchObject({ valid: false });
    expect(parseSelection('{"task_type": "free_form", "answer_type": "Boolean"}', ["free_form"])).toMatchObject({
      valid: false,
      error: expect.stringContaining("answer_type"),
    });
    expect(parseSelection('{"task_type": "mcq"}', ["free_form"])).toMatchObject({
      valid: false,
      error: expect.stringContaining("not allowed"),
    });
    expect(parseSelection("mcq please", ["mcq"])).toMatchObject({
      valid: false,
      error: "selection: no JSON object in the output",
    });
  });
});

describe("MCQ validation", () => {
  test("a valid MCQ, also fenced and with trailing prose", () => {
    expect(parseMcq(JSON.stringify(mcq))).toMatchObject({
      valid: true,
      question: mcq.question,
      options: mcq.options,
      answer: "B",
      answerType: "MCQ",
    });
    expect(parseMcq(`\`\`\`json\n${JSON.stringify(mcq)}\n\`\`\``)).toMatchObject({ valid: true });
    expect(parseMcq(`${JSON.stringify(mcq)}\n\nThe Danube is the answer because...`)).toMatchObject({ valid: true });
  });
  test.each([
    ["missing option", { ...mcq, options: { A: "Rhine", B: "Danube", C: "Elbe" } }, "missing option D"],
    [
      "duplicate options",
      { ...mcq, options: { A: "Rhine", B: "Danube", C: "danube", D: "Oder" } },
      "options are not pairwise distinct",
    ],
    ["answer not among options", { ...mcq, answer: "E" }, "answer is not one of the option letters A-D"],
    ["answer as text", { ...mcq, answer: "Danube" }, "answer is not one of the option letters A-D"],
    ["empty option", { ...mcq, options: { ...mcq.options, C: " " } }, "an option is empty"],
    ["extra option", { ...mcq, options: { ...mcq.options, E: "Po" } }, "unexpected option key E"],
    ["empty question", { ...mcq, question: "" }, "question is empty"],
    ["options as a list", { ...mcq, options: ["a", "b", "c", "d"] }, "options is not an object with keys A-D"],
    ["empty object", {}, "empty object (the challenger declined the document)"],
  ])("%s is invalid", (_name, value, reason) => {
    const r = parseMcq(JSON.stringify(value));
    expect(r.valid).toBe(false);
    expect(r.error).toBe(reason);
  });
  test("non-JSON is invalid with a reason", () => {
    expect(parseMcq("The answer is B.")).toMatchObject({ valid: false, error: "no JSON object in the output" });
  });
});

describe("free-form validation", () => {
  test.each([
    ["Integer", "How many moons has Mars?", "2"],
    ["Integer", "What was the population?", "12,345"],
    ["Expression", "What is the area of a circle of radius r?", "\\pi r^2"],
    ["Expression", "Half of one?", "$\\frac{1}{2}$"],
    ["String", "Which city hosts the parliament?", "Vienna"],
  ] as const)("valid %s answer %s", (type, question, answer) => {
    expect(parseFreeForm(JSON.stringify({ question, answer, answer_type: type }), type)).toMatchObject({
      valid: true,
      answerType: type,
    });
  });
  test("a numeric JSON answer counts as an integer", () => {
    expect(parseFreeForm('{"question": "How many?", "answer": 42, "answer_type": "Integer"}', "Integer")).toMatchObject(
      { valid: true, answer: "42" },
    );
  });
  test.each([
    ["empty object", "{}", "Integer", "empty object (the challenger judged the document too simple)"],
    [
      "leaked answer",
      '{"question": "Vienna is the capital of which country, given Vienna?", "answer": "vienna", "answer_type": "String"}',
      "String",
      "answer appears verbatim in the question",
    ],
    [
      "not an integer",
      '{"question": "How many?", "answer": "2.5", "answer_type": "Integer"}',
      "Integer",
      "answer is not an integer",
    ],
    [
      "bad expression",
      '{"question": "Simplify", "answer": "\\\\frac{1}{", "answer_type": "Expression"}',
      "Expression",
      "answer does not parse as a math expression",
    ],
    [
      "type mismatch",
      '{"question": "How many?", "answer": "2", "answer_type": "String"}',
      "Integer",
      "answer_type String differs from the chosen Integer",
    ],
    ["missing answer", '{"question": "How many?", "answer_type": "Integer"}', "Integer", "answer is empty"],
    ["missing question", '{"answer": "3", "answer_type": "Integer"}', "Integer", "question is empty"],
    ["non-JSON", "Three.", "Integer", "no JSON object in the output"],
  ] as const)("%s is invalid", (_name, output, type, reason) => {
    const r = parseFreeForm(output, type);
    expect(r.valid).toBe(false);
    expect(r.error).toBe(reason);
  });
});
