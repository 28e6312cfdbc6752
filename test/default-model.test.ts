/**
 * Out of the box: `spice serve` with no model settings serves the committed spice-lm-tiny-world and
 * ingests the committed sample corpus (toy-world documents), and that pair works: the challenger
 * writes valid tasks from a sample document within a bounded number of attempts, and the reasoner
 * answers a world question in the trained format. A real server process on loopback HTTP. The
 * untrained built model fails both checks: it writes no valid task (src/trainer/embedded.test.ts) and
 * boxes no answer.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";
import { REPO_ROOT, tempDir, waitForUrl } from "./helpers.ts";

setDefaultTimeout(120_000);
const CLI = join(REPO_ROOT, "src/cli/main.ts");
const data = tempDir("spice-default-");
let server: ReturnType<typeof Bun.spawn>;
let url = "";

const post = async (path: string, body: unknown) => {
  const res = await fetch(`${url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
};

beforeAll(async () => {
  // No SPICE_MODEL, no SPICE_POLICY_URL: the defaults a fresh clone gets from `bun run start`.
  const env: Record<string, string | undefined> = { ...process.env, SPICE_DATA_DIR: data.dir, SPICE_LOG_LEVEL: "warn" };
  delete env.SPICE_MODEL;
  delete env.SPICE_POLICY_URL;
  server = Bun.spawn(["bun", CLI, "serve", "--port", "0"], { cwd: REPO_ROOT, env, stdout: "pipe", stderr: "pipe" });
  url = await waitForUrl(server.stderr as ReadableStream<Uint8Array>);
  // The warm-up ingests the sample corpus in the background.
  for (let i = 0; i < 600; i++) {
    const stats = (await (await fetch(`${url}/v1/corpus/stats`)).json()) as { segments?: number };
    if (stats.segments === 120) return;
    await Bun.sleep(100);
  }
  throw new Error("the sample corpus was not ingested");
});

afterAll(async () => {
  server?.kill("SIGTERM");
  await server?.exited;
  data.cleanup();
});

describe("the default model and sample corpus, served", () => {
  test("the sample corpus is toy-world documents", async () => {
    const r = (await (await fetch(`${url}/v1/corpus/sample?n=3&seed=1`)).json()) as any;
    expect(r.segments).toHaveLength(3);
    for (const s of r.segments) expect(s.metadata).toMatchObject({ source: "toy-world", world_seed: 1 });
  });

  test("the challenger writes at least one valid task from a sample document within 32 attempts", async () => {
    const r = await post("/v1/challenger/generate", { sample: true, seed: 1, n: 8, max_attempts: 32 });
    expect(r.status).toBe(200);
    expect(r.body.skipped).toBe(false);
    expect(r.body.attempts).toBeLessThanOrEqual(32);
    expect(r.body.truncated).toBe(false);
    const valid = r.body.tasks.filter((t: { valid: boolean }) => t.valid);
    expect(valid.length).toBeGreaterThan(0);
    for (const t of valid) {
      expect(t.question.length).toBeGreaterThan(10);
      expect(t.answer.length).toBeGreaterThan(0);
    }
  });

  test("the reasoner answers world arithmetic in the trained format, some answers right", async () => {
    // Held-out questions of the default world (`spice world generate --seed 1 --documents 2000`).
    const questions = [
      ["A ball costs 1 coin. Cal buys 2 balls. How many coins does Cal pay?", "2"],
      ["A cup costs 4 coins. Sam buys 3 cups. How many coins does Sam pay?", "12"],
      ["A kite costs 7 coins and a lamp costs 9 coins. How many more coins does the lamp cost than the kite?", "2"],
      ["One stack holds 4 cups. Eva has 3 stacks. How many cups does Eva have?", "12"],
    ] as const;
    let correct = 0;
    for (const [question, answer] of questions) {
      const r = await post("/v1/reasoner/solve", { question, answer, answer_type: "Integer", k: 8, seed: 1 });
      expect(r.status).toBe(200);
      expect(r.body.rollouts).toHaveLength(8);
      // Every rollout ends with a boxed answer (the untrained model boxes none).
      for (const ro of r.body.rollouts) expect(ro.extracted).not.toBeNull();
      correct += r.body.rollouts.filter((ro: { correct: boolean }) => ro.correct).length;
    }
    expect(correct).toBeGreaterThan(0);
  });
});
