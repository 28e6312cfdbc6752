/**
 * Errors the library raises for its callers to act on. Each carries a stable `code`; the edges read
 * one table keyed by it (src/error-table.ts) to answer an HTTP problem or a CLI exit, so no library
 * module knows about HTTP statuses or exit codes.
 */

export type PolicyErrorKind = "unavailable" | "timeout" | "bad_response" | "invalid_request";

export type SpiceErrorCode =
  | "document_not_found"
  | "corpus_empty"
  | "corpus_unavailable"
  | "ingest_busy"
  | "context_too_long"
  | "bad_input"
  | "policy_spec"
  | `policy_${PolicyErrorKind}`
  | "trainer_busy"
  | "trainer_state"
  | "trainer_setup"
  | "gym_bad_row"
  | "gym_no_task"
  | "gym_no_assignment";

export class SpiceError extends Error {
  constructor(
    readonly code: SpiceErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A corpus segment id that the corpus does not hold. */
export class DocumentNotFound extends SpiceError {
  constructor(readonly docId: string) {
    super("document_not_found", `no corpus segment ${docId}`);
  }
}

/** A draw from a corpus with no segments. */
export class CorpusEmpty extends SpiceError {
  constructor() {
    super("corpus_empty", "the corpus has no segments to sample; ingest documents first");
  }
}

export class CorpusUnavailable extends SpiceError {
  constructor(cause: unknown) {
    const why = cause instanceof Error ? cause.message : String(cause);
    super("corpus_unavailable", `the corpus could not be opened: ${why}`, { cause });
  }
}

/** The model's context cannot hold the prompt and the generation budget asked for. */
export class ContextTooLong extends SpiceError {
  constructor(message: string) {
    super("context_too_long", message);
  }
}

/** Arguments no call can work with (the edges validate first; this guards direct library use). */
export class BadInput extends SpiceError {
  constructor(message: string) {
    super("bad_input", message);
  }
}

/** A policy spec that no registered backend opens (src/policy/registry.ts). */
export class PolicySpecError extends SpiceError {
  constructor(message: string) {
    super("policy_spec", message);
  }
}

/** A NeMo-Gym request whose row the environment cannot use (docs/gym.md): bad data, not worth a retry. */
export class GymBadRow extends SpiceError {
  constructor(message: string) {
    super("gym_bad_row", message);
  }
}

/** `/reset` found the task pool empty after waiting: retryable, the challenger rows fill it. */
export class GymNoTask extends SpiceError {
  constructor(message: string) {
    super("gym_no_task", message);
  }
}

/** `/step` for a reasoner row that was never reset: the task it answers is unknown. */
export class GymNoAssignment extends SpiceError {
  constructor(message: string) {
    super("gym_no_assignment", message);
  }
}
