import { afterAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeTokenizerCorpus } from "./make-tokenizer-corpus.ts";
import { TOKENIZER_CORPUS_PATH } from "./tokenizer.ts";
import {
  buildModel,
  ensureModel,
  gpt2ParameterShapes,
  PRESETS,
  readInitializers,
  replaceInitializers,
  trainBpe,
} from "./index.ts";

const root = mkdtempSync(join(tmpdir(), "spice-models-build-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const sha = (p: string) => createHash("sha256").update(readFileSync(p)).digest("hex");
const FILES = ["config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json", "onnx/model.onnx"];

describe("buildModel", () => {
  test("the same seed gives byte-identical files; another seed changes only the weights", () => {
    const a = buildModel({ kind: "causal-lm", preset: "tiny", seed: 1, outDir: join(root, "a") });
    const b = buildModel({ kind: "causal-lm", preset: "tiny", seed: 1, outDir: join(root, "b") });
    const c = buildModel({ kind: "causal-lm", preset: "tiny", seed: 2, outDir: join(root, "c") });
    for (const f of FILES) expect(sha(join(b.dir, f))).toBe(sha(join(a.dir, f)));
    expect(a.files.map((f) => f.path).sort()).toEqual([...FILES].sort());
    expect(sha(join(c.dir, "onnx/model.onnx"))).not.toBe(sha(join(a.dir, "onnx/model.onnx")));
    expect(sha(join(c.dir, "tokenizer.json"))).toBe(sha(join(a.dir, "tokenizer.json")));
  });

  test("encoder builds are deterministic too, and leave no temporary folders", () => {
    const a = buildModel({ kind: "encoder", preset: "tiny", seed: 5, outDir: join(root, "enc", "a") });
    const b = buildModel({ kind: "encoder", preset: "tiny", seed: 5, outDir: join(root, "enc", "b") });
    expect(sha(join(b.dir, "onnx/model.onnx"))).toBe(sha(join(a.dir, "onnx/model.onnx")));
    expect(readdirSync(join(root, "enc")).sort()).toEqual(["a", "b"]);
  });

  test("rebuilding over an existing folder replaces it", () => {
    const dir = join(root, "replace");
    buildModel({ kind: "causal-lm", preset: "tiny", seed: 1, outDir: dir });
    const before = sha(join(dir, "onnx/model.onnx"));
    buildModel({ kind: "causal-lm", preset: "tiny", seed: 9, outDir: dir });
    expect(sha(join(dir, "onnx/model.onnx"))).not.toBe(before);
    expect(readdirSync(root).filter((n) => n.includes(".tmp-"))).toEqual([]);
  });

  test("config.json describes the graph and pins fp32", () => {
    const r = buildModel({ kind: "causal-lm", preset: "small", seed: 1, outDir: join(root, "small") });
    const config = JSON.parse(readFileSync(join(r.dir, "config.json"), "utf8"));
    expect(config).toMatchObject({
      model_type: "gpt2",
      n_embd: 128,
      n_layer: 4,
      n_head: 4,
      n_positions: 2048,
      vocab_size: r.vocabSize,
    });
    expect(config["transformers.js_config"]).toEqual({ dtype: "fp32" });
    const tokConfig = JSON.parse(readFileSync(join(r.dir, "tokenizer_config.json"), "utf8"));
    expect(tokConfig).toMatchObject({
      tokenizer_class: "GPT2Tokenizer",
      eos_token: "<|endoftext|>",
      pad_token: "<|endoftext|>",
      model_max_length: 2048,
    });
  });
});

describe("initializer contract", () => {
  const dir = join(root, "contract");
  const built = buildModel({ kind: "causal-lm", preset: "tiny", seed: 1, outDir: dir });
  const bytes = readFileSync(join(dir, "onnx/model.onnx"));
  const inits = readInitializers(bytes);

  test("learnable names and shapes are exactly the documented ones; everything else is const.*", () => {
    const p = PRESETS["causal-lm"].tiny;
    const expected = gpt2ParameterShapes({ ...p, vocabSize: built.vocabSize });
    const learnable = [...inits].filter(([name]) => !name.startsWith("const."));
    expect(learnable.map(([n, v]) => [n, v.dims])).toEqual(expected);
    expect(inits.get("h.1.attn.c_attn.weight")!.dims).toEqual([64, 192]);
    expect(learnable.reduce((s, [, v]) => s + v.data.length, 0)).toBe(built.parameters);
  });

  test("GPT-2 initialisation: LN weights 1, biases 0, matrices with std about 0.02", () => {
    expect(inits.get("ln_f.weight")!.data.every((v) => v === 1)).toBe(true);
    expect(inits.get("h.0.mlp.c_fc.bias")!.data.every((v) => v === 0)).toBe(true);
    const w = inits.get("wte.weight")!.data;
    const std = Math.sqrt(w.reduce((s, v) => s + v * v, 0) / w.length);
    expect(std).toBeGreaterThan(0.019);
    expect(std).toBeLessThan(0.021);
  });

  test("replaceInitializers keeps the graph, swaps the values, and rejects shape changes", () => {
    const same = replaceInitializers(bytes, inits);
    expect(sha256(same)).toBe(sha256(bytes));
    const scaled = new Map([["ln_f.bias", { dims: [64], data: new Float32Array(64).fill(0.5) }]]);
    const out = readInitializers(replaceInitializers(bytes, scaled));
    expect(out.get("ln_f.bias")!.data[3]).toBe(0.5);
    expect(out.get("wte.weight")!.data).toEqual(inits.get("wte.weight")!.data);
    expect(() =>
      replaceInitializers(bytes, new Map([["ln_f.bias", { dims: [65], data: new Float32Array(65) }]])),
    ).toThrow(/dims/);
    expect(() => replaceInitializers(bytes, new Map([["nope", { dims: [1], data: new Float32Array(1) }]]))).toThrow(
      /nope/,
    );
  });
});

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

describe("tokenizer training", () => {
  test("the committed corpus is what the seeded generator writes", () => {
    expect(makeTokenizerCorpus(7, 200_000)).toBe(readFileSync(TOKENIZER_CORPUS_PATH, "utf8"));
  });

  test("is deterministic and learns frequent pairs first", () => {
    const text = `${"the cat sat on the mat. the hat, the bat! ".repeat(20)}boxed{1} boxed{2}`;
    const a = trainBpe(text, 40);
    const b = trainBpe(text, 40);
    expect(a).toEqual(b);
    expect(a.merges[0]).toEqual(["a", "t"]); // cat sat mat hat bat: 100 times
    expect(a.vocab.length).toBe(256 + a.merges.length + 1);
    expect(a.vocab[a.eosId]).toBe("<|endoftext|>");
  });
});

describe("ensureModel", () => {
  test("builds once, then returns the existing folder untouched", () => {
    const dataDir = join(root, "data");
    const dir = ensureModel(dataDir, "spice-encoder-tiny");
    const mtime = statSync(join(dir, "onnx/model.onnx")).mtimeMs;
    expect(ensureModel(dataDir, "spice-encoder-tiny")).toBe(dir);
    expect(statSync(join(dir, "onnx/model.onnx")).mtimeMs).toBe(mtime);
    expect(() => ensureModel(dataDir, "gpt-17")).toThrow(/unknown model/);
  });

  test("two processes racing to build the same model both succeed with one valid folder", async () => {
    const dataDir = join(root, "race");
    const script = `import { ensureModel } from ${JSON.stringify(join(import.meta.dir, "index.ts"))};
      console.log(ensureModel(${JSON.stringify(dataDir)}, "spice-lm-tiny"));`;
    const run = () => Bun.spawn(["bun", "-e", script], { stdout: "pipe", stderr: "pipe" });
    const procs = [run(), run()];
    const outs = await Promise.all(
      procs.map(async (p) => ({ code: await p.exited, out: (await new Response(p.stdout).text()).trim() })),
    );
    for (const o of outs) expect(o).toEqual({ code: 0, out: join(dataDir, "models", "spice-lm-tiny") });
    expect(existsSync(join(dataDir, "models", "spice-lm-tiny", "onnx", "model.onnx"))).toBe(true);
    expect(readdirSync(join(dataDir, "models"))).toEqual(["spice-lm-tiny"]);
  });
});

describe("spice model build", () => {
  const cli = join(import.meta.dir, "../src/cli/main.ts");
  test("--json prints the summary; the files match a library build", () => {
    const out = join(root, "cli");
    const r = spawnSync(
      "bun",
      [cli, "model", "build", "--kind", "encoder", "--preset", "tiny", "--seed", "5", "--out", out, "--json"],
      { encoding: "utf8" },
    );
    expect(r.status).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary).toMatchObject({ dir: out, kind: "encoder", preset: "tiny", seed: 5 });
    expect(sha(join(out, "onnx/model.onnx"))).toBe(sha(join(root, "enc", "a", "onnx/model.onnx")));
  });

  test.each([
    [["--kind", "decoder"], /--kind/],
    [["--preset", "huge"], /--preset/],
    [["--seed", "1.5"], /--seed/],
  ])("bad flag %p exits 2 with one line", (args, pattern) => {
    const r = spawnSync("bun", [cli, "model", "build", ...(args as string[]), "--out", join(root, "never")], {
      encoding: "utf8",
    });
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(pattern as RegExp);
    expect(existsSync(join(root, "never"))).toBe(false);
  });
});
