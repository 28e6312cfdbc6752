/**
 * Greedy generation throughput of the built tiny causal LM (transformers.js, CPU):
 * batch 1 vs a left-padded batch of 8 prompts of mixed lengths, a fixed number of
 * new tokens (EOS disabled). Prints a markdown table; the ratio is batch 8 over batch 1.
 *
 * Run: bun bench/generation.ts [--new-tokens 48] [--reps 5]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Tensor } from "@huggingface/transformers";
import { buildModel } from "../models/build.ts";
import { loadCausalLM } from "../src/models/load.ts";

const arg = (flag: string, dflt: number) => {
  const i = process.argv.indexOf(flag);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const NEW_TOKENS = arg("--new-tokens", 48);
const REPS = arg("--reps", 15);

const PROMPTS = [
  "The river",
  "In 1900, Marie Curie studied the ancient library near Kyoto.",
  "Question: what is 12 times 7?",
  'JSON {"question": "How many books?", "answer": "42"}',
  "Historians say that the northern bridge was built",
  "x =",
  "Because the market was large, the council introduced a new plan",
  "The average temperature there is 21°C in May.",
];

const dir = mkdtempSync(join(tmpdir(), "spice-bench-generation-"));
try {
  const model = buildModel({ kind: "causal-lm", preset: "tiny", seed: 1, outDir: join(dir, "lm") });
  const lm = await loadCausalLM(model.dir);

  const run = async (texts: string[]) => {
    const inputs = lm.tokenizer(texts, { padding: true });
    const t0 = performance.now();
    const out = (await lm.model.generate({
      ...inputs,
      max_new_tokens: NEW_TOKENS,
      do_sample: false,
      eos_token_id: [],
    })) as Tensor;
    const ms = performance.now() - t0;
    const generated = (out.dims[1]! - inputs.input_ids.dims[1]!) * texts.length;
    return { ms, generated };
  };

  const measure = async (texts: string[]) => {
    await run(texts); // warm-up: session and allocation
    const times: number[] = [];
    let generated = 0;
    for (let r = 0; r < REPS; r++) {
      const m = await run(texts);
      times.push(m.ms);
      generated = m.generated;
    }
    times.sort((a, b) => a - b);
    const median = times[Math.floor(times.length / 2)]!;
    return { median, generated, tokensPerSecond: (generated / median) * 1000 };
  };

  const single = await measure([PROMPTS[0]!]);
  const batch = await measure(PROMPTS);
  const padded = lm.tokenizer(PROMPTS, { padding: true }).input_ids.dims[1];

  console.log(
    `## Generation throughput: spice-lm-tiny (${model.parameters.toLocaleString("en-US")} parameters), greedy, ${NEW_TOKENS} new tokens, EOS off, median of ${REPS}\n`,
  );
  console.log("| batch | prompts | new tokens | median ms | tokens/s | ms/step | ratio vs batch 1 |");
  console.log("|---|---|---|---|---|---|---|");
  for (const [b, label, m] of [
    [1, "1 prompt", single],
    [8, `8 mixed, left-padded to ${padded}`, batch],
  ] as const) {
    console.log(
      `| ${b} | ${label} | ${m.generated} | ${m.median.toFixed(1)} | ${Math.round(m.tokensPerSecond).toLocaleString("en-US")} | ${(m.median / NEW_TOKENS).toFixed(2)} | ${(m.tokensPerSecond / single.tokensPerSecond).toFixed(2)}× |`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
