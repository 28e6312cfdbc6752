import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startFakeOpenAI } from "../../test/fakes/openai-server.ts";

const server = startFakeOpenAI();
const dataDir = mkdtempSync(join(tmpdir(), "spice-cli-roles-"));
afterAll(async () => {
  await server.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function spice(...args: string[]) {
  const proc = Bun.spawn(
    ["bun", join(import.meta.dir, "main.ts"), "--data-dir", dataDir, "--policy-url", server.url, ...args],
    { stdout: "pipe", stderr: "pipe" },
  );
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { stdout, stderr, code };
}

describe("spice challenge / solve", () => {
  test("solve --json verifies each rollout against the gold answer", async () => {
    // The fake server answers choice i with "... \boxed{i}".
    const r = await spice("solve", "What is 0?", "--k", "2", "--answer", "0", "--answer-type", "integer", "--json");
    expect(r.code).toBe(0);
    const body = JSON.parse(r.stdout);
    expect(body.rollouts.map((x: { correct: boolean }) => x.correct)).toEqual([true, false]);
    expect(body.pass_rate).toBe(0.5);
  });

  test("challenge --json reads a document file and returns the group", async () => {
    server.setReply(() =>
      JSON.stringify({
        question: "Which river?",
        options: { A: "Rhine", B: "Danube", C: "Elbe", D: "Oder" },
        answer: "B",
      }),
    );
    const doc = join(dataDir, "doc.txt");
    writeFileSync(doc, "The Danube flows through Vienna.");
    const r = await spice("challenge", "--document", doc, "--task-type", "mcq", "--n", "2", "--json");
    server.setReply(null);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      doc_id: null,
      attempts: 2,
      skipped: false,
      tasks: [{ valid: true, answer: "B" }, { valid: true }],
    });
  });

  test("unusable input exits 2 with one line on stderr", async () => {
    const r = await spice("challenge", "--n", "2");
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe("spice: give exactly one of --document, --doc-id or --sample");
    expect((await spice("solve", "q", "--answer-type", "Boolean")).code).toBe(2);
  });

  test("a library error answers from the error table: an unknown segment exits 2, a dead policy server 1", async () => {
    const missing = await spice("challenge", "--doc-id", "no-such-segment");
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim()).toBe("spice: Not found: no corpus segment no-such-segment");
    const argv = ["--data-dir", dataDir, "--policy-url", "http://127.0.0.1:9", "solve", "q"];
    const proc = Bun.spawn(["bun", join(import.meta.dir, "main.ts"), ...argv], { stderr: "pipe" });
    const [stderr, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
    expect(code).toBe(1);
    expect(stderr.trim().split("\n")).toHaveLength(1);
    expect(stderr).toStartWith("spice: Policy unavailable: ");
  });
});
