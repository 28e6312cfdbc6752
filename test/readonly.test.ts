import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { dbPath, openDb } from "../src/db/client.ts";
import { corpusDataDir, docs, openTestCorpus, prose } from "./corpus/helpers.ts";
import { REPO_ROOT, tempDir } from "./helpers.ts";
import { readOnly, type ReadOnlyRunner } from "./readonly.ts";

/**
 * A read-only data dir (a read-only volume, files owned by another user): read-only commands work, every write
 * answers 503 (HTTP) or exit 2 (CLI) naming the path and the cause, and `serve` starts and serves reads.
 */
const CLI = join(REPO_ROOT, "src/cli/main.ts");
const data = corpusDataDir();
const empty = tempDir("spice-ro-empty-");
let ro: ReadOnlyRunner;
let roEmpty: ReadOnlyRunner;
const input = join(empty.dir, "..", `spice-ro-input-${process.pid}.jsonl`);

beforeAll(async () => {
  const corpus = await openTestCorpus(data.dir);
  await corpus.ingest(docs([{ text: prose(1) }, { text: prose(2) }]), { sources: ["test"] });
  await corpus.close();
  openDb(dbPath(data.dir)).$client.close();
  writeFileSync(join(data.dir, "train.json"), JSON.stringify({ use_corpus: false, learner: "rollout-only" }));
  mkdirSync(join(empty.dir, "sub"));
  writeFileSync(input, `${JSON.stringify({ text: prose(3) })}\n`);
  ro = readOnly(data.dir);
  roEmpty = readOnly(empty.dir);
});
afterAll(() => {
  ro.release();
  roEmpty.release();
  data.cleanup();
  empty.cleanup();
  Bun.spawnSync(["rm", "-f", input]);
});

function spice(runner: ReadOnlyRunner, dataDir: string, args: string[]) {
  return Bun.spawn(runner.wrap(["bun", CLI, "--data-dir", dataDir, ...args]), {
    cwd: REPO_ROOT,
    env: { ...process.env, SPICE_LOG_LEVEL: "warn" },
    stdout: "pipe",
    stderr: "pipe",
  });
}

async function run(runner: ReadOnlyRunner, dataDir: string, args: string[]) {
  const p = spice(runner, dataDir, args);
  const [stdout, stderr, code] = await Promise.all([
    new Response(p.stdout).text(),
    new Response(p.stderr).text(),
    p.exited,
  ]);
  return { stdout, stderr, code };
}

const refusal = /cannot write \S+: (read-only file system \(EROFS\)|permission denied \(EACCES\))/;

describe("a read-only data dir", () => {
  test("the environment can make a data dir read-only", () => {
    expect(ro.available, ro.reason).toBe(true);
  });

  test("read-only commands work: corpus stats, train status", async () => {
    // Each check names the command's output, so a failure on a CI machine says why without a rerun.
    const stats = await run(ro, data.dir, ["corpus", "stats", "--json"]);
    expect(stats.stderr, `corpus stats wrote to stderr: ${stats.stderr}`).toBe("");
    expect(stats.code, `corpus stats exited ${stats.code}: ${stats.stderr}`).toBe(0);
    expect(JSON.parse(stats.stdout)).toMatchObject({ documents: 2, segments: 2 });
    const status = await run(ro, data.dir, ["train", "status", "--json"]);
    expect(status.code, `train status exited ${status.code}: ${status.stderr}${status.stdout}`).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ pid: null, runs: 0 });
  });

  test("writes exit 2 with one line naming the path and the cause: ingest, train", async () => {
    const ingest = await run(ro, data.dir, ["corpus", "ingest", input]);
    expect(ingest.code).toBe(2);
    expect(ingest.stderr).toContain(join(data.dir, "corpus", "ingest.lock"));
    expect(ingest.stderr).toMatch(refusal);
    const train = await run(ro, data.dir, ["train", "--config", join(data.dir, "train.json")]);
    expect(train.code).toBe(2);
    expect(train.stderr).toContain(join(data.dir, "spice.sqlite"));
    expect(train.stderr).toMatch(refusal);
  });

  test("serve starts and serves reads; writes answer 503 naming the path and the cause", async () => {
    const p = spice(ro, data.dir, ["serve", "--port", "0", "--no-warmup"]);
    try {
      const reader = p.stderr.getReader();
      let seen = "";
      while (!/serving on (\S+)/.test(seen)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`serve exited: ${seen}`);
        seen += new TextDecoder().decode(value);
      }
      const url = /serving on (\S+)/.exec(seen)![1]!;
      expect((await fetch(`${url}/readyz`)).status).toBe(200);
      const stats = await fetch(`${url}/v1/corpus/stats`);
      expect(stats.status).toBe(200);
      expect(((await stats.json()) as { segments: number }).segments).toBe(2);
      expect((await fetch(`${url}/v1/trainer/status`)).status).toBe(200);
      const post = (path: string, body: unknown) =>
        fetch(`${url}${path}`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body),
        });
      const ingest = await post("/v1/corpus/documents", { text: prose(4) });
      expect(ingest.status).toBe(503);
      expect(ingest.headers.get("content-type")).toContain("application/problem+json");
      const ingestBody = (await ingest.json()) as { title: string; detail: string };
      expect(ingestBody.title).toBe("Data dir read-only");
      expect(ingestBody.detail).toContain("ingest.lock");
      expect(ingestBody.detail).toMatch(refusal);
      const start = await post("/v1/trainer/start", { use_corpus: false, learner: "rollout-only" });
      expect(start.status).toBe(503);
      expect(((await start.json()) as { detail: string }).detail).toContain("spice.sqlite");
      const status = (await (await fetch(`${url}/v1/trainer/status`)).json()) as { state: string };
      expect(status.state).toBe("idle");
    } finally {
      p.kill("SIGTERM");
      await p.exited;
    }
  });

  test("serve on a read-only dir with no database exits 2 naming the file", async () => {
    const r = await run(roEmpty, empty.dir, ["serve", "--port", "0", "--no-warmup"]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain(join(empty.dir, "spice.sqlite"));
  });
});
