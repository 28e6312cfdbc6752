/** Public types of the verifier (docs/method.md §2). */

export const ANSWER_TYPES = ['Integer', 'Expression', 'String', 'MCQ'] as const;
export type AnswerType = (typeof ANSWER_TYPES)[number];

/** MCQ options: `{A: "…", B: "…", C: "…", D: "…"}`. */
export type McqOptions = Partial<Record<string, string>>;

export interface VerifyOptions {
  /** MCQ option texts; used only when the answer carries no letter (M3). */
  options?: McqOptions;
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
  if (typeof value !== 'string') return null;
  const lower = value.trim().toLowerCase();
  return ANSWER_TYPES.find((t) => t.toLowerCase() === lower) ?? null;
}
