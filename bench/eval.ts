/**
 * `spice eval` throughput: items per second over toy-world held-out questions, items batched 16
 * per generate() call (the default) versus one item per call, the baseline, measured in the same
 * run, on two models: the built spice-lm-tiny (untrained, so every answer runs to the token
 * budget: a fixed workload) and the committed warm start (trained: answers end at their own
 * lengths, the realistic case). CPU time is shown beside wall time: on a shared machine it is the
 * steadier measure. The last rows use onnxruntime's default thread count instead of the one thread
 * a small model gets by default (TransformersPolicyOptions.threads). Also: generating a 2,000-document world and its warm-start data.
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
const WARM = join(import.meta.dir, "..", "docs", "experiments", "default", "warm-start");

async function measure(model: string, maxTokens: number, threads?: number) {
  const policy = await TransformersPolicy.load(model, {
    maxBatch: 128,
    maxWaitMs: 5,
    ...(threads !== undefined ? { threads } : {}),
  });
  const run = async (batchItems: number) => {
    const start = performance.now();
    const cpu = process.cpuUsage();
    await runEval(policy, subset, { k: K, temperature: 1, maxTokens, seed: 1, batchItems });
    const used = process.cpuUsage(cpu);
    return {
      perSecond: subset.length / ((performance.now() - start) / 1000),
      perCpuSecond: subset.length / ((used.user + used.system) / 1e6),
    };
  };
  // Warm-up: the first generate() compiles the session.
  await runEval(policy, subset.slice(0, 2), { k: 1, temperature: 1, maxTokens: 4, seed: 0, batchItems: 2 });
  const one = await run(1);
  const sixteen = await run(16);
  await policy.close();
  return { one, sixteen };
}

const rows: Array<[string, Awaited<ReturnType<typeof measure>>]> = [
  [`spice-lm-tiny, untrained, ${MAX_TOKENS} new tokens`, await measure(ensureModel(dataDir, DEFAULT_LM), MAX_TOKENS)],
  ["warm start (trained), up to 96 new tokens", await measure(WARM, 96)],
  ["warm start, onnxruntime's default threads (one per core)", await measure(WARM, 96, 0)],
];
rmSync(dataDir, { recursive: true, force: true });

console.log(`### spice eval throughput (${ITEMS} items, k=${K} + 1 greedy)\n`);
console.log("| model | items per generate() call | items/s (wall) | ratio vs 1 | items per CPU-second | ratio vs 1 |");
console.log("|---|---:|---:|---:|---:|---:|");
for (const [name, { one, sixteen }] of rows) {
  console.log(
    `| ${name} | 1 (baseline) | ${one.perSecond.toFixed(2)} | 1.00 | ${one.perCpuSecond.toFixed(2)} | 1.00 |`,
  );
  console.log(
    `| ${name} | 16 (default) | ${sixteen.perSecond.toFixed(2)} | ${(sixteen.perSecond / one.perSecond).toFixed(2)} | ${sixteen.perCpuSecond.toFixed(2)} | ${(sixteen.perCpuSecond / one.perCpuSecond).toFixed(2)} |`,
  );
}
console.log(
  `\nToy world: 2,000 documents, split and ${pairs.length.toLocaleString("en-US")} warm-start pairs in ${worldMs.toFixed(0)} ms.`,
);
