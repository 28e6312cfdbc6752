import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const MAIN = join(import.meta.dir, "main.ts");

function spice(args: string[], stdin = ""): { code: number; stdout: string; stderr: string } {
  const p = Bun.spawnSync(["bun", MAIN, "verify", ...args], {
    stdin: new TextEncoder().encode(stdin),
    stdout: "pipe",
    stderr: "pipe",
  });
  return { code: p.exitCode ?? -1, stdout: p.stdout.toString(), stderr: p.stderr.toString() };
}

const rows = [
  { id: "q1", response: "Thus \\boxed{\\frac{1}{2}}.", answer: "0.5", answer_type: "Expression" },
  { response: "\\boxed{5}", answer: "4", answer_type: "integer" },
  "this line is not JSON",
  { id: "q4", response: "The answer is (B).", answer_type: "MCQ" },
  { response: "\\boxed{17}", answer: "B", answer_type: "mcq", options: { A: "15", B: "17", C: "9", D: "3" } },
];
const input = `${rows.map((r) => (typeof r === "string" ? r : JSON.stringify(r))).join("\n")}\n`;
const parse = (out: string) =>
  out
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe("spice verify", () => {
  test("stdin → stdout, order kept, bad rows answered in place, summary on stderr, exit 0", () => {
    const r = spice([], input);
    expect(r.code).toBe(0);
    const out = parse(r.stdout);
    expect(out).toHaveLength(5);
    expect(out[0]).toEqual({
      id: "q1",
      correct: true,
      reward: 1,
      extracted: "\\frac{1}{2}",
      reason: "equal within 1e-6",
    });
    expect(out[1]).toMatchObject({ id: 2, correct: false, reward: 0, extracted: "5" });
    expect(out[2]).toMatchObject({ id: 3, line: 3 });
    expect(String(out[2]!.error)).toContain("malformed JSON");
    expect(out[3]).toMatchObject({ id: "q4", line: 4 });
    expect(String(out[3]!.error)).toContain("answer");
    expect(out[4]).toMatchObject({ id: 5, correct: true, reward: 1 });
    expect(r.stderr).toContain("5 rows, 2 correct, 1 wrong, 2 bad (lines 3, 4)");
  });

  test("--in and --out files", () => {
    const dir = mkdtempSync(join(tmpdir(), "spice-verify-cli-"));
    try {
      writeFileSync(join(dir, "in.jsonl"), input);
      const r = spice(["--in", join(dir, "in.jsonl"), "--out", join(dir, "out.jsonl")]);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe("");
      expect(parse(readFileSync(join(dir, "out.jsonl"), "utf8")).map((o) => o.id)).toEqual(["q1", 2, 3, "q4", 5]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("unusable input exits 2 with one line on stderr", () => {
    const missing = spice(["--in", "/nonexistent/rows.jsonl"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim().split("\n")).toHaveLength(1);
    expect(missing.stderr).toContain("no such file");
    expect(spice(["--no-such-flag"]).code).toBe(2);
  });

  test("no usable row at all exits 2 saying so; --strict turns any bad row into exit 1", () => {
    const none = spice([], "not json\n{}\n");
    expect(none.code).toBe(2);
    expect(parse(none.stdout)).toHaveLength(2);
    expect(none.stderr).toContain("spice: no usable row: all 2 rows are bad");
    expect(spice(["--strict"], input).code).toBe(1);
    const good = `${JSON.stringify(rows[0])}\n`;
    expect(spice(["--strict"], good).code).toBe(0);
  });

  test("a closed stdout (| head -1) ends it quietly with status 0", () => {
    const dir = mkdtempSync(join(tmpdir(), "spice-verify-pipe-"));
    try {
      const row = JSON.stringify(rows[0]);
      writeFileSync(join(dir, "in.jsonl"), `${Array.from({ length: 50_000 }, () => row).join("\n")}\n`);
      const p = Bun.spawnSync(["bash", "-c", `set -o pipefail; bun ${MAIN} verify < in.jsonl 2> err.txt | head -1`], {
        cwd: dir,
        stdout: "pipe",
        stderr: "pipe",
      });
      expect(p.exitCode).toBe(0);
      expect(JSON.parse(p.stdout.toString())).toMatchObject({ id: "q1", correct: true });
      expect(readFileSync(join(dir, "err.txt"), "utf8")).not.toContain("EPIPE");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("--help documents the row shapes", () => {
    const p = Bun.spawnSync(["bun", MAIN, "verify", "--help"], { stdout: "pipe" });
    expect(p.exitCode).toBe(0);
    expect(p.stdout.toString()).toContain("answer_type");
  });
});
