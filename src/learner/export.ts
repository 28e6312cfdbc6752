// Moving weights between the ONNX model folder transformers.js serves and the jax-js learner: read
// the initializers, write trained ones back into the same graph, write a complete model folder, and
// hot-swap a loaded model so that requests in flight finish on the weights they started with.
import { cpSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import {
  moveIntoPlace,
  readInitializers,
  replaceInitializers,
  tempSibling,
  type Initializer,
} from "../../models/index.ts";
import { writeFileAtomic } from "./checkpoint.ts";
import { type GptConfig, type HostParams, paramShapes } from "./model.ts";

export const ONNX_FILE = join("onnx", "model.onnx");

/** The model's own tensors from an ONNX file (graph constants are left out). */
export function readOnnxWeights(onnx: Uint8Array): HostParams {
  const all = readInitializers(onnx);
  const out: HostParams = new Map();
  for (const [name, t] of all) {
    if (name.startsWith("const")) continue;
    out.set(name, { shape: t.dims, data: new Float32Array(t.data) });
  }
  return out;
}

/** The base graph with the learner's weights in place of its initializers. */
export function exportOnnx(baseOnnx: Uint8Array, host: HostParams): Uint8Array {
  const map = new Map<string, Initializer>();
  for (const [name, t] of host) map.set(name, { dims: t.shape, data: t.data });
  return replaceInitializers(baseOnnx, map);
}

/** Model dimensions from a GPT-2 `config.json` plus the embedding table's shape. */
export function gptConfigOf(config: Record<string, unknown>, weights: HostParams): GptConfig {
  const wte = weights.get("wte.weight");
  const wpe = weights.get("wpe.weight");
  if (!wte || !wpe) throw new Error("not a GPT-2 model: wte.weight / wpe.weight missing");
  const nLayer = Number(config.n_layer);
  const nHead = Number(config.n_head);
  const cfg: GptConfig = {
    vocabSize: wte.shape[0]!,
    dModel: wte.shape[1]!,
    nPositions: wpe.shape[0]!,
    nLayer,
    nHead,
  };
  if (!(nLayer > 0 && nHead > 0 && cfg.dModel % nHead === 0)) {
    throw new Error(`config.json: n_layer ${config.n_layer} / n_head ${config.n_head} do not fit d ${cfg.dModel}`);
  }
  if (config.model_type !== undefined && config.model_type !== "gpt2") {
    throw new Error(`config.json: model_type ${String(config.model_type)} is not gpt2`);
  }
  for (const [name] of paramShapes(cfg)) if (!weights.has(name)) throw new Error(`weight ${name} missing`);
  return cfg;
}

export type ModelFolder = { dir: string; cfg: GptConfig; onnx: Uint8Array; weights: HostParams };

export function readModelFolder(dir: string): ModelFolder {
  const path = resolve(dir);
  const config = JSON.parse(readFileSync(join(path, "config.json"), "utf8")) as Record<string, unknown>;
  const onnx = new Uint8Array(readFileSync(join(path, ONNX_FILE)));
  const weights = readOnnxWeights(onnx);
  return { dir: path, cfg: gptConfigOf(config, weights), onnx, weights };
}

/**
 * A copy of the folder `srcDir` at `outDir` with `onnx/model.onnx` replaced, built in a temporary
 * sibling and renamed into place, so a reader sees the old folder or the new one, never a mix.
 */
export function writeModelFolder(srcDir: string, outDir: string, onnx: Uint8Array): string {
  const out = resolve(outDir);
  const tmp = tempSibling(out);
  cpSync(resolve(srcDir), tmp, { recursive: true });
  writeFileAtomic(join(tmp, ONNX_FILE), onnx);
  moveIntoPlace(tmp, out);
  return out;
}
