/**
 * One verdict row as `spice verify` and `POST /v1/verify` exchange it (docs/method.md §3.2):
 * in `{id?, response, answer, answer_type, options?}`, out `{id, correct, reward, extracted,
 * reason}`, or `{id, line, error}` for a row that cannot be read.
 */
import { z } from "zod";
import { verify } from "./index.ts";
import { ANSWER_TYPES, parseAnswerType } from "./types.ts";

export const VerifyRowSchema = z.object({
  id: z.union([z.string(), z.number()], { message: "must be a string or a number" }).optional(),
  response: z.string({ message: "required: the reasoner response as a string" }),
  answer: z
    .union([z.string(), z.number()], { message: "required: the gold answer as a string or a number" })
    .transform(String),
  answer_type: z
    .string({ message: `required: one of ${ANSWER_TYPES.join(", ")}` })
    .refine((s) => parseAnswerType(s) !== null, { message: `must be one of ${ANSWER_TYPES.join(", ")} (any case)` }),
  options: z.record(z.string(), z.string()).optional(),
});

export type VerifyRowIn = z.input<typeof VerifyRowSchema>;
export type RowId = string | number;

export interface VerdictRow {
  id: RowId;
  correct: boolean;
  reward: 0 | 1;
  extracted: string | null;
  reason: string;
}

export interface ErrorRow {
  id: RowId;
  line: number;
  error: string;
}

export const isErrorRow = (row: VerdictRow | ErrorRow): row is ErrorRow => "error" in row;

function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.length ? i.path.join(".") : "(row)"}: ${i.message}`).join("; ");
}

/** The input's id when it has a usable one, else the fallback (line number or item index). */
function idOf(raw: unknown, fallback: RowId): RowId {
  if (raw && typeof raw === "object" && "id" in raw) {
    const id = (raw as { id: unknown }).id;
    if (typeof id === "string" || (typeof id === "number" && Number.isFinite(id))) return id;
  }
  return fallback;
}

/** Verifies one parsed row; `line` is where a bad row is reported (line number or item index). */
export function verifyRow(raw: unknown, fallbackId: RowId, line: number): VerdictRow | ErrorRow {
  const parsed = VerifyRowSchema.safeParse(raw);
  if (!parsed.success) return { id: idOf(raw, fallbackId), line, error: describeIssues(parsed.error) };
  const row = parsed.data;
  const v = verify(row.response, row.answer, row.answer_type, row.options ? { options: row.options } : undefined);
  return {
    id: row.id ?? fallbackId,
    correct: v.correct,
    reward: v.correct ? 1 : 0,
    extracted: v.extracted,
    reason: v.reason,
  };
}

/** One JSON Lines line → its verdict row, or an error row naming the line (malformed JSON). */
export function verifyJsonLine(text: string, lineNumber: number): VerdictRow | ErrorRow {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return {
      id: lineNumber,
      line: lineNumber,
      error: `malformed JSON: ${err instanceof Error ? err.message : String(err)}`,
    };
  }
  return verifyRow(raw, lineNumber, lineNumber);
}
