import { SpiceError, type SpiceErrorCode, StorageReadOnly } from "./errors.ts";

/** How both edges answer one kind of library error: the HTTP problem's status and title, and the CLI's exit code. */
export interface ErrorAnswer {
  /** 499: the client closed the request (nginx's convention); no one reads it, the request log does. */
  status: 400 | 404 | 409 | 499 | 502 | 503 | 504;
  title: string;
  /** 2: the caller's input cannot work (docs/method.md §3.1); 1: a failure on our side or the policy server's. */
  exit: 1 | 2;
}

/**
 * The one table from library errors to the edges: the app's onError answers problem+json from it,
 * the CLI one line on stderr and the exit code. Keyed by every code, so a new error cannot go unmapped.
 */
export const ERROR_TABLE: Record<SpiceErrorCode, ErrorAnswer> = {
  document_not_found: { status: 404, title: "Not found", exit: 2 },
  corpus_empty: { status: 409, title: "Corpus empty", exit: 2 },
  corpus_unavailable: { status: 503, title: "Corpus unavailable", exit: 1 },
  // The edge build serves no corpus: a request naming a segment cannot work there, however often it is retried.
  no_corpus: { status: 400, title: "No corpus", exit: 2 },
  ingest_busy: { status: 409, title: "Ingest in progress", exit: 1 },
  context_too_long: { status: 400, title: "Request does not fit the policy", exit: 2 },
  cancelled: { status: 499, title: "Client closed request", exit: 1 },
  bad_input: { status: 400, title: "Bad request", exit: 2 },
  // A server whose SPICE_MODEL names nothing cannot serve; on the command line it is a bad flag.
  policy_spec: { status: 503, title: "Policy unavailable", exit: 2 },
  policy_unavailable: { status: 503, title: "Policy unavailable", exit: 1 },
  policy_timeout: { status: 504, title: "Policy timed out", exit: 1 },
  policy_bad_response: { status: 502, title: "Bad answer from the policy", exit: 1 },
  policy_invalid_request: { status: 400, title: "Request does not fit the policy", exit: 2 },
  trainer_busy: { status: 409, title: "Conflict", exit: 2 },
  trainer_state: { status: 409, title: "Conflict", exit: 2 },
  trainer_setup: { status: 400, title: "Invalid trainer setup", exit: 2 },
  trainer_config_conflict: { status: 409, title: "Configuration differs from the unfinished run", exit: 2 },
  gym_bad_row: { status: 400, title: "Bad row", exit: 2 },
  // Retryable on purpose: NeMo-RL retries a 5xx as an infrastructure failure, and the pool fills as challenger rows run.
  gym_no_task: { status: 503, title: "No task in the pool yet", exit: 1 },
  gym_no_assignment: { status: 409, title: "No task for this rollout", exit: 2 },
  // The data dir cannot take the write (docs: README "Security and operations"); reads go on.
  storage_read_only: { status: 503, title: "Data dir read-only", exit: 2 },
};

/**
 * The answer for a library error, with its message as the detail; null for any other error. A file-system
 * error refusing a write (EROFS, EACCES, EPERM, with its path) is answered as `storage_read_only`, wherever
 * in the library it was raised.
 */
export function errorAnswer(err: unknown): (ErrorAnswer & { detail: string; extra: Record<string, unknown> }) | null {
  const known = err instanceof SpiceError ? err : StorageReadOnly.from(err);
  if (!known) return null;
  return { ...ERROR_TABLE[known.code], detail: known.message, extra: known.extra ?? {} };
}
