import { extractAnswer } from "../verify/extract.ts";
import { MCQ_LETTERS, type AnswerType, type McqOptions } from "../verify/types.ts";
import { parseJsonLines } from "../jsonl.ts";
import type { BadRow } from "./dataset.ts";

/**
 * Converters from common public benchmark layouts to `spice eval` rows. Pure: one parsed
 * JSON Lines row in, one row out or an error for the bad-row report.
 */

export const CONVERT_FORMATS = ["gsm8k", "math", "mcq"] as const;
export type ConvertFormat = (typeof CONVERT_FORMATS)[number];

export interface ConvertedRow {
  id: string;
  question: string;
  answer: string;
  answer_type: AnswerType;
  options?: McqOptions;
  difficulty?: string;
}

type Result = { ok: true; row: ConvertedRow } | { ok: false; error: string };

const INTEGER = /^-?\d+$/;

const str = (v: unknown): string | null =>
  typeof v === "string" && v.trim() !== "" ? v.trim() : typeof v === "number" ? String(v) : null;

function rowId(o: Record<string, unknown>, line: number, prefix: string): string {
  return str(o.id) ?? str(o.unique_id) ?? `${prefix}-${line}`;
}

/** GSM8K: `{question, answer: "reasoning … #### 42"}`; the number after `####` is the gold. */
function gsm8k(o: Record<string, unknown>, line: number): Result {
  const question = str(o.question);
  const full = str(o.answer);
  if (!question) return { ok: false, error: "question is missing" };
  if (!full) return { ok: false, error: "answer is missing" };
  const mark = full.lastIndexOf("####");
  if (mark < 0) return { ok: false, error: 'answer has no "#### <number>" line' };
  const gold = full
    .slice(mark + 4)
    .trim()
    .replace(/,/g, "")
    .replace(/^\$/, "")
    .replace(/\.$/, "");
  if (gold === "") return { ok: false, error: 'nothing after "####"' };
  return {
    ok: true,
    row: {
      id: rowId(o, line, "gsm8k"),
      question,
      answer: gold,
      answer_type: INTEGER.test(gold) ? "Integer" : "Expression",
    },
  };
}

/** Prose answers (`\text{…}` or plain words) are Strings; everything else is math. */
function mathAnswerType(answer: string): ConvertedRow["answer_type"] {
  if (INTEGER.test(answer.replace(/,/g, ""))) return "Integer";
  if (/^\\text\{[^{}]*\}$/.test(answer) || /^[A-Za-z][A-Za-z ,.'-]*$/.test(answer)) return "String";
  return "Expression";
}

/** MATH: `{problem, solution}` with the gold in the solution's last `\boxed{}` (an `answer` field wins when present). */
function math(o: Record<string, unknown>, line: number): Result {
  const question = str(o.problem) ?? str(o.question);
  if (!question) return { ok: false, error: "problem is missing" };
  let answer = str(o.answer);
  if (!answer) {
    const solution = str(o.solution);
    if (!solution) return { ok: false, error: "neither answer nor solution is present" };
    const e = extractAnswer(solution);
    if (!e.ok) return { ok: false, error: `no \\boxed{} answer in the solution (${e.reason})` };
    answer = e.answer.trim();
  }
  const level = str(o.level);
  return {
    ok: true,
    row: {
      id: rowId(o, line, "math"),
      question,
      answer,
      answer_type: mathAnswerType(answer),
      ...(level ? { difficulty: level } : {}),
    },
  };
}

/** The four option texts from a list, `{A..D}` object, or `{label: [...], text: [...]}` (ARC on the Hub). */
function choiceTexts(v: unknown): string[] | string {
  if (Array.isArray(v)) return v.map((c) => str(c) ?? "");
  if (v && typeof v === "object") {
    const o = v as Record<string, unknown>;
    if (Array.isArray(o.text)) return o.text.map((c) => str(c) ?? "");
    if (MCQ_LETTERS.every((l) => l in o)) return MCQ_LETTERS.map((l) => str(o[l]) ?? "");
  }
  return "choices must be a list of four texts";
}

/** Generic MCQ: `{question, choices: [4], answer: 0-based index | letter}` (`options` and `answerKey` accepted too). */
function mcq(o: Record<string, unknown>, line: number): Result {
  const question = str(o.question);
  if (!question) return { ok: false, error: "question is missing" };
  const texts = choiceTexts(o.choices ?? o.options);
  if (typeof texts === "string") return { ok: false, error: texts };
  if (texts.length !== 4) return { ok: false, error: `${texts.length} choices; spice MCQ needs exactly 4` };
  if (texts.some((t) => t === "")) return { ok: false, error: "a choice is empty" };
  const raw = o.answer ?? o.answerKey ?? o.label;
  let letter: string | null = null;
  if (typeof raw === "number" && Number.isInteger(raw) && raw >= 0 && raw < 4) letter = MCQ_LETTERS[raw]!;
  else if (typeof raw === "string" && /^[A-Da-d]$/.test(raw.trim())) letter = raw.trim().toUpperCase();
  else if (typeof raw === "string" && /^[0-3]$/.test(raw.trim())) letter = MCQ_LETTERS[Number(raw.trim())]!;
  if (letter === null) return { ok: false, error: "answer must be a 0-based index 0-3 or a letter A-D" };
  const options = Object.fromEntries(MCQ_LETTERS.map((l, i) => [l, texts[i]!])) as ConvertedRow["options"];
  return { ok: true, row: { id: rowId(o, line, "mcq"), question, answer: letter, answer_type: "MCQ", options } };
}

const CONVERTERS: Record<ConvertFormat, (o: Record<string, unknown>, line: number) => Result> = { gsm8k, math, mcq };

/** Converts a JSON Lines file's text; bad rows are reported with their line numbers and left out. */
export function convertJsonl(content: string, format: ConvertFormat): { rows: ConvertedRow[]; bad: BadRow[] } {
  return parseJsonLines(content, (value, line) => {
    if (value === null || typeof value !== "object" || Array.isArray(value))
      return { ok: false, error: "not a JSON object" };
    const r = CONVERTERS[format](value as Record<string, unknown>, line);
    return r.ok ? { ok: true, value: r.row } : { ok: false, error: r.error };
  });
}
