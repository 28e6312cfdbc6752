/**
 * `spice eval` throughput: items per second over toy-world held-out questions with the built
 * spice-lm-tiny (untrained, so every answer runs to the token budget: a fixed workload), items
 * batched 16 per generate() call (the default) versus one item per call, the baseline, measured
 * in the same run. Also: generating a 2,000-document world and its warm-start data.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_LM, ensureModel } from "../models/index.ts";
import { parseDataset } from "../src/eval/dataset.ts";
import { runEval } from "../src/eval/run.ts";
import { TransformersPolicy } from "../src/policy/transformers.ts";
import { generateWorld } from "../src/world/generate.ts";
import { evalJsonl } from "../src/world/jsonl.ts";
import { sftPairs } from "../src/world/sft-data.ts";
import { splitWorld } from "../src/world/split.ts";

const ITEMS = 32;
const K = 4;
const MAX_TOKENS = 32;
const dataDir = mkdtempSync(join(tmpdir(), "spice-bench-eval-"));

const t0 = performance.now();
const world = generateWorld({ seed: 1, documents: 2000 });
const split = splitWorld(world, { evalFraction: 0.2, seed: 1 });
const pairs = sftPairs(split.train, { seed: 1 });
const worldMs = performance.now() - t0;

const { items } = parseDataset(evalJsonl(split.eval));
const subset = items.slice(0, ITEMS);
const policy = await TransformersPolicy.load(ensureModel(dataDir, DEFAULT_LM), { maxBatch: 64, maxWaitMs: 5 });

async function itemsPerSecond(batchItems: number): Promise<number> {
  const start = performance.now();
  await runEval(policy, subset, { k: K, temperature: 1, maxTokens: MAX_TOKENS, seed: 1, batchItems });
  return subset.length / ((performance.now() - start) / 1000);
}

// Warm-up: the first generate() compiles the session.
await runEval(policy, subset.slice(0, 2), { k: 1, temperature: 1, maxTokens: 4, seed: 0, batchItems: 2 });
const one = await itemsPerSecond(1);
const sixteen = await itemsPerSecond(16);
await policy.close();
rmSync(dataDir, { recursive: true, force: true });

console.log(`### spice eval throughput (spice-lm-tiny, ${ITEMS} items, k=${K} + 1 greedy, ${MAX_TOKENS} new tokens)\n`);
console.log("| items per generate() call | items/s | ratio vs 1 |");
console.log("|---:|---:|---:|");
console.log(`| 1 (baseline) | ${one.toFixed(2)} | 1.00 |`);
console.log(`| 16 (default) | ${sixteen.toFixed(2)} | ${(sixteen / one).toFixed(2)} |`);
console.log(
  `\nToy world: 2,000 documents, split and ${pairs.length.toLocaleString("en-US")} warm-start pairs in ${worldMs.toFixed(0)} ms.`,
);
