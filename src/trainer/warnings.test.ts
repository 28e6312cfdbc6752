import { describe, expect, test } from "bun:test";
import { Registry } from "prom-client";
import { StallWatch, stallReport, stallWindow, STALL_WINDOW } from "./warnings.ts";

const it = (iteration: number, valid: number, steps?: number) => ({
  iteration,
  "tasks.valid": valid,
  ...(steps === undefined ? {} : { "learner.steps": steps }),
});

describe("stallReport", () => {
  test("a trailing range of the window's length with no valid task warns, naming the range", () => {
    const history = [it(1, 2, 1), it(2, 0, 1), it(3, 0, 1), it(4, 0, 1)];
    expect(stallReport(history, 4).warnings).toEqual([]);
    const r = stallReport(history, 3);
    expect(r.streaks).toEqual({ no_valid_tasks: 3, no_learner_steps: 0 });
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toMatchObject({ code: "no_valid_tasks", from_iteration: 2, to_iteration: 4, iterations: 3 });
    expect(r.warnings[0]!.message).toStartWith("iterations 2–4 produced no valid task");
  });

  test("a valid task ends the stall; the learner's stall is counted on its own", () => {
    const r = stallReport([it(1, 0, 0), it(2, 0, 0), it(3, 1, 0)], 2);
    expect(r.streaks).toEqual({ no_valid_tasks: 0, no_learner_steps: 3 });
    expect(r.warnings.map((w) => w.code)).toEqual(["no_learner_steps"]);
    expect(r.warnings[0]!.message).toStartWith("iterations 1–3 made no learner step");
  });

  test("iterations without learner steps recorded (rollout-only) never warn about the learner", () => {
    const r = stallReport([it(1, 0), it(2, 0)], 2);
    expect(r.warnings.map((w) => w.code)).toEqual(["no_valid_tasks"]);
    expect(r.streaks.no_learner_steps).toBe(0);
    expect(stallReport([], 1)).toEqual({ streaks: { no_valid_tasks: 0, no_learner_steps: 0 }, warnings: [] });
  });

  test("the window is the run's length when the run is shorter than STALL_WINDOW", () => {
    expect(stallWindow(1)).toBe(1);
    expect(stallWindow(3)).toBe(3);
    expect(stallWindow(1000)).toBe(STALL_WINDOW);
    expect(stallReport([it(7, 0, 0)], stallWindow(1)).warnings[0]!.message).toStartWith("iteration 7 ");
  });
});

describe("StallWatch", () => {
  test("returns a warning once when it starts, keeps it while it lasts, exports gauges and a counter", async () => {
    const registry = new Registry();
    const watch = new StallWatch(3);
    expect(watch.observe(1, { "tasks.valid": 0, "learner.steps": 1 }, registry, "r1")).toEqual([]);
    expect(watch.observe(2, { "tasks.valid": 0, "learner.steps": 1 }, registry, "r1")).toEqual([]);
    const raised = watch.observe(3, { "tasks.valid": 0, "learner.steps": 1 }, registry, "r1");
    expect(raised.map((w) => w.code)).toEqual(["no_valid_tasks"]);
    expect(watch.observe(4, { "tasks.valid": 0, "learner.steps": 1 }, registry, "r1")).toEqual([]);
    expect(watch.warnings).toMatchObject([{ code: "no_valid_tasks", from_iteration: 1, to_iteration: 4 }]);
    let text = await registry.metrics();
    expect(text).toContain('spice_trainer_warnings_total{run="r1",code="no_valid_tasks"} 1');
    expect(text).toContain('spice_trainer_stalled_iterations_no_valid_tasks{run="r1"} 4');
    expect(text).toContain('spice_trainer_stalled_iterations_no_learner_steps{run="r1"} 0');
    watch.observe(5, { "tasks.valid": 2, "learner.steps": 1 }, registry, "r1");
    expect(watch.warnings).toEqual([]);
    text = await registry.metrics();
    expect(text).toContain('spice_trainer_stalled_iterations_no_valid_tasks{run="r1"} 0');
  });

  test("a resumed run starts from its stored history", () => {
    const watch = new StallWatch(10, [it(1, 0, 0), it(2, 0, 0), it(3, 0, 0), it(4, 0, 0)]);
    expect(watch.warnings).toEqual([]);
    expect(watch.observe(5, { "tasks.valid": 0, "learner.steps": 0 }).map((w) => w.code)).toEqual([
      "no_valid_tasks",
      "no_learner_steps",
    ]);
  });
});
