/**
 * The built folders through transformers.js' real loading path (no stubs): tokenizer
 * round trips, generation with and without the KV cache, left-padded batches and
 * feature extraction.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline, Tensor, type TextGenerationPipeline } from "@huggingface/transformers";
import { buildModel, readInitializers, replaceInitializers } from "./index.ts";
import { embed, loadCausalLM, loadEncoder, useLocalModelsOnly, type CausalLM } from "../src/models/load.ts";

const root = mkdtempSync(join(tmpdir(), "spice-models-tjs-"));
let lm: CausalLM;
let lmDir: string;
let encoderDir: string;
const realFetch = globalThis.fetch;

beforeAll(async () => {
  // Prove nothing is downloaded: any network access fails the test run.
  globalThis.fetch = (async () => {
    throw new Error("network access during a model test");
  }) as unknown as typeof fetch;
  lmDir = buildModel({ kind: "causal-lm", preset: "tiny", seed: 1, outDir: join(root, "lm") }).dir;
  // Freshly initialised weights (std 0.02) give near-uniform logits whose greedy output
  // repeats one token; scaled-up weights give varied tokens, so the comparisons below
  // test something. This also exercises replaceInitializers on a loaded model.
  const onnxPath = join(lmDir, "onnx/model.onnx");
  const inits = readInitializers(readFileSync(onnxPath));
  for (const [name, v] of inits)
    if (!name.startsWith("const.") && !name.includes("ln_")) v.data.set(v.data.map((x) => x * 12));
  writeFileSync(onnxPath, replaceInitializers(readFileSync(onnxPath), inits));
  lm = await loadCausalLM(lmDir);
  encoderDir = buildModel({ kind: "encoder", preset: "tiny", seed: 1, outDir: join(root, "enc") }).dir;
});

afterAll(() => {
  globalThis.fetch = realFetch;
  rmSync(root, { recursive: true, force: true });
});

const ids = (t: Tensor) => (t.tolist() as bigint[][]).map((row) => row.map(Number));
const argmax = (row: ArrayLike<number>) => {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i]! > row[best]!) best = i;
  return best;
};

describe("tokenizer through AutoTokenizer", () => {
  test.each([
    "Hello world",
    "  leading and  double  spaces, trailing ",
    "Unicode: héllo, naïve café, 東京, emoji 🙂, math π ≈ 3.14159",
    'JSON {"question": "What is 2+2?", "answer": "4"}',
    "LaTeX $\\frac{1}{2}$ and \\boxed{\\sqrt{2}}\nnew line\ttab",
  ])("round-trips %p", (text) => {
    const encoded = lm.tokenizer.encode(text);
    expect(lm.tokenizer.decode(encoded)).toBe(text);
  });

  test("merges shorten English and the special token is one id", () => {
    const text = "The water cycle is one of the most studied subjects in geography.";
    expect(lm.tokenizer.encode(text).length).toBeLessThan(text.length / 2.5);
    const eos = lm.tokenizer.eos_token_id as number;
    expect(lm.tokenizer.encode("a<|endoftext|>")).toEqual([...lm.tokenizer.encode("a"), eos]);
    expect(lm.tokenizer.decode([...lm.tokenizer.encode("ok"), eos], { skip_special_tokens: true })).toBe("ok");
  });
});

describe("causal LM", () => {
  test("pipeline('text-generation') loads the folder and generates", async () => {
    useLocalModelsOnly();
    const pipe = (await pipeline("text-generation", lmDir)) as TextGenerationPipeline;
    const out = (await pipe("In 1900, the river", { max_new_tokens: 6, do_sample: false })) as {
      generated_text: string;
    }[];
    expect(out[0]!.generated_text.startsWith("In 1900, the river")).toBe(true);
    expect(out[0]!.generated_text.length).toBeGreaterThan("In 1900, the river".length);
  });

  test("greedy generate() with the KV cache equals full-sequence greedy decoding", async () => {
    const steps = 16;
    const prompt = lm.tokenizer.encode("Question: how many books were in the library?");
    const cached = ids(
      (await lm.model.generate({
        input_ids: new Tensor("int64", BigInt64Array.from(prompt.map(BigInt)), [1, prompt.length]),
        attention_mask: new Tensor("int64", new BigInt64Array(prompt.length).fill(1n), [1, prompt.length]),
        max_new_tokens: steps,
        do_sample: false,
        eos_token_id: [],
      })) as Tensor,
    )[0]!.slice(prompt.length);

    const seq = [...prompt];
    for (let s = 0; s < steps; s++) {
      const n = seq.length;
      const { logits } = (await lm.model({
        input_ids: new Tensor("int64", BigInt64Array.from(seq.map(BigInt)), [1, n]),
        attention_mask: new Tensor("int64", new BigInt64Array(n).fill(1n), [1, n]),
      })) as { logits: Tensor };
      const V = logits.dims[2]!;
      seq.push(argmax((logits.data as Float32Array).subarray((n - 1) * V, n * V)));
    }
    expect(cached).toEqual(seq.slice(prompt.length));
    expect(new Set(cached).size).toBeGreaterThan(3);
  });

  test("a left-padded batch gives the same greedy tokens as one prompt at a time", async () => {
    const prompts = [
      "Hi",
      "The river in Lisbon",
      "In 1776, Ada Lovelace measured the ancient museum near Kyoto.",
      "x = \\frac{3}{4}",
    ];
    const gen = async (texts: string[]) => {
      const inputs = lm.tokenizer(texts, { padding: true });
      const width = inputs.input_ids.dims[1]!;
      const out = ids(
        (await lm.model.generate({ ...inputs, max_new_tokens: 10, do_sample: false, eos_token_id: [] })) as Tensor,
      );
      return out.map((row) => row.slice(width));
    };
    const batched = await gen(prompts);
    const single = await Promise.all(prompts.map(async (p) => (await gen([p]))[0]!));
    expect(batched).toEqual(single);
    expect(ids(lm.tokenizer(prompts, { padding: true }).attention_mask)[0]![0]).toBe(0);
  });
});

describe("encoder", () => {
  test("feature extraction gives unit vectors of dim d; batched equals single", async () => {
    const encoder = await loadEncoder(encoderDir);
    const texts = ["short", "a much longer sentence about the water cycle and coral reefs", "\\boxed{42}"];
    const batched = await embed(encoder, texts);
    expect(batched).toHaveLength(3);
    for (const [i, v] of batched.entries()) {
      expect(v).toHaveLength(64);
      expect(Math.hypot(...v)).toBeCloseTo(1, 5);
      const [alone] = await embed(encoder, [texts[i]!]);
      for (let j = 0; j < v.length; j++) expect(Math.abs(v[j]! - alone![j]!)).toBeLessThan(1e-5);
    }
    expect(batched[0]).not.toEqual(batched[1]);
  });
});
