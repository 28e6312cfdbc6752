/**
 * Issue 17 over real HTTP on loopback, with the built model: a client that disconnects stops the
 * decoding of its rows (item 2), and huge prompts are refused or trimmed without tokenizing them in
 * full while /healthz keeps answering (item 3). Timing bounds here are generous hang bounds; the
 * figures are measured by bench/hardening.ts.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { DEFAULT_LM, ensureModel } from "../models/index.ts";
import { createApp } from "../src/app.ts";
import { TransformersPolicy } from "../src/policy/transformers.ts";
import { testContext } from "./helpers.ts";

let ctx: ReturnType<typeof testContext>;
let policy: TransformersPolicy;
let server: ReturnType<typeof Bun.serve>;
let base: string;

beforeAll(async () => {
  ctx = testContext();
  policy = await TransformersPolicy.load(ensureModel(ctx.dataDir, DEFAULT_LM));
  void ctx.lazy("policy", async () => policy);
  server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: createApp(ctx).fetch, idleTimeout: 60 });
  base = `http://127.0.0.1:${server.port}`;
});
afterAll(async () => {
  await server.stop(true);
  await policy.close();
  await ctx.close();
});

const post = (path: string, body: unknown, signal?: AbortSignal) =>
  fetch(`${base}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
    signal,
  });

async function stepsPast(from: number, more: number): Promise<void> {
  const until = performance.now() + 30_000;
  while (policy.decodeSteps < from + more) {
    if (performance.now() > until) throw new Error("decoding never started");
    await Bun.sleep(2);
  }
}

/** Steps run after the disconnect: they must stop within a short grace (the server's notice, one step). */
async function stepsAfterDisconnect(): Promise<{ grace: number; later: number }> {
  const atAbort = policy.decodeSteps;
  await Bun.sleep(400);
  const settled = policy.decodeSteps;
  await Bun.sleep(400);
  return { grace: settled - atAbort, later: policy.decodeSteps - settled };
}

describe("a client that disconnects", () => {
  test("reasoner/solve with k = 32: its rows leave the batch; no decoding goes on", async () => {
    const gone = new AbortController();
    const start = policy.decodeSteps;
    const res = post("/v1/reasoner/solve", { question: "What is 2+2?", k: 32, max_tokens: 700 }, gone.signal);
    res.catch(() => {});
    await stepsPast(start, 5);
    gone.abort();
    const { grace, later } = await stepsAfterDisconnect();
    expect(later).toBe(0);
    expect(grace).toBeLessThan(50); // without cancellation, ~700 steps run on
  });

  test("a streamed solve: closing the stream after the first token stops the decoding", async () => {
    const gone = new AbortController();
    const res = await post(
      "/v1/reasoner/solve",
      { question: "What is 2+2?", k: 32, max_tokens: 700, stream: true },
      gone.signal,
    );
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    let seen = "";
    while (!seen.includes("event: token")) seen += new TextDecoder().decode((await reader.read()).value);
    gone.abort();
    const { grace, later } = await stepsAfterDisconnect();
    expect(later).toBe(0);
    expect(grace).toBeLessThan(50);
  });

  test("challenger/generate: the challenger's samples stop too", async () => {
    const gone = new AbortController();
    const start = policy.decodeSteps;
    const doc = "The Danube flows through Vienna, Budapest and Belgrade before reaching the Black Sea. ".repeat(4);
    const res = post(
      "/v1/challenger/generate",
      { document: doc, n: 32, task_type: "mcq", max_tokens: 600 },
      gone.signal,
    );
    res.catch(() => {});
    await stepsPast(start, 5);
    gone.abort();
    const { grace, later } = await stepsAfterDisconnect();
    expect(later).toBe(0);
    expect(grace).toBeLessThan(50);
  });

  test("a client that stays gets its answer", async () => {
    const res = await post("/v1/reasoner/solve", { question: "What is 2+2?", k: 2, max_tokens: 8, seed: 1 });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { rollouts: unknown[] }).rollouts.length).toBe(2);
  });
});

describe("huge prompts", () => {
  const NINE_MIB = 9 * 1024 * 1024;

  /** Polls /healthz every 10 ms while `work` runs; returns the slowest answer in ms. */
  async function slowestHealthz<T>(work: Promise<T>): Promise<{ result: T; slowest: number }> {
    let done = false;
    let slowest = 0;
    const polling = (async () => {
      while (!done) {
        const t0 = performance.now();
        const res = await fetch(`${base}/healthz`);
        await res.arrayBuffer();
        slowest = Math.max(slowest, performance.now() - t0);
        await Bun.sleep(10);
      }
    })();
    const result = await work.finally(() => (done = true));
    await polling;
    return { result, slowest };
  }

  test("three 9 MiB questions at once are refused with 400, and /healthz keeps answering", async () => {
    const question = "word ".repeat(NINE_MIB / 5);
    const t0 = performance.now();
    const { result, slowest } = await slowestHealthz(
      Promise.all([1, 2, 3].map(() => post("/v1/reasoner/solve", { question, k: 1, max_tokens: 8 }))),
    );
    for (const res of result) {
      expect(res.status).toBe(400);
      expect(((await res.json()) as { detail: string }).detail).toContain("cannot fit the model's context");
    }
    // Tokenizing them in full took ~8 s each and stalled /healthz for seconds (generous hang bounds).
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(slowest).toBeLessThan(1000);
  });

  test("a question under the body check but over the context is refused by its length, untokenized", async () => {
    const question = "word ".repeat(100_000); // 500 kB: read and parsed, then refused by characters
    const res = await post("/v1/reasoner/solve", { question, k: 1, max_tokens: 8 });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { detail: string }).detail).toContain("characters cannot fit the model's context");
  });

  test("a 9 MiB challenger document is trimmed to fit without tokenizing it in full", async () => {
    const document = "The Danube flows through Vienna and Budapest. ".repeat(NINE_MIB / 46);
    const t0 = performance.now();
    const { result: res, slowest } = await slowestHealthz(
      post("/v1/challenger/generate", { document, n: 1, max_attempts: 1, task_type: "mcq", max_tokens: 8, seed: 1 }),
    );
    expect(res.status).toBe(200);
    expect(((await res.json()) as { truncated: boolean }).truncated).toBe(true);
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(slowest).toBeLessThan(1000);
  });
});
