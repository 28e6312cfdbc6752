import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { AutoTokenizer } from "@huggingface/transformers";
import { loadEncoder as loadEncoderPipeline, useLocalModelsOnly } from "../models/load.ts";
import type { TokenCounter } from "./chunk.ts";

/** Turns texts into unit-norm vectors. */
export interface Embedder {
  /** Identity recorded in the manifest: folder name plus a hash of the weights. */
  id: string;
  dim: number;
  embed(texts: string[]): Promise<Float32Array[]>;
  dispose(): Promise<void>;
}

export interface NamedTokenCounter extends TokenCounter {
  id: string;
}

/** A transformers.js `feature-extraction` pipeline over a local model folder: mean pooling, L2-normalised. */
export async function loadEncoder(dir: string, batchSize = 32): Promise<Embedder> {
  const path = resolve(dir);
  const extractor = await loadEncoderPipeline(path);
  const probe = await extractor(["dimension probe"], { pooling: "mean", normalize: true });
  const dim = probe.dims[1]!;
  return {
    id: `${basename(path)}@${weightsHash(path)}`,
    dim,
    async embed(texts) {
      const out: Float32Array[] = [];
      for (let i = 0; i < texts.length; i += batchSize) {
        const batch = texts.slice(i, i + batchSize);
        const t = await extractor(batch, { pooling: "mean", normalize: true });
        const data = t.data as Float32Array;
        for (let j = 0; j < batch.length; j++) out.push(data.slice(j * dim, (j + 1) * dim));
      }
      return out;
    },
    dispose: () => extractor.dispose(),
  };
}

/** The tokenizer of a local model folder, counting tokens without special tokens. */
export async function loadTokenCounter(dir: string): Promise<NamedTokenCounter> {
  const path = resolve(dir);
  useLocalModelsOnly();
  const tokenizer = await AutoTokenizer.from_pretrained(path);
  const hash = createHash("sha256")
    .update(readFileSync(join(path, "tokenizer.json")))
    .digest("hex")
    .slice(0, 12);
  return {
    id: `${basename(path)}@${hash}`,
    count: (text) => (text.length === 0 ? 0 : tokenizer.encode(text, { add_special_tokens: false }).length),
  };
}

function weightsHash(path: string): string {
  try {
    return createHash("sha256")
      .update(readFileSync(join(path, "onnx", "model.onnx")))
      .digest("hex")
      .slice(0, 12);
  } catch {
    return "unknown";
  }
}
