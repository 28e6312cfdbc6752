import type { Policy } from "../policy/types.ts";
import type { AnswerType, McqOptions } from "../verify/types.ts";
import { challenge, type ChallengeOptions, type ChallengeResult } from "./challenge.ts";
import { solve, type SolveOptions, type SolveResult } from "./solve.ts";

/**
 * One challenger or reasoner call over the services a host gives: the HTTP routes and the CLI use the
 * process's own policy and corpus (`roleServices`, src/roles/services.ts), the edge build a policy
 * reached over fetch and no corpus (src/app-edge.ts). Each edge maps its own request shape onto these
 * options and the result onto its answer. Web-standard: nothing here reaches a runtime API.
 */

/** Where the challenger's document comes from: given inline, a corpus segment by id, or a seeded draw. */
export type DocumentSource =
  | { kind: "inline"; text: string }
  | { kind: "segment"; id: string }
  | { kind: "draw"; seed?: number };

export interface RoleDocument {
  /** The segment id, or null for an inline document. */
  id: string | null;
  text: string;
}

/** What both roles need from their host. */
export interface RoleServices {
  /** The policy both roles run on (opened on first use, then shared). */
  policy(): Promise<Policy>;
  /** The challenger's document; a host without a corpus answers only `inline`. */
  document(source: DocumentSource): Promise<RoleDocument>;
}

export interface DocumentChallenge extends ChallengeResult {
  /** The segment the document was read from; null for an inline document. */
  docId: string | null;
}

export async function challengeCall(
  services: RoleServices,
  source: DocumentSource,
  options: ChallengeOptions,
): Promise<DocumentChallenge> {
  const doc = await services.document(source);
  const policy = await services.policy();
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
export async function solveCall(services: RoleServices, q: AskedQuestion, options: SolveOptions): Promise<SolveResult> {
  const policy = await services.policy();
  const gold =
    q.answer === undefined ? undefined : { answer: q.answer, answerType: q.answerType ?? "MCQ", options: q.options };
  return solve(policy, { question: q.question, options: q.options, gold }, options);
}
