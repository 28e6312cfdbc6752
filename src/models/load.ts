/**
 * Loading local transformers.js model folders (ours or any other export) fully
 * offline. Paths are made absolute so transformers.js reads them as folders, never
 * as hub ids.
 */
import { resolve } from "node:path";
import {
  AutoModelForCausalLM,
  AutoTokenizer,
  env,
  pipeline,
  type FeatureExtractionPipeline,
  type PreTrainedModel,
  type PreTrainedTokenizer,
} from "@huggingface/transformers";

export type ModelDevice = "cpu" | "cuda" | "webgpu";
export type LoadOptions = { device?: ModelDevice };

export type CausalLM = { dir: string; tokenizer: PreTrainedTokenizer; model: PreTrainedModel };

/** No hub access, ever: only local folders. */
export function useLocalModelsOnly(): void {
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
}

/**
 * Tokenizer + causal LM from `dir`. The tokenizer pads on the left, which batched
 * generation needs (the model reads position_ids, so left padding is exact).
 */
export async function loadCausalLM(dir: string, opts: LoadOptions = {}): Promise<CausalLM> {
  useLocalModelsOnly();
  const path = resolve(dir);
  const tokenizer = await AutoTokenizer.from_pretrained(path);
  tokenizer.padding_side = "left";
  const model = await AutoModelForCausalLM.from_pretrained(path, { device: opts.device ?? "cpu" });
  return { dir: path, tokenizer, model };
}

/** A feature-extraction pipeline over the encoder in `dir`; see `embed`. */
export async function loadEncoder(dir: string, opts: LoadOptions = {}): Promise<FeatureExtractionPipeline> {
  useLocalModelsOnly();
  return (await pipeline("feature-extraction", resolve(dir), {
    device: opts.device ?? "cpu",
  })) as FeatureExtractionPipeline;
}

/** Mean-pooled, L2-normalised embeddings, one row per text. */
export async function embed(encoder: FeatureExtractionPipeline, texts: string[]): Promise<number[][]> {
  const out = await encoder(texts, { pooling: "mean", normalize: true });
  return out.tolist() as number[][];
}
