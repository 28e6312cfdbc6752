/**
 * Model presets (docs/method.md §4). Sizes are a starting point; the vocabulary is the same
 * for every preset: 256 bytes + DEFAULT_MERGES merges + `<|endoftext|>`.
 */
export type ModelKind = "causal-lm" | "encoder";
export type PresetName = "tiny" | "small";

export type ModelPreset = {
  /** Width (n_embd / hidden_size). */
  d: number;
  layers: number;
  heads: number;
  /** Rows of the position table: the longest sequence the model can read. */
  context: number;
};

export const PRESET_NAMES: readonly PresetName[] = ["tiny", "small"];
export const MODEL_KINDS: readonly ModelKind[] = ["causal-lm", "encoder"];

export const PRESETS: Record<ModelKind, Record<PresetName, ModelPreset>> = {
  "causal-lm": {
    tiny: { d: 64, layers: 2, heads: 2, context: 1024 },
    small: { d: 128, layers: 4, heads: 4, context: 2048 },
  },
  encoder: {
    tiny: { d: 64, layers: 2, heads: 2, context: 512 },
    small: { d: 128, layers: 4, heads: 4, context: 512 },
  },
};

/** GPT-2 / BERT initialisation scale. */
export const INIT_STD = 0.02;
