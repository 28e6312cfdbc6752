/**
 * Writes a complete transformers.js model folder (config, tokenizer, ONNX graph)
 * for a preset, atomically: everything goes to a temporary sibling folder that is
 * renamed into place, so a reader never sees a half-written model.
 */
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve, basename } from "node:path";
import { buildBertOnnx, BERT_LN_EPS, TYPE_VOCAB_SIZE } from "./bert.ts";
import { buildGpt2Onnx, GPT2_LN_EPS } from "./gpt2.ts";
import { INIT_STD, PRESETS, type ModelKind, type PresetName } from "./presets.ts";
import { DEFAULT_MERGES, projectTokenizer, tokenizerConfigJson, tokenizerJson } from "./tokenizer.ts";

/** The untrained causal LM the builder makes (tests, `spice model build`, the start of a warm start). */
export const DEFAULT_LM = "spice-lm-tiny";
/**
 * The default policy: `spice-lm-tiny` after a staged supervised warm start on the toy world, committed
 * as a model folder beside this file (models/spice-lm-tiny-world/README.md says how it was made).
 */
export const DEFAULT_POLICY = "spice-lm-tiny-world";
/** Committed model folders by name: shipped with the repository, never built. */
export const COMMITTED_MODELS: Readonly<Record<string, string>> = {
  [DEFAULT_POLICY]: join(import.meta.dir, DEFAULT_POLICY),
};
export const DEFAULT_ENCODER = "spice-encoder-tiny";
export const DEFAULT_SEED = 1;

/** The default model names ensureModel knows how to build. */
export const MODEL_NAMES: Record<string, { kind: ModelKind; preset: PresetName }> = {
  "spice-lm-tiny": { kind: "causal-lm", preset: "tiny" },
  "spice-lm-small": { kind: "causal-lm", preset: "small" },
  "spice-encoder-tiny": { kind: "encoder", preset: "tiny" },
  "spice-encoder-small": { kind: "encoder", preset: "small" },
};

export type BuildOptions = { kind: ModelKind; preset: PresetName; seed: number; outDir: string };

export type BuildResult = {
  dir: string;
  kind: ModelKind;
  preset: PresetName;
  seed: number;
  vocabSize: number;
  parameters: number;
  files: { path: string; bytes: number; sha256: string }[];
};

type FolderFiles = { files: Map<string, Uint8Array>; vocabSize: number; parameters: number };

const json = (v: unknown) => new TextEncoder().encode(`${JSON.stringify(v, null, 2)}\n`);

function modelFiles(kind: ModelKind, preset: PresetName, seed: number): FolderFiles {
  const p = PRESETS[kind][preset];
  const tok = projectTokenizer();
  const V = tok.vocab.length;
  const provenance = { builder: "spice-toolkit models/build.ts", kind, preset, seed, merges: DEFAULT_MERGES };
  const files = new Map<string, Uint8Array>();
  let parameters: number;
  if (kind === "causal-lm") {
    parameters = V * p.d + p.context * p.d + p.layers * (12 * p.d * p.d + 13 * p.d) + 2 * p.d;
    files.set(
      "config.json",
      json({
        architectures: ["GPT2LMHeadModel"],
        model_type: "gpt2",
        vocab_size: V,
        n_positions: p.context,
        n_ctx: p.context,
        n_embd: p.d,
        n_layer: p.layers,
        n_head: p.heads,
        n_inner: 4 * p.d,
        activation_function: "gelu_new",
        layer_norm_epsilon: GPT2_LN_EPS,
        initializer_range: INIT_STD,
        resid_pdrop: 0,
        embd_pdrop: 0,
        attn_pdrop: 0,
        tie_word_embeddings: true,
        bos_token_id: tok.eosId,
        eos_token_id: tok.eosId,
        pad_token_id: tok.eosId,
        "transformers.js_config": { dtype: "fp32" },
        spice: provenance,
      }),
    );
    files.set(
      "generation_config.json",
      json({ bos_token_id: tok.eosId, eos_token_id: tok.eosId, pad_token_id: tok.eosId }),
    );
    files.set("onnx/model.onnx", buildGpt2Onnx({ ...p, vocabSize: V }, seed));
  } else {
    parameters = (V + p.context + TYPE_VOCAB_SIZE) * p.d + 2 * p.d + p.layers * (12 * p.d * p.d + 13 * p.d);
    files.set(
      "config.json",
      json({
        architectures: ["BertModel"],
        model_type: "bert",
        vocab_size: V,
        hidden_size: p.d,
        num_hidden_layers: p.layers,
        num_attention_heads: p.heads,
        intermediate_size: 4 * p.d,
        hidden_act: "gelu",
        max_position_embeddings: p.context,
        type_vocab_size: TYPE_VOCAB_SIZE,
        layer_norm_eps: BERT_LN_EPS,
        initializer_range: INIT_STD,
        hidden_dropout_prob: 0,
        attention_probs_dropout_prob: 0,
        pad_token_id: tok.eosId,
        "transformers.js_config": { dtype: "fp32" },
        spice: provenance,
      }),
    );
    files.set("onnx/model.onnx", buildBertOnnx({ ...p, vocabSize: V }, seed));
  }
  files.set("tokenizer.json", json(tokenizerJson(tok)));
  files.set("tokenizer_config.json", json(tokenizerConfigJson(p.context)));
  return { files, vocabSize: V, parameters };
}

/** A fresh temporary sibling of `dir` (same filesystem, so a rename can move it into place). */
export function tempSibling(dir: string): string {
  mkdirSync(dirname(dir), { recursive: true });
  return join(dirname(dir), `.${basename(dir)}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`);
}

/** Renames a finished temporary folder onto `dir`, replacing what is there: readers see the old folder or the new one. */
export function moveIntoPlace(tmp: string, dir: string): void {
  if (existsSync(dir)) {
    const old = `${tmp}.old`;
    renameSync(dir, old);
    renameSync(tmp, dir);
    rmSync(old, { recursive: true, force: true });
  } else {
    renameSync(tmp, dir);
  }
}

function writeToTemp(outDir: string, files: Map<string, Uint8Array>): string {
  const tmp = tempSibling(outDir);
  for (const [rel, bytes] of files) {
    mkdirSync(dirname(join(tmp, rel)), { recursive: true });
    writeFileSync(join(tmp, rel), bytes);
  }
  return tmp;
}

/** Builds a model folder at outDir, replacing a folder already there. */
export function buildModel(opts: BuildOptions): BuildResult {
  const dir = resolve(opts.outDir);
  const { files, vocabSize, parameters } = modelFiles(opts.kind, opts.preset, opts.seed);
  moveIntoPlace(writeToTemp(dir, files), dir);
  return {
    dir,
    kind: opts.kind,
    preset: opts.preset,
    seed: opts.seed,
    vocabSize,
    parameters,
    files: [...files].map(([path, bytes]) => ({
      path,
      bytes: bytes.byteLength,
      sha256: createHash("sha256").update(bytes).digest("hex"),
    })),
  };
}

const isBuilt = (dir: string) => existsSync(join(dir, "config.json")) && existsSync(join(dir, "onnx", "model.onnx"));

/**
 * Path of the default model `name` under `<dataDir>/models/`, built (seed 1) if missing.
 * Safe when processes race: each builds into its own temporary folder and the first
 * rename wins; a loser discards its copy and keeps the winner's.
 */
export function ensureModel(dataDir: string, name: string): string {
  const spec = MODEL_NAMES[name];
  if (!spec) throw new Error(`unknown model name ${name} (known: ${Object.keys(MODEL_NAMES).join(", ")})`);
  const dir = resolve(dataDir, "models", name);
  if (isBuilt(dir)) return dir;
  const tmp = writeToTemp(dir, modelFiles(spec.kind, spec.preset, DEFAULT_SEED).files);
  try {
    renameSync(tmp, dir);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    if (!isBuilt(dir)) throw err;
  }
  return dir;
}
