// `spice model sft` end to end: a model folder in, a loadable model folder out, losses reported.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildModel } from "../../models/index.ts";
import { loadCausalLM } from "../../src/models/load.ts";

let dir: string;
const main = join(import.meta.dir, "../../src/cli/main.ts");

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "spice-sft-cli-"));
  buildModel({ kind: "causal-lm", preset: "tiny", seed: 2, outDir: join(dir, "base") });
  writeFileSync(
    join(dir, "data.jsonl"),
    '{"text":"one two three four five six seven"}\n{"prompt":"Q: 2+3? A:","completion":" 5"}\n{"oops":1}\n',
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = (...args: string[]) =>
  Bun.spawnSync(["bun", main, "model", "sft", ...args], {
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, SPICE_DATA_DIR: dir },
  });

test("sft writes a model folder transformers.js loads, and reports bad lines", async () => {
  const r = run(
    "--model",
    join(dir, "base"),
    "--data",
    join(dir, "data.jsonl"),
    "--steps",
    "6",
    "--out",
    join(dir, "out"),
    "--lr",
    "1e-2",
    "--json",
  );
  expect(r.exitCode).toBe(0);
  const summary = JSON.parse(r.stdout.toString());
  expect(summary.steps).toBe(6);
  expect(summary.rows).toBe(2);
  expect(summary.bad_lines).toEqual([{ line: 3, error: expect.any(String) }]);
  expect(summary.final_loss).toBeLessThan(summary.first_loss);
  expect(r.stderr.toString()).toContain("data.jsonl:3");
  const lm = await loadCausalLM(summary.out);
  expect(lm.tokenizer.eos_token_id).toBeDefined();
}, 30_000);

test("unusable input exits 2 with one line", () => {
  const r = run("--model", join(dir, "base"), "--data", join(dir, "missing.jsonl"), "--out", join(dir, "x"));
  expect(r.exitCode).toBe(2);
  expect(r.stderr.toString().trim().split("\n")).toHaveLength(1);
});
