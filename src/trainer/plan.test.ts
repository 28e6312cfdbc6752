import { afterEach, describe, expect, test } from "bun:test";
import { BadInput } from "../errors.ts";
import { testContext } from "../../test/helpers.ts";
import { testTrainerConfig } from "../../test/trainer/fixtures.ts";
import { parseTrainerConfig } from "./config.ts";
import { createRun, setRunStatus } from "./persist.ts";
import { configDifferences, planStart, TrainerConfigConflict, TrainerStateError } from "./plan.ts";

const contexts: Array<ReturnType<typeof testContext>> = [];
afterEach(async () => {
  for (const c of contexts.splice(0)) await c.close();
});
function ctx() {
  const c = testContext();
  contexts.push(c);
  return c;
}

describe("what a start does (no silent resume)", () => {
  test("nothing unfinished: a new run with the given configuration, or the defaults", () => {
    const c = ctx();
    const config = testTrainerConfig({ iterations: 7 });
    expect(planStart(c.db, config)).toEqual({ run: null, config });
    expect(planStart(c.db, null)).toEqual({ run: null, config: parseTrainerConfig({}) });
    expect(() => planStart(c.db, null, { resume: true })).toThrow(TrainerStateError);
  });

  test("an unfinished run: no configuration or the same one resumes it; another one is refused naming the keys", () => {
    const c = ctx();
    const stored = testTrainerConfig({ iterations: 5 });
    createRun(c.db, "r1", stored);
    setRunStatus(c.db, "r1", "stopped");
    expect(planStart(c.db, null).run?.id).toBe("r1");
    expect(planStart(c.db, stored).run?.id).toBe("r1");
    const other = testTrainerConfig({ iterations: 50, seed: 9 });
    let err: unknown;
    try {
      planStart(c.db, other);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TrainerConfigConflict);
    const conflict = err as TrainerConfigConflict;
    expect(conflict.differences).toEqual([
      { key: "iterations", run: 5, given: 50 },
      { key: "seed", run: 1, given: 9 },
    ]);
    expect(conflict.message).toContain("r1");
    expect(conflict.message).toContain("--resume");
    expect(conflict.message).toContain("--new-run");
    expect(conflict.extra).toMatchObject({ run_id: "r1", differing_keys: ["iterations", "seed"] });
    // The two ways on.
    expect(planStart(c.db, other, { resume: true })).toMatchObject({ run: { id: "r1" }, config: stored });
    expect(planStart(c.db, other, { newRun: true })).toEqual({ run: null, config: other });
    expect(() => planStart(c.db, other, { newRun: true, resume: true })).toThrow(BadInput);
  });

  test("a finished or failed run is not resumed", () => {
    const c = ctx();
    createRun(c.db, "done", testTrainerConfig());
    setRunStatus(c.db, "done", "finished");
    expect(planStart(c.db, testTrainerConfig({ iterations: 9 })).run).toBeNull();
    expect(() => planStart(c.db, null, { resumeRun: "done" })).toThrow(/cannot be resumed \(finished\)/);
    expect(() => planStart(c.db, null, { resumeRun: "nope" })).toThrow(/no such run/);
  });

  test("a stored configuration from before a key existed is read with that key's default", () => {
    const given = parseTrainerConfig({ iterations: 4 });
    const { top_p: _dropped, ...older } = given;
    expect(configDifferences(older, given)).toEqual([]);
    expect(configDifferences({ ...older, top_p: 0.9 }, given).map((d) => d.key)).toEqual(["top_p"]);
  });
});
