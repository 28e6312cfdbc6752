import type { z } from "@hono/zod-openapi";
import type { DocumentChallenge, DocumentSource } from "../../src/roles/calls.ts";
import type { ChallengeOptions, ChallengerSample } from "../../src/roles/challenge.ts";
import type { ChallengeRequest, ChallengeResponse } from "./schema.ts";

/** The challenger's wire shapes (snake_case, from the route schemas) to and from the library's call. */

export type ChallengeRequestBody = z.infer<typeof ChallengeRequest>;
export type ChallengeResponseBody = z.infer<typeof ChallengeResponse>;

/** The schema lets exactly one of `document`, `doc_id` and `sample` through. */
export function documentSource(b: ChallengeRequestBody): DocumentSource {
  if (b.document !== undefined) return { kind: "inline", text: b.document };
  if (b.doc_id !== undefined) return { kind: "segment", id: b.doc_id };
  return { kind: "draw", seed: b.seed };
}

export function challengeOptions(b: ChallengeRequestBody): ChallengeOptions {
  return {
    samples: b.n,
    maxAttempts: b.max_attempts,
    taskTypes: b.task_type ? [b.task_type] : undefined,
    temperature: b.temperature,
    topP: b.top_p,
    maxTokens: b.max_tokens,
    seed: b.seed,
  };
}

function taskBody(s: ChallengerSample): ChallengeResponseBody["tasks"][number] {
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

/** The HTTP answer; `spice challenge --json` prints the same. */
export function challengeBody(r: DocumentChallenge): ChallengeResponseBody {
  return {
    doc_id: r.docId,
    attempts: r.attempts,
    rounds: r.rounds,
    skipped: r.skipped,
    truncated: r.truncated,
    tasks: r.group.map(taskBody),
  };
}
