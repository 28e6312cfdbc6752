import { ComputeEngine } from "@cortex-js/compute-engine";
import { MCQ_LETTERS, type AnswerType, type McqOptions } from "../verify/types.ts";
import { FREE_FORM_ANSWER_TYPES, type FreeFormAnswerType, type TaskType } from "./task-types.ts";
import { parseModelJson, type JsonValue } from "./tolerant-json.ts";

/**
 * The challenger's pure part: reading and validating its two outputs (docs/method.md §1,
 * "Prompts and output formats"). Every invalid output gets a reason.
 */

export interface Selection {
  taskType: TaskType;
  answerType: FreeFormAnswerType | null;
  reason: string;
}

export type SelectionResult = { valid: true; selection: Selection } | { valid: false; error: string };

/** A task as far as it could be read; every field is present (possibly empty) so that invalid tasks can be shown too. */
export interface ChallengerTask {
  valid: boolean;
  taskType: TaskType;
  question: string;
  options?: McqOptions;
  answer: string;
  answerType: AnswerType | null;
  error?: string;
}

let engine: ComputeEngine | null = null;
function mathEngine(): ComputeEngine {
  engine ??= new ComputeEngine();
  return engine;
}

/** A scalar a model wrote as text; numbers are accepted because models write {"answer": 42}. */
function asText(v: JsonValue | undefined): string | null {
  if (typeof v === "string") return v.trim();
  if (typeof v === "number" && Number.isFinite(v)) return String(v);
  return null;
}

function canonicalAnswerType(v: JsonValue | undefined): FreeFormAnswerType | null {
  if (typeof v !== "string") return null;
  return FREE_FORM_ANSWER_TYPES.find((t) => t.toLowerCase() === v.trim().toLowerCase()) ?? null;
}

export function parseSelection(output: string, allowed: readonly TaskType[]): SelectionResult {
  const parsed = parseModelJson(output);
  if (!parsed.ok) return { valid: false, error: `selection: ${parsed.reason}` };
  const o = parsed.value;
  const raw = typeof o.task_type === "string" ? o.task_type.trim().toLowerCase().replace(/[- ]/g, "_") : null;
  if (raw !== "mcq" && raw !== "free_form")
    return { valid: false, error: 'selection: task_type is not "mcq" or "free_form"' };
  if (!allowed.includes(raw)) return { valid: false, error: `selection: task_type "${raw}" is not allowed here` };
  const reason = typeof o.reason === "string" ? o.reason : "";
  if (raw === "mcq") return { valid: true, selection: { taskType: "mcq", answerType: null, reason } };
  const answerType = canonicalAnswerType(o.answer_type);
  if (answerType === null)
    return { valid: false, error: "selection: free_form needs answer_type Integer, Expression or String" };
  return { valid: true, selection: { taskType: "free_form", answerType, reason } };
}

const INTEGER = /^[+-]?(?:\d+|\d{1,3}(?:,\d{3})+)$/;

/** Math delimiters a model may wrap an answer in; the content is what must parse. */
function stripMathDelimiters(s: string): string {
  return s
    .trim()
    .replace(/^\$\$?([\s\S]*?)\$?\$$/, "$1")
    .replace(/^\\\(([\s\S]*)\\\)$/, "$1")
    .replace(/^\\\[([\s\S]*)\\\]$/, "$1")
    .trim();
}

function normalizeForLeak(s: string): string {
  return s
    .toLowerCase()
    .replace(/\s+/g, " ")
    .replace(/[.!?,;:]+$/, "")
    .trim();
}

/** Why a free-form answer does not fit its type, or null when it does. */
export function answerTypeError(question: string, answer: string, type: FreeFormAnswerType): string | null {
  if (type === "Integer") return INTEGER.test(stripMathDelimiters(answer)) ? null : "answer is not an integer";
  if (type === "Expression") {
    const latex = stripMathDelimiters(answer);
    if (latex === "" || !mathEngine().parse(latex).isValid) return "answer does not parse as a math expression";
    return null;
  }
  const needle = normalizeForLeak(answer);
  if (needle !== "" && normalizeForLeak(question).includes(needle)) return "answer appears verbatim in the question";
  return null;
}

function invalid(base: Omit<ChallengerTask, "valid" | "error">, error: string): ChallengerTask {
  return { ...base, valid: false, error };
}

export function parseMcq(output: string): ChallengerTask {
  const empty: Omit<ChallengerTask, "valid" | "error"> = {
    taskType: "mcq",
    question: "",
    answer: "",
    answerType: "MCQ",
  };
  const parsed = parseModelJson(output);
  if (!parsed.ok) return invalid(empty, parsed.reason);
  const o = parsed.value;
  if (Object.keys(o).length === 0) return invalid(empty, "empty object (the challenger declined the document)");
  const question = asText(o.question) ?? "";
  const answer = (asText(o.answer) ?? "").replace(/^\(?([A-Da-d])\)?\.?$/, "$1").toUpperCase();
  const base = { ...empty, question, answer };
  const rawOptions = o.options;
  if (rawOptions === null || typeof rawOptions !== "object" || Array.isArray(rawOptions))
    return invalid(base, "options is not an object with keys A-D");
  const keys = Object.keys(rawOptions);
  const texts = MCQ_LETTERS.map((k) => asText(rawOptions[k]));
  const options = Object.fromEntries(MCQ_LETTERS.map((k, i) => [k, texts[i] ?? ""])) as McqOptions;
  const withOptions = { ...base, options };
  if (question === "") return invalid(withOptions, "question is empty");
  const missing = MCQ_LETTERS.filter((k, i) => !keys.includes(k) || texts[i] === null);
  if (missing.length > 0) return invalid(withOptions, `missing option ${missing.join(", ")}`);
  const extra = keys.filter((k) => !(MCQ_LETTERS as readonly string[]).includes(k));
  if (extra.length > 0) return invalid(withOptions, `unexpected option key ${extra.join(", ")}`);
  if (texts.some((t) => t === "")) return invalid(withOptions, "an option is empty");
  const seen = new Set(texts.map((t) => normalizeForLeak(t!)));
  if (seen.size < 4) return invalid(withOptions, "options are not pairwise distinct");
  if (!(MCQ_LETTERS as readonly string[]).includes(answer))
    return invalid(withOptions, "answer is not one of the option letters A-D");
  return { ...withOptions, valid: true };
}

export function parseFreeForm(output: string, expected: FreeFormAnswerType): ChallengerTask {
  const empty: Omit<ChallengerTask, "valid" | "error"> = {
    taskType: "free_form",
    question: "",
    answer: "",
    answerType: expected,
  };
  const parsed = parseModelJson(output);
  if (!parsed.ok) return invalid(empty, parsed.reason);
  const o = parsed.value;
  if (Object.keys(o).length === 0)
    return invalid(empty, "empty object (the challenger judged the document too simple)");
  const question = asText(o.question) ?? "";
  const answer = asText(o.answer) ?? "";
  const answerType = canonicalAnswerType(o.answer_type);
  const base = { ...empty, question, answer, answerType: answerType ?? expected };
  if (question === "") return invalid(base, "question is empty");
  if (answer === "") return invalid(base, "answer is empty");
  if (answerType === null) return invalid(base, "answer_type is not Integer, Expression or String");
  if (answerType !== expected) return invalid(base, `answer_type ${answerType} differs from the chosen ${expected}`);
  const typeError = answerTypeError(question, answer, answerType);
  return typeError === null ? { ...base, valid: true } : invalid(base, typeError);
}

/** Validates the step-2 output for a selection. */
export function parseTask(output: string, selection: Selection): ChallengerTask {
  return selection.taskType === "mcq" ? parseMcq(output) : parseFreeForm(output, selection.answerType!);
}
