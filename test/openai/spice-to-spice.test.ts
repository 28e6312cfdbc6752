import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ScoredGroupSchema } from "../../src/spice/scored-group.ts";
import { REPO_ROOT, tempDir, waitForUrl } from "../helpers.ts";

/**
 * spice → spice: one `spice serve` process serves the committed warm-start model as an OpenAI-compatible
 * server; another toolkit process reaches it through its own OpenAI backend (`--policy-url`), for
 * `spice solve` and a short rollout-only `spice train`. Real processes, real HTTP on loopback.
 */

const SLOW = 90_000;
const CLI = join(REPO_ROOT, "src/cli/main.ts");
const MODEL = join(REPO_ROOT, "docs/experiments/default/warm-start");
const tmp = tempDir("spice-to-spice-");
const serverDir = join(tmp.dir, "server");
const clientDir = join(tmp.dir, "client");
const env = { ...process.env, SPICE_LOG_LEVEL: "warn", SPICE_POLICY_URL: "", SPICE_MODEL: "" };
let server: ReturnType<typeof Bun.spawn> | null = null;
let url = "";

/** The client side: another toolkit process whose policy is the server above. */
async function client(...args: string[]) {
  const proc = Bun.spawn(["bun", CLI, "--data-dir", clientDir, "--policy-url", url, ...args], {
    cwd: tmp.dir,
    env,
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { stdout, stderr, code };
}

beforeAll(async () => {
  server = Bun.spawn(["bun", CLI, "serve", "--port", "0", "--no-warmup", "--data-dir", serverDir, "--model", MODEL], {
    env,
    stdout: "ignore",
    stderr: "pipe",
  });
  url = await waitForUrl(server.stderr as ReadableStream<Uint8Array>);
}, SLOW);

afterAll(async () => {
  server?.kill("SIGTERM");
  await server?.exited;
  tmp.cleanup();
});

const weights = createHash("sha256")
  .update(readFileSync(join(MODEL, "onnx", "model.onnx")))
  .digest("hex");
const FINGERPRINT = `fp_${weights.slice(0, 16)}_0`;

describe("spice → spice through the OpenAI-compatible endpoint", () => {
  test(
    "spice solve uses the other process's model",
    async () => {
      const r = await client(
        "solve",
        "Sam has 4 pens. How many pens does Sam have?",
        "--k",
        "3",
        "--seed",
        "1",
        "--json",
      );
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      const body = JSON.parse(r.stdout) as { rollouts: { text: string; finish_reason: string }[] };
      expect(body.rollouts).toHaveLength(3);
      expect(body.rollouts.every((x) => x.text.length > 0)).toBe(true);
    },
    SLOW,
  );

  test(
    "a short rollout-only spice train: groups with token ids and the server's policy version",
    async () => {
      // The toy world the warm-start model was trained on, ingested on the client side.
      const world = join(tmp.dir, "world");
      expect((await client("world", "generate", "--out", world, "--documents", "10", "--seed", "1")).code).toBe(0);
      expect((await client("corpus", "ingest", join(world, "corpus.jsonl"))).code).toBe(0);
      const config = join(tmp.dir, "train.json");
      const train = {
        iterations: 1,
        batch_docs: 2,
        challenger_samples: 4,
        reasoner_rollouts: 2,
        max_attempts: 4,
        max_new_tokens: 64,
        learner: "rollout-only",
      };
      writeFileSync(config, JSON.stringify(train));
      const r = await client("train", "--config", config, "--json");
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ state: "finished", iteration: 1 });

      const runs = join(clientDir, "runs");
      const [run] = readdirSync(runs);
      const groups = readFileSync(join(runs, run!, "groups.jsonl"), "utf8")
        .split("\n")
        .filter(Boolean)
        .map((l) => ScoredGroupSchema.parse(JSON.parse(l)));
      expect(groups.length).toBeGreaterThan(0);
      const version = { backend: "openai", model: "warm-start", revision: FINGERPRINT };
      for (const g of groups) {
        expect(g.token_ids).not.toBeNull();
        expect(g.logprobs).not.toBeNull();
        expect(g.policy_versions).toEqual(g.completions.map(() => version));
      }
      const db = new Database(join(clientDir, "spice.sqlite"), { readonly: true });
      try {
        const stored = db.query("SELECT policy_version AS v FROM tasks UNION ALL SELECT policy_version FROM rollouts");
        const rows = stored.all() as { v: string }[];
        expect(rows.length).toBeGreaterThan(0);
        for (const row of rows) expect(JSON.parse(row.v)).toEqual(version);
      } finally {
        db.close();
      }
    },
    SLOW,
  );
});
