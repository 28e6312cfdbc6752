import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT, tempDir } from "../helpers.ts";

/**
 * `spice experiment` end to end at the `ci` preset: world, corpus, warm start, two configurations,
 * held-out evaluations recorded, report and plots written; a second invocation reuses the results.
 */
describe("spice experiment (ci preset)", () => {
  test("runs, records metrics, writes the report and PNG plots, and resumes without redoing work", async () => {
    const t = tempDir();
    try {
      const out = join(t.dir, "out");
      const run = () =>
        Bun.spawnSync(
          [
            "bun",
            join(REPO_ROOT, "src/cli/main.ts"),
            "experiment",
            "--preset",
            "ci",
            "--configs",
            "spice,no_corpus",
            "--out",
            out,
            "--json",
          ],
          {
            env: { ...process.env, SPICE_DATA_DIR: t.dir, SPICE_LOG_LEVEL: "warn" },
          },
        );
      const first = run();
      expect(first.exitCode).toBe(0);
      const results = JSON.parse(first.stdout.toString()) as Array<{
        config: string;
        seed: number;
        evals: { iteration: number; pass_at_1: number }[];
      }>;
      expect(results.map((r) => r.config)).toEqual(["spice", "no_corpus"]);
      for (const r of results) {
        // Start, then every iteration (evalEvery 1, 2 iterations).
        expect(r.evals.map((e) => e.iteration)).toEqual([0, 1, 2]);
        for (const e of r.evals) expect(e.pass_at_1).toBeGreaterThanOrEqual(0);
      }
      const saved = JSON.parse(readFileSync(join(out, "results", "spice__s1.json"), "utf8"));
      expect(saved.metrics).toHaveLength(2);
      expect(saved.metrics[0]).toHaveProperty(["challenger.valid_rate"]);
      expect(saved.metrics[1]).toHaveProperty(["eval.pass_at_1"]);
      expect(saved.pass_rate_histograms).toHaveLength(2);
      const report = readFileSync(join(out, "report.md"), "utf8");
      expect(report).toContain("| spice — SPICE");
      expect(report).toContain("| no_corpus — ");
      expect(report).toContain("with corpus ≥ without corpus");
      for (const png of ["accuracy", "challenger_reward", "valid_rate", "pass_rate"]) {
        const bytes = readFileSync(join(out, "plots", `${png}.png`));
        expect([...bytes.subarray(0, 4)]).toEqual([0x89, 0x50, 0x4e, 0x47]);
      }
      expect(existsSync(join(t.dir, "experiments", "ci", "models", "warm", "onnx", "model.onnx"))).toBe(true);

      const second = run();
      expect(second.exitCode).toBe(0);
      expect(second.stderr.toString()).toContain("done earlier, kept");
      expect(second.stderr.toString()).not.toContain("started run");
    } finally {
      t.cleanup();
    }
  }, 600_000);

  test("the baselines, the guard and the sweep run at the ci preset", async () => {
    const t = tempDir();
    try {
      const out = join(t.dir, "out");
      const spice = (...args: string[]) =>
        Bun.spawnSync(
          ["bun", join(REPO_ROOT, "src/cli/main.ts"), "experiment", "--preset", "ci", "--out", out, ...args],
          {
            env: { ...process.env, SPICE_DATA_DIR: t.dir, SPICE_LOG_LEVEL: "warn" },
          },
        );
      const r = spice("--configs", "oracle_challenger,sft_more,no_update,spice_guard", "--json");
      expect(r.exitCode).toBe(0);
      const results = JSON.parse(r.stdout.toString()) as Array<{
        config: string;
        cpu_seconds: number;
        evals: { iteration: number; pass_at_1: number; greedy: string; ci95: [number, number] }[];
      }>;
      expect(results.map((x) => x.config)).toEqual(["oracle_challenger", "sft_more", "no_update", "spice_guard"]);
      for (const x of results) {
        expect(x.evals.map((e) => e.iteration)).toEqual([0, 1, 2]);
        expect(x.cpu_seconds).toBeGreaterThan(0);
        for (const e of x.evals) {
          expect(e.greedy).toMatch(/^[01]{6}$/); // the ci preset's 6-item stratified sample
          expect(e.ci95[0]).toBeLessThanOrEqual(e.pass_at_1);
        }
      }
      // The oracle's tasks are the world's: every one is valid, and the run trains the reasoner only.
      const oracle = JSON.parse(readFileSync(join(out, "results", "oracle_challenger__s1.json"), "utf8"));
      for (const m of oracle.metrics) expect(m["challenger.valid_rate"]).toBe(1);
      // no_update never changes the weights: the final verdicts are the warm start's.
      const still = results.find((x) => x.config === "no_update")!;
      expect(still.evals.at(-1)!.greedy).toBe(still.evals[0]!.greedy);
      const report = readFileSync(join(out, "report.md"), "utf8");
      expect(report).toContain("| oracle_challenger — baseline");
      expect(report).toContain("| spice_guard — SPICE + the collapse guard");
      expect(report).toContain("### By answer type");
      expect(report).toContain("RL on gold tasks ≥ the same budget of SFT");

      const sw = spice("--sweep");
      expect(sw.exitCode).toBe(0);
      const table = readFileSync(join(out, "sweep.md"), "utf8");
      // iterations | B | learning rate | minibatch | epochs | clip | warm-up: the preset's, or the variant's own.
      expect(table).toContain("| lr1e-3 | 2 | 1 | 0.001 | 8 | 1 | 0.2 | 0 |");
      expect(table).toContain("| lr1e-4-mb64 | 1 | 1 | 0.0001 | 64 | 1 | 0.2 | 0 |");
      expect(existsSync(join(out, "results", "oracle_challenger@lr1e-4-mb64__s1.json"))).toBe(true);
    } finally {
      t.cleanup();
    }
  }, 600_000);

  test("bad flags exit 2 with one line", () => {
    const r = Bun.spawnSync(["bun", join(REPO_ROOT, "src/cli/main.ts"), "experiment", "--configs", "spice,bogus"]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr.toString()).toContain("bogus");
    const p = Bun.spawnSync(["bun", join(REPO_ROOT, "src/cli/main.ts"), "experiment", "--preset", "huge"], {
      env: { ...process.env, SPICE_DATA_DIR: "/tmp/spice-no-such" },
    });
    expect(p.exitCode).toBe(2);
    expect(p.stderr.toString()).toContain("unknown --preset");
  });
});
