/**
 * Public types of the verifier (docs/method.md §2), and the answer vocabulary of the whole project: the
 * verifier is the bottom layer, so the challenger, the routes and the CLI take these from here.
 */
import { z } from "zod";

export const ANSWER_TYPES = ["Integer", "Expression", "String", "MCQ"] as const;
export const AnswerTypeSchema = z.enum(ANSWER_TYPES);
export type AnswerType = z.infer<typeof AnswerTypeSchema>;

export const MCQ_LETTERS = ["A", "B", "C", "D"] as const;

/** The four options of a multiple-choice task: `{A: "…", B: "…", C: "…", D: "…"}`. */
export const McqOptionsSchema = z.object({ A: z.string(), B: z.string(), C: z.string(), D: z.string() });
export type McqOptions = z.infer<typeof McqOptionsSchema>;

/**
 * Option texts as the verifier accepts them: any letters, any subset. A verify row may carry
 * fewer or other keys than a task's options; M3 looks up only A-D and skips the missing ones.
 */
export type OptionTexts = Partial<Record<string, string>>;

export interface VerifyOptions {
  /** MCQ option texts; used only when the answer carries no letter (M3). */
  options?: OptionTexts;
}

export interface Verdict {
  correct: boolean;
  /** The extracted final answer as written (before normalisation), or null when none. */
  extracted: string | null;
  /** Why: which rule decided, in a few words. */
  reason: string;
}

/** `answer_type` is matched case-insensitively, so the challenger's `mcq` works. */
export function parseAnswerType(value: unknown): AnswerType | null {
  if (typeof value !== "string") return null;
  const lower = value.trim().toLowerCase();
  return ANSWER_TYPES.find((t) => t.toLowerCase() === lower) ?? null;
}
