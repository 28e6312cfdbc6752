/**
 * `spice eval` throughput: items per second over toy-world held-out questions, on two models: the built
 * spice-lm-tiny (untrained, so every answer runs to the token budget: a fixed workload) and the committed
 * warm start (trained: answers end at their own lengths, the realistic case). Three ways, measured in the
 * same run: every sequence alone (a policy whose batches hold one row: the baseline, no batching at all);
 * one item per generate() call (its K samples and greedy answer batched, sharing one prefill); 16 items
 * per call (the default). CPU time is shown beside wall time: on a shared machine it is the steadier
 * measure. The last rows use onnxruntime's default thread count instead of the one thread a small model
 * gets by default (TransformersPolicyOptions.threads). Also: generating a 2,000-document world and its
 * warm-start data.
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

interface Rate {
  perSecond: number;
  perCpuSecond: number;
}

async function measure(model: string, maxTokens: number, threads?: number) {
  const load = (maxBatch: number) =>
    TransformersPolicy.load(model, { maxBatch, maxWaitMs: 5, ...(threads !== undefined ? { threads } : {}) });
  const run = async (policy: TransformersPolicy, batchItems: number): Promise<Rate> => {
    // Warm-up: the first generate() compiles the session.
    await runEval(policy, subset.slice(0, 2), { k: 1, temperature: 1, maxTokens: 4, seed: 0, batchItems: 2 });
    const start = performance.now();
    const cpu = process.cpuUsage();
    await runEval(policy, subset, { k: K, temperature: 1, maxTokens, seed: 1, batchItems });
    const used = process.cpuUsage(cpu);
    return {
      perSecond: subset.length / ((performance.now() - start) / 1000),
      perCpuSecond: subset.length / ((used.user + used.system) / 1e6),
    };
  };
  const alone = await load(1);
  const unbatched = await run(alone, 1);
  await alone.close();
  const policy = await load(128);
  const one = await run(policy, 1);
  const sixteen = await run(policy, 16);
  await policy.close();
  return { unbatched, one, sixteen };
}

const rows: Array<[string, Awaited<ReturnType<typeof measure>>]> = [
  [`spice-lm-tiny, untrained, ${MAX_TOKENS} new tokens`, await measure(ensureModel(dataDir, DEFAULT_LM), MAX_TOKENS)],
  ["warm start (trained), up to 96 new tokens", await measure(WARM, 96)],
  ["warm start, onnxruntime's default threads (one per core)", await measure(WARM, 96, 0)],
];
rmSync(dataDir, { recursive: true, force: true });

console.log(`### spice eval throughput (${ITEMS} items, k=${K} + 1 greedy)\n`);
console.log(
  "| model | rows per forward pass | items/s (wall) | ratio vs alone | ratio vs 1 item | items per CPU-second | ratio vs alone | ratio vs 1 item |",
);
console.log("|---|---|---:|---:|---:|---:|---:|---:|");
for (const [name, r] of rows) {
  const line = (label: string, x: Rate) =>
    console.log(
      `| ${name} | ${label} | ${x.perSecond.toFixed(2)} | ${(x.perSecond / r.unbatched.perSecond).toFixed(2)} | ${(x.perSecond / r.one.perSecond).toFixed(2)} | ${x.perCpuSecond.toFixed(2)} | ${(x.perCpuSecond / r.unbatched.perCpuSecond).toFixed(2)} | ${(x.perCpuSecond / r.one.perCpuSecond).toFixed(2)} |`,
    );
  line("1 (every sequence alone: baseline)", r.unbatched);
  line(`1 item: ${K + 1} rows, one prefill`, r.one);
  line(`16 items: ${16 * (K + 1)} rows (default)`, r.sixteen);
}
console.log(
  `\nToy world: 2,000 documents, split and ${pairs.length.toLocaleString("en-US")} warm-start pairs in ${worldMs.toFixed(0)} ms.`,
);
