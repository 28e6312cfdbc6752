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
  | "no_corpus"
  | "ingest_busy"
  | "context_too_long"
  | "cancelled"
  | "bad_input"
  | "policy_spec"
  | `policy_${PolicyErrorKind}`
  | "trainer_busy"
  | "trainer_state"
  | "trainer_setup"
  | "storage_read_only"
  | "trainer_config_conflict"
  | "gym_bad_row"
  | "gym_no_task"
  | "gym_no_assignment";

export class SpiceError extends Error {
  /**
   * @param extra structured facts the edges pass on (an HTTP problem's extension members, e.g. the
   * trainer lock's holder); the message already says them in words.
   */
  constructor(
    readonly code: SpiceErrorCode,
    message: string,
    options?: ErrorOptions,
    readonly extra?: Record<string, unknown>,
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

/** A corpus document asked of a host that has none (the edge build): send the document itself. */
export class NoCorpus extends SpiceError {
  constructor(message: string) {
    super("no_corpus", message);
  }
}

/** The model's context cannot hold the prompt and the generation budget asked for. */
export class ContextTooLong extends SpiceError {
  constructor(message: string) {
    super("context_too_long", message);
  }
}

/**
 * The caller went away (its AbortSignal fired: an HTTP client disconnected, a trainer stop): the work
 * was dropped at the next decoding step, and nothing is left to answer.
 */
export class Cancelled extends SpiceError {
  constructor(message = "the request was cancelled by its caller") {
    super("cancelled", message);
  }
}

/** Arguments no call can work with (the edges validate first; this guards direct library use). */
export class BadInput extends SpiceError {
  constructor(message: string) {
    super("bad_input", message);
  }
}

/** Errno codes of a file system that refuses access: EROFS only ever answers a write; the others may answer a read. */
const DENIED_CODES = new Set(["EROFS", "EACCES", "EPERM"]);

/**
 * A write the data dir refuses (a read-only mount, files owned by someone else): names the path and the cause.
 * Reads go on; only the write that needed the path fails (HTTP 503, exit 2).
 */
export class StorageReadOnly extends SpiceError {
  constructor(
    readonly path: string,
    readonly cause_: string,
    options?: ErrorOptions,
  ) {
    super("storage_read_only", `cannot write ${path}: ${cause_}`, options);
  }

  /**
   * The StorageReadOnly an error stands for, or null. Anywhere: EROFS (a read-only mount refused a write). Where
   * the caller knows it was writing (`writing`, with the path as fallback): also EACCES / EPERM, and SQLite's
   * read-only and cannot-open codes for the database at that path.
   */
  static from(err: unknown, writing?: string): StorageReadOnly | null {
    if (err instanceof StorageReadOnly) return err;
    const e = err as { code?: unknown; path?: unknown; message?: unknown } | null;
    if (!e || typeof e !== "object" || typeof e.code !== "string") return null;
    const path = typeof e.path === "string" ? e.path : writing;
    if ((e.code === "EROFS" || (writing !== undefined && DENIED_CODES.has(e.code))) && path) {
      const cause = e.code === "EROFS" ? "read-only file system (EROFS)" : `permission denied (${e.code})`;
      return new StorageReadOnly(path, cause, { cause: err });
    }
    if (/^SQLITE_(READONLY|CANTOPEN)/.test(e.code) && writing !== undefined) {
      return new StorageReadOnly(writing, `${String(e.message)} (${e.code})`, { cause: err });
    }
    return null;
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
