import { afterAll, describe, expect, test } from "bun:test";
import { appendFileSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "../../test/helpers.ts";
import { RolloutFileSink } from "./sink.ts";

const t = tempDir("spice-sink-");
afterAll(() => t.cleanup());
const line = (run: string, iteration: number) => `${JSON.stringify({ run, iteration, role: "reasoner" })}\n`;
const runs = (path: string) =>
  readFileSync(path, "utf8")
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((l) => {
      const g = JSON.parse(l) as { run: string; iteration: number };
      return `${g.run}${g.iteration}`;
    });

describe("RolloutFileSink.restore", () => {
  test("a resumed run with no committed iteration never empties a file other runs wrote (shared rollout_path)", async () => {
    const path = join(t.dir, "shared.jsonl");
    writeFileSync(path, line("a", 1) + line("a", 2));
    appendFileSync(path, line("b", 1)); // run b: written, never committed
    await new RolloutFileSink(path, "b").restore(null);
    expect(runs(path)).toEqual(["a1", "a2"]);
  });

  test("cuts back only this run's lines past its committed length; later runs' lines stay", async () => {
    const path = join(t.dir, "interleaved.jsonl");
    writeFileSync(path, line("a", 1));
    const committed = String(statSync(path).size);
    appendFileSync(path, line("a", 2)); // a's uncommitted iteration
    appendFileSync(path, line("c", 1)); // another run, later
    await new RolloutFileSink(path, "a").restore(committed);
    expect(runs(path)).toEqual(["a1", "c1"]);
  });

  test("a file of one run is truncated to its committed length (torn last line included)", async () => {
    const path = join(t.dir, "own.jsonl");
    writeFileSync(path, line("a", 1));
    const committed = String(statSync(path).size);
    appendFileSync(path, `${line("a", 2)}{"run":"a","itera`);
    await new RolloutFileSink(path, "a").restore(committed);
    expect(readFileSync(path, "utf8")).toBe(line("a", 1));
  });
});
