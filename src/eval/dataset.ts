import { z } from "zod";
import { parseJsonLines, type BadLine } from "../jsonl.ts";
import type { AnswerType, McqOptions } from "../verify/types.ts";
import { parseAnswerType } from "../verify/index.ts";

/** `spice eval` datasets: JSON Lines of `{id?, question, answer, answer_type, options?}` (docs/method.md §3.1). */

export interface EvalItem {
  id: string;
  question: string;
  answer: string;
  answerType: AnswerType;
  options?: McqOptions;
  /** Optional grouping (a difficulty, a subject): results are also broken down by it. */
  group?: string;
}

export type BadRow = BadLine;

const text = z.union([z.string(), z.number()]).transform((v) => String(v).trim());
const optionText = z.string().trim().min(1, "options must be non-empty");

const RowSchema = z
  .object({
    id: text.optional(),
    question: z.string().trim().min(1, "question is empty"),
    answer: text.pipe(z.string().min(1, "answer is empty")),
    answer_type: z.string().transform((v, ctx) => {
      const t = parseAnswerType(v);
      if (t === null) {
        ctx.addIssue({ code: "custom", message: "answer_type must be Integer, Expression, String or MCQ" });
        return z.NEVER;
      }
      return t;
    }),
    options: z.object({ A: optionText, B: optionText, C: optionText, D: optionText }).strict().optional(),
    difficulty: text.optional(),
  })
  .superRefine((row, ctx) => {
    if (row.answer_type !== "MCQ") return;
    if (!row.options) ctx.addIssue({ code: "custom", message: "an MCQ row needs options A-D" });
    if (!/^[A-D]$/i.test(row.answer))
      ctx.addIssue({ code: "custom", message: "an MCQ answer is one of the letters A-D" });
  });

function issueText(error: z.ZodError): string {
  const issue = error.issues[0]!;
  const where = issue.path.length > 0 ? `${issue.path.join(".")}: ` : "";
  return `${where}${issue.message}`;
}

/** Parses a dataset; bad rows are reported with their 1-based line number and left out. */
export function parseDataset(content: string): { items: EvalItem[]; bad: BadRow[] } {
  const seen = new Set<string>();
  const { rows, bad } = parseJsonLines<EvalItem>(content, (value, line) => {
    const parsed = RowSchema.safeParse(value);
    if (!parsed.success) return { ok: false, error: issueText(parsed.error) };
    const row = parsed.data;
    const id = row.id ?? String(line);
    if (seen.has(id)) return { ok: false, error: `duplicate id ${JSON.stringify(id)}` };
    seen.add(id);
    return {
      ok: true,
      value: {
        id,
        question: row.question,
        answer: row.answer_type === "MCQ" ? row.answer.toUpperCase() : row.answer,
        answerType: row.answer_type,
        ...(row.options ? { options: row.options } : {}),
        ...(row.difficulty !== undefined ? { group: row.difficulty } : {}),
      },
    };
  });
  return { items: rows, bad };
}
