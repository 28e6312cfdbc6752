/**
 * One verdict row as `spice verify` and `POST /v1/verify` exchange it (docs/method.md §3.2):
 * in `{id?, response, answer, answer_type, options?}`, out `{id, correct, reward, extracted,
 * reason}`, or `{id, line, error}` for a row that cannot be read. `line` counts from 1 everywhere (the line of
 * a JSON Lines input, the item of an HTTP batch); an HTTP batch's error row also carries `index`, from 0.
 */
import { z } from "zod";
import { verify } from "./index.ts";
import { ANSWER_TYPES, parseAnswerType } from "./types.ts";

/** "required: X" for a missing field, "expected X, got T" for a present one of the wrong type. */
const expecting = (what: string) => (i: { input?: unknown }) =>
  i.input === undefined
    ? `required: ${what}`
    : `expected ${what}, got ${Array.isArray(i.input) ? "an array" : i.input === null ? "null" : typeof i.input}`;

export const VerifyRowSchema = z.object({
  id: z.union([z.string(), z.number()], { error: expecting("a string or a number") }).optional(),
  response: z.string({ error: expecting("the reasoner response as a string") }),
  answer: z
    .union([z.string(), z.number()], { error: expecting("the gold answer as a string or a number") })
    .transform(String),
  answer_type: z
    .string({ error: expecting(`one of ${ANSWER_TYPES.join(", ")}`) })
    .refine((s) => parseAnswerType(s) !== null, { message: `must be one of ${ANSWER_TYPES.join(", ")} (any case)` }),
  options: z.record(z.string(), z.string(), { error: expecting("an object of option texts {A, B, C, D}") }).optional(),
});

/** The same row with unknown keys refused: the HTTP route's items (pipelines' JSON Lines rows may carry more). */
export const ClosedVerifyRowSchema = z.strictObject(VerifyRowSchema.shape, {
  error: (i) =>
    i.code === "unrecognized_keys"
      ? `unknown field (expected only: ${Object.keys(VerifyRowSchema.shape).join(", ")})`
      : undefined,
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
  /** 0-based position in an HTTP batch (absent on the command line). */
  index?: number;
  /** 1-based: the line of a JSON Lines input, or the item number of an HTTP batch. */
  line: number;
  error: string;
}

export const isErrorRow = (row: VerdictRow | ErrorRow): row is ErrorRow => "error" in row;

/** Each failing field and what it expects; an unknown key is named by itself. */
function describeIssues(error: z.ZodError): string {
  const field = (path: PropertyKey[]) => (path.length ? path.map(String).join(".") : "(row)");
  return error.issues
    .flatMap((i) =>
      i.code === "unrecognized_keys"
        ? i.keys.map((k) => `${field([...i.path, k])}: ${i.message}`)
        : [`${field(i.path)}: ${i.message}`],
    )
    .join("; ");
}

/** The input's id when it has a usable one, else the fallback (line number or item index). */
function idOf(raw: unknown, fallback: RowId): RowId {
  if (raw && typeof raw === "object" && "id" in raw) {
    const id = (raw as { id: unknown }).id;
    if (typeof id === "string" || (typeof id === "number" && Number.isFinite(id))) return id;
  }
  return fallback;
}

/**
 * Verifies one parsed row. `at` places a bad row: `{line}` for a JSON Lines input, `{index}` (0-based) for an
 * HTTP batch item, which is reported with `line: index + 1` too. `closed` refuses unknown keys.
 */
export function verifyRow(
  raw: unknown,
  fallbackId: RowId,
  at: { line: number } | { index: number },
  closed = false,
): VerdictRow | ErrorRow {
  const parsed = (closed ? ClosedVerifyRowSchema : VerifyRowSchema).safeParse(raw);
  if (!parsed.success) {
    const where = "index" in at ? { index: at.index, line: at.index + 1 } : { line: at.line };
    return { id: idOf(raw, fallbackId), ...where, error: describeIssues(parsed.error) };
  }
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
  return verifyRow(raw, lineNumber, { line: lineNumber });
}
