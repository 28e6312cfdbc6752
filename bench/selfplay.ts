/**
 * Seconds per self-play iteration and its split by phase (corpus draw, challenger generation,
 * reasoner generation, verification, learner, database) for a small configuration on the built
 * tiny model with the embedded learner, so the bottleneck is visible. Target (issue 7):
 * verification + database under 5% of an iteration; the ratio printed is that share.
 *
 * An untrained model writes almost no valid task, which would leave the reasoner, verifier and
 * learner idle; so a second configuration uses a fixed challenger (a local OpenAI-compatible
 * server writing valid arithmetic tasks) while the built model answers and learns.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_LM, ensureModel } from "../models/index.ts";
import { loadConfig } from "../src/config.ts";
import { openContext } from "../src/server.ts";
import { parseTrainerConfig, type TrainerConfigInput } from "../src/trainer/config.ts";
import { runMetrics } from "../src/trainer/persist.ts";
import { getTrainer } from "../src/trainer/service.ts";
import { ensureSampleCorpus } from "../src/corpus/index.ts";
import { startFakeOpenAI } from "../test/fakes/openai-server.ts";
import { arithmeticScript } from "../test/trainer/fixtures.ts";

const ITERATIONS = 4; // the first is a warm-up (model load, jit compile) and is reported apart
const PHASES = ["corpus", "challenger", "reasoner", "verify", "learner", "database"] as const;

const dataDir = mkdtempSync(join(tmpdir(), "spice-bench-selfplay-"));
const modelDir = ensureModel(dataDir, DEFAULT_LM);
const fake = startFakeOpenAI();
fake.setReply((prompt, choice) => arithmeticScript(prompt, { sample: choice }));

async function measure(label: string, over: TrainerConfigInput) {
  const ctx = openContext(loadConfig({ dataDir, model: modelDir, logLevel: "silent" }, {}));
  if (over.use_corpus !== false) await ensureSampleCorpus(ctx);
  const trainer = await getTrainer(ctx);
  const config = parseTrainerConfig({
    iterations: ITERATIONS,
    seed: 1,
    batch_docs: 2,
    challenger_samples: 4,
    reasoner_rollouts: 4,
    max_attempts: 4,
    max_new_tokens: 48,
    learner: "embedded",
    learning_rate: 1e-3,
    checkpoint_every: 1000,
    ...over,
  });
  const t0 = performance.now();
  const { run_id } = await trainer.start(config, { newRun: true });
  await trainer.done();
  const wall = (performance.now() - t0) / 1000;
  if (trainer.status().state !== "finished") throw new Error(`${label}: ${trainer.status().error}`);
  const rows = runMetrics(ctx.db, run_id!).slice(1);
  await ctx.close();
  const mean = (k: string) => rows.reduce((s, r) => s + (r[k] ?? 0), 0) / rows.length;
  const phases = Object.fromEntries(PHASES.map((p) => [p, mean(`seconds.${p}`)]));
  const total = Object.values(phases).reduce((a, b) => a + b, 0);
  return {
    label,
    wall,
    total,
    phases,
    tokens: mean("tokens.generated"),
    valid: mean("challenger.valid_rate"),
    rollouts: mean("reasoner.rollouts"),
  };
}

const results = [
  await measure("self-play, built model (corpus: sample)", {}),
  await measure("fixed challenger (fake server) + built reasoner", { use_corpus: false, challenger_policy: fake.url }),
];
await fake.stop();
rmSync(dataDir, { recursive: true, force: true });

const pct = (x: number, t: number) => `${((100 * x) / t).toFixed(1)}%`;
console.log(`### Self-play iteration (bench/selfplay.ts)\n`);
console.log(
  `B 2 · G 4 · K 4 · max_new_tokens 48 · embedded learner · tiny model · mean of ${ITERATIONS - 1} iterations after a warm-up\n`,
);
console.log(
  `| config | s/iteration | ${PHASES.join(" | ")} | verify+db share (target < 5%) | valid rate | rollouts | tokens |`,
);
console.log(`|---|---|${PHASES.map(() => "---").join("|")}|---|---|---|---|`);
for (const r of results) {
  const cells = PHASES.map((p) => `${r.phases[p]!.toFixed(3)} (${pct(r.phases[p]!, r.total)})`);
  const share = (r.phases.verify! + r.phases.database!) / r.total;
  console.log(
    `| ${r.label} | ${r.total.toFixed(3)} | ${cells.join(" | ")} | ${(share * 100).toFixed(2)}% | ${r.valid.toFixed(2)} | ${r.rollouts.toFixed(0)} | ${r.tokens.toFixed(0)} |`,
  );
}
process.exit(0);
