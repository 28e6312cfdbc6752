import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startFakeOpenAI } from "./fakes/openai-server.ts";
import { REPO_ROOT, tempDir } from "./helpers.ts";

/** `spice world` and `spice eval` as a user runs them: files written, exit codes, stored results. */

// Each spawn loads the whole CLI (about 1-2 s on a busy 2-core machine).
const SLOW = 60_000;

const tmp = tempDir("spice-world-eval-");
const fake = startFakeOpenAI();
afterAll(async () => {
  await fake.stop();
  tmp.cleanup();
});

async function spice(...args: string[]) {
  const proc = Bun.spawn(["bun", join(REPO_ROOT, "src/cli/main.ts"), "--data-dir", join(tmp.dir, "data"), ...args], {
    cwd: tmp.dir,
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, SPICE_POLICY_URL: "", SPICE_MODEL: "" },
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { stdout, stderr, code };
}

const worldDir = join(tmp.dir, "world");

describe("spice world generate", () => {
  test(
    "writes the corpus, the held-out eval set and the warm-start data",
    async () => {
      const r = await spice("world", "generate", "--seed", "3", "--documents", "40", "--out", worldDir, "--json");
      expect(r.code).toBe(0);
      const summary = JSON.parse(r.stdout);
      expect(summary.train.documents + summary.eval.documents).toBe(40);
      for (const f of [
        "corpus.jsonl",
        "corpus-eval.jsonl",
        "eval.jsonl",
        "train-tasks.jsonl",
        "sft.jsonl",
        "world.json",
      ])
        expect(existsSync(join(worldDir, f))).toBe(true);
      const evalRows = readFileSync(join(worldDir, "eval.jsonl"), "utf8").trim().split("\n");
      expect(evalRows).toHaveLength(summary.eval.tasks);
    },
    SLOW,
  );

  test(
    "an unknown kind is unusable input: exit 2, one line",
    async () => {
      const r = await spice("world", "generate", "--out", worldDir, "--kinds", "story,poems");
      expect(r.code).toBe(2);
      expect(r.stderr).toContain("--kinds");
    },
    SLOW,
  );
});

describe("spice eval", () => {
  test(
    "missing --dataset or a missing file exits 2",
    async () => {
      expect((await spice("eval")).code).toBe(2);
      const r = await spice("eval", "--dataset", join(tmp.dir, "nope.jsonl"));
      expect(r.code).toBe(2);
      expect(r.stderr).toContain("no such file");
    },
    SLOW,
  );

  test(
    "evaluates a policy server, skips bad rows, stores the result and compares checkpoints",
    async () => {
      const dataset = join(tmp.dir, "eval-small.jsonl");
      const rows = readFileSync(join(worldDir, "eval.jsonl"), "utf8").trim().split("\n").slice(0, 4);
      writeFileSync(dataset, `${[...rows, "{broken"].join("\n")}\n`);
      const golds = rows.map((l) => JSON.parse(l) as { question: string; answer: string });
      // Right on every item but the first.
      fake.setReply((prompt) => {
        const i = golds.findIndex((g) => prompt.includes(g.question));
        return i > 0 ? `So \\boxed{${golds[i]!.answer}}` : "\\boxed{wrong}";
      });
      const run = await spice(
        "--policy-url",
        fake.url,
        "eval",
        "--dataset",
        dataset,
        "--k",
        "2",
        "--checkpoint",
        "step-0",
        "--json",
      );
      expect(run.code).toBe(0);
      expect(run.stderr).toContain(`${dataset}:5:`);
      expect(JSON.parse(run.stdout)).toMatchObject({
        n: 4,
        k: 2,
        avg_at_k: 0.75,
        pass_at_1: 0.75,
        pass_at_k: 0.75,
        bad_rows: 1,
        checkpoint: "step-0",
        mcq_chance: 0.25,
      });
      const first = JSON.parse(run.stdout) as {
        ci95: { pass_at_1: [number, number] };
        by_answer_type: Record<string, { n: number }>;
      };
      const [lo, hi] = first.ci95.pass_at_1;
      expect(lo).toBeLessThanOrEqual(0.75);
      expect(hi).toBe(1); // 3 of 4 right: some resamples hold only right items
      expect(Object.values(first.by_answer_type).reduce((n, t) => n + t.n, 0)).toBe(4);
      // A stratified sample of 2 of the 4 items.
      const sampled = await spice("--policy-url", fake.url, "eval", "--dataset", dataset, "--k", "1", "--sample", "2");
      expect(sampled.code).toBe(0);
      expect(sampled.stdout).toContain("(n=2; 95% bootstrap intervals over items)");
      fake.setReply(null);
      const again = await spice(
        "--policy-url",
        fake.url,
        "eval",
        "--dataset",
        dataset,
        "--k",
        "2",
        "--checkpoint",
        "step-1",
        "--json",
      );
      expect(JSON.parse(again.stdout).avg_at_k).toBe(0);
      const table = await spice("eval", "--dataset", dataset, "--compare");
      expect(table.code).toBe(0);
      expect(table.stdout).toContain("| step-0 | 4 | 2 | 75.0 | 75.0 | 75.0 |");
      expect(table.stdout).toContain("| step-1 | 4 | 2 | 0.0 | 0.0 | 0.0 |");
    },
    SLOW,
  );

  test(
    "convert: bad rows reported and skipped (exit 0); a bad format exits 2",
    async () => {
      const input = join(tmp.dir, "gsm8k.jsonl");
      writeFileSync(input, `${JSON.stringify({ question: "1+1?", answer: "#### 2" })}\n{"question": "x"}\n`);
      const out = join(tmp.dir, "gsm8k-spice.jsonl");
      const r = await spice("eval", "convert", "--format", "gsm8k", "--in", input, "--out", out, "--json");
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual({ out, written: 1, bad_rows: 1 });
      expect(r.stderr).toContain(`${input}:2:`);
      expect((await spice("eval", "convert", "--format", "csv", "--in", input, "--out", out)).code).toBe(2);
    },
    SLOW,
  );
});

describe("spice world judge", () => {
  test(
    "the default model as the challenger on held-out documents: one JSON summary, one JSON line per sample",
    async () => {
      const details = join(tmp.dir, "judge.jsonl");
      const r = await spice(
        ...["world", "judge", "--seed", "3", "--documents", "40", "--docs", "2", "--samples", "2", "--k", "2"],
        ...["--max-tokens", "64", "--details", details, "--json"],
      );
      expect(r.code).toBe(0);
      const s = JSON.parse(r.stdout);
      expect(s.model).toEndWith("models/spice-lm-tiny-world");
      expect(s).toMatchObject({ documents: 2, samples: 4, valid: { of: 4 }, options: { docs: 2, samples: 2, k: 2 } });
      for (const key of ["valid", "solved", "grounded", "groundedControl", "groundedAndSolved"]) {
        expect(s[key].share).toBeGreaterThanOrEqual(0);
        expect(s[key].share).toBeLessThanOrEqual(1);
        expect(s[key].ci95[0]).toBeLessThanOrEqual(s[key].ci95[1]);
      }
      const rows = readFileSync(details, "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l));
      expect(rows).toHaveLength(4);
      expect(rows.filter((x) => x.valid)).toHaveLength(s.valid.count);
      for (const x of rows) {
        if (!x.valid) expect(x.error.length).toBeGreaterThan(0);
        else {
          expect(x.rollouts).toBe(2);
          expect(x.correct).toBeLessThanOrEqual(2);
          expect(x).toHaveProperty("basis");
        }
      }
      expect((await spice("world", "judge", "--docs", "0")).code).toBe(2);
    },
    SLOW,
  );
});
