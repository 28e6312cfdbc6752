import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AutoModelForCausalLM, Tensor } from "@huggingface/transformers";
import { buildModel, DEFAULT_LM, ensureModel } from "../../models/index.ts";
import { Cancelled } from "../errors.ts";
import { TransformersPolicy } from "./transformers.ts";
import { PolicyError } from "./types.ts";

let dataDir: string;
let dir: string;
let policy: TransformersPolicy;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "spice-policy-"));
  dir = ensureModel(dataDir, DEFAULT_LM);
  policy = await TransformersPolicy.load(dir, { maxBatch: 16, maxWaitMs: 5 });
});
afterAll(async () => {
  await policy.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const prompts = ["The cat", "Once upon a time in a small village by the sea,", "Question: what is 2+2?"];

describe("TransformersPolicy", () => {
  test("a left-padded greedy batch decodes each row as it would alone", async () => {
    const batched = await policy.generate(prompts, { temperature: 0, maxTokens: 12 });
    for (const [i, p] of prompts.entries()) {
      const [alone] = await policy.generate([p], { temperature: 0, maxTokens: 12 });
      expect(batched[i]!.completions[0]!.tokenIds).toEqual(alone!.completions[0]!.tokenIds);
    }
    const c = batched[0]!.completions[0]!;
    expect(c.tokenIds!.length).toBe(12);
    expect(c.finishReason).toBe("length");
    expect(batched[0]!.promptTokenIds!.length).toBeGreaterThan(0);
  });

  test("finished rows leaving the batch change no row's tokens", async () => {
    // A stop string ends rows at different steps, so the batch
    // shrinks as it goes. Every row must decode exactly as it does in a batch of its own.
    const opts = { n: 4, temperature: 1, maxTokens: 24, seed: 9, stop: ["e"] };
    const batched = await policy.generate([prompts[1]!, prompts[2]!], opts);
    const alone = await TransformersPolicy.load(dir, { maxBatch: 1, maxWaitMs: 0 });
    try {
      const single = await alone.generate([prompts[1]!, prompts[2]!], opts);
      const rows = (r: typeof batched) => r.flatMap((g) => g.completions);
      expect(rows(batched).map((c) => c.tokenIds)).toEqual(rows(single).map((c) => c.tokenIds));
      const lengths = new Set(rows(batched).map((c) => c.tokenIds!.length));
      expect(lengths.size).toBeGreaterThan(1); // rows did finish at different steps
      for (const [i, c] of rows(batched).entries())
        for (const [k, lp] of c.logprobs!.entries())
          expect(Math.abs(lp - rows(single)[i]!.logprobs![k]!)).toBeLessThan(1e-4);
      expect(alone.batchSizes.every((b) => b === 1)).toBe(true);
    } finally {
      await alone.close();
    }
  });

  test("samples of one prompt share its prefill, and decode as they would without it", async () => {
    const opts = { n: 5, temperature: 1, maxTokens: 16, seed: 3 };
    const before = policy.prefillRows;
    const shared = await policy.generate([prompts[0]!, prompts[1]!], opts);
    expect(policy.prefillRows - before).toBe(2); // 10 rows, 2 distinct prompts
    const alone = await TransformersPolicy.load(dir, { maxBatch: 1, maxWaitMs: 0 });
    try {
      const single = await alone.generate([prompts[0]!, prompts[1]!], opts);
      expect(alone.prefillRows).toBe(10);
      const rows = (r: typeof shared) => r.flatMap((g) => g.completions);
      expect(rows(shared).map((c) => c.tokenIds)).toEqual(rows(single).map((c) => c.tokenIds));
      for (const [i, c] of rows(shared).entries())
        for (const [k, lp] of c.logprobs!.entries())
          expect(Math.abs(lp - rows(single)[i]!.logprobs![k]!)).toBeLessThan(1e-4);
    } finally {
      await alone.close();
    }
  });

  test("seeded sampling repeats; another seed differs", async () => {
    const opts = { n: 4, temperature: 1, topP: 0.9, maxTokens: 16, seed: 42 };
    const a = await policy.generate(prompts, opts);
    const b = await policy.generate(prompts, opts);
    const c = await policy.generate(prompts, { ...opts, seed: 43 });
    const ids = (r: typeof a) => r.flatMap((g) => g.completions.map((x) => x.tokenIds));
    expect(ids(a)).toEqual(ids(b));
    expect(ids(a)).not.toEqual(ids(c));
  });

  test("log-probs equal a full forward pass of prompt + completion", async () => {
    const [r] = await policy.generate([prompts[1]!], { temperature: 1, maxTokens: 10, seed: 3 });
    const all = [...r!.promptTokenIds!, ...r!.completions[0]!.tokenIds!];
    const model = await AutoModelForCausalLM.from_pretrained(dir);
    const t = (xs: number[]) => new Tensor("int64", BigInt64Array.from(xs.map(BigInt)), [1, xs.length]);
    const { logits } = (await model({ input_ids: t(all), attention_mask: t(all.map(() => 1)) })) as { logits: Tensor };
    const [, , V] = logits.dims as number[];
    const data = logits.data as Float32Array;
    const P = r!.promptTokenIds!.length;
    r!.completions[0]!.logprobs!.forEach((lp, k) => {
      const row = data.subarray((P + k - 1) * V!, (P + k) * V!);
      const max = Math.max(...row);
      const lse = max + Math.log(row.reduce((s, x) => s + Math.exp(x - max), 0));
      expect(Math.abs(lp - (row[all[P + k]!]! - lse))).toBeLessThan(1e-4);
    });
    await model.dispose();
  });

  test("stop strings end a row early with the text cut before them", async () => {
    const [free] = await policy.generate([prompts[0]!], { temperature: 0, maxTokens: 30 });
    const text = free!.completions[0]!.text;
    const stop = text.slice(6, 8);
    const [stopped] = await policy.generate([prompts[0]!], { temperature: 0, maxTokens: 30, stop: [stop] });
    const c = stopped!.completions[0]!;
    expect(c.finishReason).toBe("stop");
    expect(c.text).toBe(text.slice(0, text.indexOf(stop)));
  });

  test("streams text that adds up to the completion", async () => {
    const pieces: string[] = [];
    const [r] = await policy.generate([prompts[2]!], {
      temperature: 0,
      maxTokens: 20,
      onToken: (e) => pieces.push(e.text),
    });
    expect(pieces.length).toBeGreaterThan(1);
    expect(pieces.join("")).toBe(r!.completions[0]!.text);
  });

  test("concurrent callers are grouped into batches", async () => {
    // A long max wait and a max batch of 8: the batch leaves as soon as the 8th caller arrives,
    // so a loaded CI machine cannot split it, while a broken queue still would.
    const grouped = await TransformersPolicy.load(dir, { maxBatch: 8, maxWaitMs: 2000 });
    try {
      await Promise.all(
        Array.from({ length: 8 }, (_, i) => grouped.generate([`caller ${i}`], { maxTokens: 4, seed: i })),
      );
      expect(grouped.batchSizes).toEqual([8]);
    } finally {
      await grouped.close();
    }
  });

  test("a prompt longer than the context is refused", async () => {
    const long = "word ".repeat(3000);
    expect(policy.generate([long])).rejects.toBeInstanceOf(PolicyError);
    expect(await policy.countTokens(await policy.truncateToTokens(long, 100))).toBeLessThanOrEqual(100);
  });

  test("swapWeights replaces the weights; a running batch finishes on the old ones", async () => {
    const opts = { temperature: 0, maxTokens: 300 };
    const [before] = await policy.generate([prompts[1]!], opts);
    const other = buildModel({ kind: "causal-lm", preset: "tiny", seed: 2, outDir: join(dataDir, "other") });
    const otherBytes = readFileSync(join(other.dir, "onnx", "model.onnx"));
    let finished = false;
    const inFlight = policy.generate([prompts[1]!], opts).finally(() => (finished = true));
    await Bun.sleep(15); // let the batch start
    await policy.swapWeights(otherBytes);
    expect(finished).toBe(false);
    expect((await inFlight)[0]!.completions[0]!.tokenIds).toEqual(before!.completions[0]!.tokenIds);
    const [after] = await policy.generate([prompts[1]!], opts);
    expect(after!.completions[0]!.tokenIds).not.toEqual(before!.completions[0]!.tokenIds);
    await policy.swapWeights(readFileSync(join(dir, "onnx", "model.onnx")));
    const [back] = await policy.generate([prompts[1]!], opts);
    expect(back!.completions[0]!.tokenIds).toEqual(before!.completions[0]!.tokenIds);
  });
});

/** Resolves once the policy has run `more` forward passes beyond `from`. */
async function stepsPast(p: TransformersPolicy, from: number, more: number): Promise<void> {
  while (p.decodeSteps < from + more) await Bun.sleep(1);
}

describe("TransformersPolicy: cancellation", () => {
  test("a cancelled call rejects with Cancelled and its rows stop decoding at the next step", async () => {
    const gone = new AbortController();
    const start = policy.decodeSteps;
    const call = policy.generate([prompts[1]!], { n: 8, maxTokens: 400, seed: 1, signal: gone.signal });
    await stepsPast(policy, start, 3);
    gone.abort();
    const atAbort = policy.decodeSteps;
    expect(call).rejects.toBeInstanceOf(Cancelled);
    await call.catch(() => {});
    await Bun.sleep(150);
    // At most the step that was running when the signal fired; without cancellation ~400 more follow.
    expect(policy.decodeSteps - atAbort).toBeLessThanOrEqual(1);
    expect(policy.generate(["x"], { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(Cancelled);
  });

  test("a cancelled request leaves its batch; its batch mate finishes as it would alone", async () => {
    const opts = { temperature: 0, maxTokens: 60 };
    const [alone] = await policy.generate([prompts[2]!], opts);
    const gone = new AbortController();
    const start = policy.decodeSteps;
    const sizes = policy.batchSizes.length;
    const cancelled = policy.generate([prompts[1]!], { ...opts, n: 4, maxTokens: 400, signal: gone.signal });
    const kept = policy.generate([prompts[2]!], opts);
    await stepsPast(policy, start, 5);
    gone.abort();
    expect(cancelled).rejects.toBeInstanceOf(Cancelled);
    const [r] = await kept;
    expect(policy.batchSizes.slice(sizes)).toEqual([5]); // one batch: 4 rows cancelled, 1 kept
    expect(r!.completions[0]!.tokenIds).toEqual(alone!.completions[0]!.tokenIds);
    // The kept row's 60 steps, not the cancelled rows' 400.
    expect(policy.decodeSteps - start).toBeLessThanOrEqual(61);
  });
});

describe("TransformersPolicy: prompt size", () => {
  test("a prompt that cannot fit by its length alone is refused before tokenizing", async () => {
    const huge = "word ".repeat(2_000_000); // 10 MB
    const t0 = performance.now();
    const err = await policy.generate([huge]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PolicyError);
    expect((err as PolicyError).message).toContain("characters cannot fit the model's context of 1024 tokens");
    // Tokenizing 10 MB took seconds; the length check takes microseconds (a generous bound).
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  test("truncation tokenizes a prefix only, and keeps exactly what a full encoding would", async () => {
    const doc = Array.from({ length: 6000 }, (_, i) => `Sentence ${i} says ${i % 7 === 0 ? "tea" : "coffee"}.`).join(
      " ",
    );
    const { AutoTokenizer } = await import("@huggingface/transformers");
    const tok = await AutoTokenizer.from_pretrained(dir);
    const full = tok.encode(doc, { add_special_tokens: false });
    for (const budget of [1, 50, 700]) {
      expect(await policy.truncateToTokens(doc, budget)).toBe(tok.decode(full.slice(0, budget)));
    }
    expect(await policy.truncateToTokens(doc, full.length)).toBe(doc);
    const huge = doc.repeat(40); // ~9 MB
    const t0 = performance.now();
    expect(await policy.truncateToTokens(huge, 300)).toBe(tok.decode(full.slice(0, 300)));
    expect(performance.now() - t0).toBeLessThan(2000);
  });
});
