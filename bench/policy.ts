/**
 * Policy throughput (issue 6): tokens/s of the transformers.js backend at batch 1, 8 and 32,
 * and 16 concurrent `POST /v1/reasoner/solve` calls (k = 1, prompts of similar length)
 * through the batching queue versus the same 16 served one by one. Ratios are against
 * baselines measured in the same run. Model: the built spice-lm-tiny, in a temp data dir.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_LM, ensureModel } from "../models/index.ts";
import { createApp } from "../src/app.ts";
import { loadConfig } from "../src/config.ts";
import { createContext } from "../src/context.ts";
import { openDb } from "../src/db/client.ts";
import { createLogger } from "../src/log.ts";
import { TransformersPolicy } from "../src/policy/transformers.ts";

const NEW_TOKENS = 64;
const REPS = 5;
const dataDir = mkdtempSync(join(tmpdir(), "spice-bench-policy-"));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const config = loadConfig({ dataDir, logLevel: "silent" }, {});
const ctx = createContext(config, createLogger("silent"), openDb(join(dataDir, "spice.sqlite")));
const policy = await TransformersPolicy.load(ensureModel(dataDir, DEFAULT_LM), { maxBatch: 32, maxWaitMs: 10 });
void ctx.lazy("policy", async () => policy);
const app = createApp(ctx);

async function tokensPerSecond(batch: number): Promise<number> {
  const prompts = Array.from(
    { length: batch },
    (_, i) => `Question ${String(i).padStart(2, "0")}: how many legs does a spider have?`,
  );
  const runs: number[] = [];
  for (let r = 0; r < REPS; r++) {
    const t0 = performance.now();
    const out = await policy.generate(prompts, { maxTokens: NEW_TOKENS, seed: r });
    const tokens = out.reduce((s, g) => s + g.completions[0]!.tokenIds!.length, 0);
    runs.push(tokens / ((performance.now() - t0) / 1000));
  }
  return median(runs);
}

async function solve(i: number): Promise<void> {
  const res = await app.request("/v1/reasoner/solve", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      question: `Question ${String(i).padStart(2, "0")}: how many legs does a spider have?`,
      k: 1,
      max_tokens: NEW_TOKENS,
      seed: i,
      answer: "8",
      answer_type: "Integer",
    }),
  });
  if (res.status !== 200) throw new Error(`solve answered ${res.status}: ${await res.text()}`);
  await res.json();
}

async function sixteen(concurrent: boolean): Promise<number> {
  const runs: number[] = [];
  for (let r = 0; r < REPS; r++) {
    const t0 = performance.now();
    if (concurrent) await Promise.all(Array.from({ length: 16 }, (_, i) => solve(i)));
    else for (let i = 0; i < 16; i++) await solve(i);
    runs.push(performance.now() - t0);
  }
  return median(runs);
}

await tokensPerSecond(4); // warm-up: ORT allocations, tokenizer caches
const rates = new Map<number, number>();
for (const b of [1, 8, 32]) rates.set(b, await tokensPerSecond(b));
await sixteen(true);
const oneByOne = await sixteen(false);
const batched = await sixteen(true);

const base = rates.get(1)!;
console.log(`## Policy throughput (spice-lm-tiny, transformers.js CPU, ${NEW_TOKENS} new tokens, median of ${REPS})\n`);
console.log("| batch | tokens/s | vs batch 1 |");
console.log("|---:|---:|---:|");
for (const [b, r] of rates) console.log(`| ${b} | ${r.toFixed(0)} | ${(r / base).toFixed(2)}× |`);
console.log(`\n| 16 × reasoner/solve (k = 1) | wall ms | requests/s | vs one by one |`);
console.log("|---|---:|---:|---:|");
console.log(`| one by one | ${oneByOne.toFixed(0)} | ${(16000 / oneByOne).toFixed(1)} | 1.00× |`);
console.log(
  `| concurrent, batching queue | ${batched.toFixed(0)} | ${(16000 / batched).toFixed(1)} | ${(oneByOne / batched).toFixed(2)}× |`,
);
console.log(`\nBatches formed by the queue (last run): ${policy.batchSizes.slice(-3).join(", ")}; target ≥ 4×.`);

await ctx.close();
await policy.close();
rmSync(dataDir, { recursive: true, force: true });
