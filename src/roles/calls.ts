import type { AppContext } from "../context.ts";
import { getPolicy } from "../policy/index.ts";
import type { AnswerType, McqOptions } from "../verify/types.ts";
import { challenge, type ChallengeOptions, type ChallengeResult } from "./challenge.ts";
import { readDocument, type DocumentSource } from "./documents.ts";
import { solve, type SolveOptions, type SolveResult } from "./solve.ts";

/**
 * One challenger or reasoner call on the process's own policy and corpus, shared by the HTTP routes
 * and the CLI; each edge maps its own request shape onto these options and the result onto its answer.
 */

export interface DocumentChallenge extends ChallengeResult {
  /** The segment the document was read from; null for an inline document. */
  docId: string | null;
}

export async function challengeCall(
  ctx: AppContext,
  source: DocumentSource,
  options: ChallengeOptions,
): Promise<DocumentChallenge> {
  const doc = await readDocument(ctx, source);
  const policy = await getPolicy(ctx);
  return { docId: doc.id, ...(await challenge(policy, doc.text, options)) };
}

export interface AskedQuestion {
  question: string;
  options?: McqOptions;
  /** A gold answer: every rollout is verified against it. */
  answer?: string;
  answerType?: AnswerType;
}

/** Without `answerType`, a gold answer to a question with options is a letter. */
export async function solveCall(ctx: AppContext, q: AskedQuestion, options: SolveOptions): Promise<SolveResult> {
  const policy = await getPolicy(ctx);
  const gold =
    q.answer === undefined ? undefined : { answer: q.answer, answerType: q.answerType ?? "MCQ", options: q.options };
  return solve(policy, { question: q.question, options: q.options, gold }, options);
}
