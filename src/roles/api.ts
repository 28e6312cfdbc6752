import type { AppContext } from "../context.ts";
import { getPolicy } from "../policy/index.ts";
import type { TokenEvent } from "../policy/types.ts";
import type { TaskType } from "../spice/task-types.ts";
import type { AnswerType, McqOptions } from "../verify/types.ts";
import { challenge, type ChallengerSample } from "./challenge.ts";
import { readDocument, type DocumentRequest } from "./documents.ts";
import { asPolicyProblem } from "./http-errors.ts";
import { solve, type SolveResult } from "./solve.ts";

/** The role calls as the API shapes them (docs/method.md §3.6), shared by the HTTP routes and the CLI. */

export interface ChallengeRequestBody extends DocumentRequest {
  n: number;
  task_type?: TaskType;
  max_attempts: number;
  temperature: number;
  top_p: number;
  max_tokens: number;
}

export interface TaskOut {
  valid: boolean;
  task_type: TaskType;
  question: string;
  options?: McqOptions;
  answer: string;
  answer_type: AnswerType | null;
  error?: string;
  raw: string;
}

export interface ChallengeResponseBody {
  doc_id: string | null;
  attempts: number;
  rounds: number;
  skipped: boolean;
  truncated: boolean;
  tasks: TaskOut[];
}

function toTaskOut(s: ChallengerSample): TaskOut {
  const r = s.result;
  return {
    valid: r.valid,
    task_type: r.taskType,
    question: r.question,
    ...(r.options ? { options: r.options } : {}),
    answer: r.answer,
    answer_type: r.answerType,
    ...(r.error ? { error: r.error } : {}),
    raw: (s.task ?? s.selection)?.completion.text ?? "",
  };
}

export async function challengeCall(ctx: AppContext, body: ChallengeRequestBody): Promise<ChallengeResponseBody> {
  const doc = await readDocument(ctx, body);
  const policy = await getPolicy(ctx);
  const result = await challenge(policy, doc.text, {
    samples: body.n,
    maxAttempts: body.max_attempts,
    taskTypes: body.task_type ? [body.task_type] : undefined,
    temperature: body.temperature,
    topP: body.top_p,
    maxTokens: body.max_tokens,
    seed: body.seed,
  }).catch(asPolicyProblem);
  return { doc_id: doc.id, attempts: result.attempts, rounds: result.rounds, skipped: result.skipped, truncated: result.truncated, tasks: result.group.map(toTaskOut) };
}

export interface SolveRequestBody {
  question: string;
  options?: McqOptions;
  k: number;
  answer?: string;
  answer_type?: AnswerType;
  temperature: number;
  top_p: number;
  max_tokens: number;
  seed?: number;
}

export interface SolveResponseBody {
  rollouts: { text: string; extracted: string | null; correct?: boolean; reason?: string; finish_reason: "stop" | "length" }[];
  pass_rate?: number;
}

function toSolveBody(r: SolveResult): SolveResponseBody {
  return {
    rollouts: r.rollouts.map((x) => ({
      text: x.text,
      extracted: x.extracted,
      ...(x.correct !== undefined ? { correct: x.correct } : {}),
      ...(x.reason !== undefined ? { reason: x.reason } : {}),
      finish_reason: x.step.completion.finishReason,
    })),
    ...(r.passRate !== undefined ? { pass_rate: r.passRate } : {}),
  };
}

/** Without `answer_type`, a gold answer to a question with options is a letter. */
export async function solveCall(ctx: AppContext, b: SolveRequestBody, onToken?: (e: TokenEvent) => void): Promise<SolveResponseBody> {
  const policy = await getPolicy(ctx);
  const result = await solve(
    policy,
    {
      question: b.question,
      options: b.options,
      gold: b.answer === undefined ? undefined : { answer: b.answer, answerType: b.answer_type ?? "MCQ", options: b.options },
    },
    { rollouts: b.k, temperature: b.temperature, topP: b.top_p, maxTokens: b.max_tokens, seed: b.seed, onToken },
  ).catch(asPolicyProblem);
  return toSolveBody(result);
}
