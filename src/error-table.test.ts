import { describe, expect, test } from "bun:test";
import { LockBusyError } from "./corpus/lock.ts";
import { errorAnswer } from "./error-table.ts";
import {
  BadInput,
  Cancelled,
  ContextTooLong,
  CorpusEmpty,
  CorpusUnavailable,
  DocumentNotFound,
  StorageReadOnly,
} from "./errors.ts";
import { deniedWrite } from "./paths.ts";
import { PolicySpecError } from "./errors.ts";
import { PolicyError } from "./policy/types.ts";
import { HttpProblem, problemFor } from "./problem.ts";
import { TrainerSetupError } from "./trainer/factory.ts";
import { TrainerBusyError } from "./trainer/lock.ts";
import { TrainerConfigConflict, TrainerStateError } from "./trainer/plan.ts";

const answer = (err: unknown) => {
  const a = errorAnswer(err);
  return a && [a.status, a.title, a.exit];
};

describe("the error table", () => {
  test("each library error has its HTTP status and title and its CLI exit code", () => {
    expect(answer(new DocumentNotFound("s-1"))).toEqual([404, "Not found", 2]);
    expect(answer(new CorpusEmpty())).toEqual([409, "Corpus empty", 2]);
    expect(answer(new CorpusUnavailable(new Error("disk")))).toEqual([503, "Corpus unavailable", 1]);
    const lock = new LockBusyError({ pid: 1, since: "now", token: "t" }, "/x.lock");
    expect(answer(lock)).toEqual([409, "Ingest in progress", 1]);
    expect(answer(new ContextTooLong("no room"))).toEqual([400, "Request does not fit the policy", 2]);
    expect(answer(new BadInput("samples"))).toEqual([400, "Bad request", 2]);
    expect(answer(new Cancelled())).toEqual([499, "Client closed request", 1]);
    expect(answer(new PolicySpecError("nothing"))).toEqual([503, "Policy unavailable", 2]);
    expect(answer(new PolicyError("unavailable", "down"))).toEqual([503, "Policy unavailable", 1]);
    expect(answer(new PolicyError("timeout", "slow"))).toEqual([504, "Policy timed out", 1]);
    expect(answer(new PolicyError("bad_response", "junk"))).toEqual([502, "Bad answer from the policy", 1]);
    expect(answer(new PolicyError("invalid_request", "too long"))).toEqual([400, "Request does not fit the policy", 2]);
    expect(answer(new TrainerBusyError("busy"))).toEqual([409, "Conflict", 2]);
    expect(answer(new TrainerStateError("paused"))).toEqual([409, "Conflict", 2]);
    expect(answer(new TrainerSetupError("no corpus"))).toEqual([400, "Invalid trainer setup", 2]);
    const conflict = new TrainerConfigConflict("r1", [{ key: "seed", run: 1, given: 2 }], 3, 20);
    expect(answer(conflict)).toEqual([409, "Configuration differs from the unfinished run", 2]);
    // Structured facts travel as the problem's extension members.
    expect(problemFor(conflict)?.extra).toMatchObject({ run_id: "r1", differing_keys: ["seed"] });
  });

  test("a write the data dir refuses is a 503 / exit 2 naming the path and the cause", () => {
    const erofs = Object.assign(new Error("EROFS: read-only file system, open '/d/x'"), {
      code: "EROFS",
      path: "/d/corpus/ingest.lock",
    });
    expect(answer(erofs)).toEqual([503, "Data dir read-only", 2]);
    expect(errorAnswer(erofs)?.detail).toBe("cannot write /d/corpus/ingest.lock: read-only file system (EROFS)");
    // EACCES can answer a read too: it counts as a refused write only inside the data dir.
    const eacces = (path: string) => Object.assign(new Error("EACCES"), { code: "EACCES", path });
    expect(errorAnswer(eacces("/elsewhere/in.jsonl"))).toBeNull();
    expect(deniedWrite(eacces("/elsewhere/in.jsonl"), "/d")).toBeNull();
    expect(deniedWrite(eacces("/d/trainer.pid"), "/d")?.message).toBe(
      "cannot write /d/trainer.pid: permission denied (EACCES)",
    );
    expect(answer(new StorageReadOnly("/d/spice.sqlite", "read-only"))).toEqual([503, "Data dir read-only", 2]);
  });

  test("the message is the detail; errors outside the family are not answered", () => {
    expect(errorAnswer(new DocumentNotFound("s-1"))?.detail).toBe("no corpus segment s-1");
    expect(new PolicyError("timeout", "slow").name).toBe("PolicyError");
    expect(errorAnswer(new Error("bug"))).toBeNull();
    expect(errorAnswer(new RangeError("bug"))).toBeNull();
  });

  test("the app's problem: a route's own HttpProblem as it is, a library error through the table", () => {
    const own = new HttpProblem(413, "Too many items", "at most 3");
    expect(problemFor(own)).toBe(own);
    const p = problemFor(new PolicyError("timeout", "slow"));
    expect(p).toMatchObject({ status: 504, title: "Policy timed out", detail: "slow" });
    expect(problemFor(new Error("bug"))).toBeNull();
  });
});
