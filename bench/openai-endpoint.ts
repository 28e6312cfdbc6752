/**
 * Overhead of the OpenAI-compatible endpoint (issue 14): the same greedy generations through
 * `POST /v1/completions` on a real loopback server (the app `spice serve` runs) against calling the
 * in-process policy's generate() directly, at batch 1 and 8 (8 prompts in one request, and 8
 * concurrent one-prompt requests against 8 concurrent generate() calls). Target: ≤ 10% overhead.
 * Model: the built spice-lm-tiny; both sides share one policy and its batching queue.
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
const REPS = 15;
const dataDir = mkdtempSync(join(tmpdir(), "spice-bench-openai-"));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const config = loadConfig({ dataDir, logLevel: "silent" }, {});
const ctx = createContext(config, createLogger("silent"), openDb(join(dataDir, "spice.sqlite")));
const policy = await TransformersPolicy.load(ensureModel(dataDir, DEFAULT_LM), { maxBatch: 32, maxWaitMs: 5 });
void ctx.lazy("policy", async () => policy);
const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: createApp(ctx).fetch });
const url = `http://127.0.0.1:${server.port}/v1/completions`;

const prompt = (i: number) => `Question ${String(i).padStart(2, "0")}: how many legs does a spider have?`;
// Greedy, EOS ignored by asking for exactly NEW_TOKENS where the model allows: the same work on both sides.
const options = { maxTokens: NEW_TOKENS, temperature: 0 };

async function direct(prompts: string[]): Promise<number> {
  const out = await policy.generate(prompts, options);
  return out.reduce((s, g) => s + g.completions[0]!.tokenIds!.length, 0);
}

async function http(prompts: string[]): Promise<number> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "spice-lm-tiny", prompt: prompts, max_tokens: NEW_TOKENS, temperature: 0 }),
  });
  if (res.status !== 200) throw new Error(`/v1/completions answered ${res.status}: ${await res.text()}`);
  const body = (await res.json()) as { usage: { completion_tokens: number } };
  return body.usage.completion_tokens;
}

type Shape = { label: string; run: (via: (p: string[]) => Promise<number>) => Promise<number> };
const shapes: Shape[] = [
  { label: "batch 1 (1 prompt, 1 request)", run: (via) => via([prompt(0)]) },
  { label: "batch 8 (8 prompts, 1 request)", run: (via) => via(Array.from({ length: 8 }, (_, i) => prompt(i))) },
  {
    label: "batch 8 (8 concurrent requests)",
    run: async (via) =>
      (await Promise.all(Array.from({ length: 8 }, (_, i) => via([prompt(i)])))).reduce((a, b) => a + b),
  },
];

async function time(fn: () => Promise<number>): Promise<{ ms: number; tokens: number }> {
  const t0 = performance.now();
  const tokens = await fn();
  return { ms: performance.now() - t0, tokens };
}

for (const s of shapes) {
  await s.run(direct); // warm-up: ORT allocations, tokenizer caches
  await s.run(http);
}
const rows: string[] = [];
const overheads: number[] = [];
for (const s of shapes) {
  const d: number[] = [];
  const h: number[] = [];
  let tokens = { direct: 0, http: 0 };
  // Interleaved, so that load on the machine affects both sides alike.
  for (let r = 0; r < REPS; r++) {
    const a = await time(() => s.run(direct));
    const b = await time(() => s.run(http));
    d.push(a.ms);
    h.push(b.ms);
    tokens = { direct: a.tokens, http: b.tokens };
  }
  if (tokens.direct !== tokens.http) throw new Error(`${s.label}: ${tokens.direct} vs ${tokens.http} tokens`);
  const [md, mh] = [median(d), median(h)];
  overheads.push(mh / md - 1);
  rows.push(
    `| ${s.label} | ${tokens.direct} | ${md.toFixed(1)} | ${mh.toFixed(1)} | ${(mh / md).toFixed(3)}× | ${((mh / md - 1) * 100).toFixed(1)}% |`,
  );
}

console.log(
  `## OpenAI-compatible endpoint overhead (spice-lm-tiny, greedy, ${NEW_TOKENS} new tokens, median of ${REPS})\n`,
);
console.log("| shape | tokens | direct generate() ms | POST /v1/completions ms | ratio | overhead |");
console.log("|---|---:|---:|---:|---:|---:|");
for (const r of rows) console.log(r);
const worst = Math.max(...overheads);
console.log(`\nTarget ≤ 10% overhead: **${worst <= 0.1 ? "met" : "not met"}** (worst ${(worst * 100).toFixed(1)}%).`);

await server.stop(true);
await ctx.close();
await policy.close();
rmSync(dataDir, { recursive: true, force: true });
