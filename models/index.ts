export {
  buildModel,
  ensureModel,
  moveIntoPlace,
  tempSibling,
  DEFAULT_LM,
  DEFAULT_POLICY,
  COMMITTED_MODELS,
  DEFAULT_ENCODER,
  DEFAULT_SEED,
  MODEL_NAMES,
} from "./build.ts";
export type { BuildOptions, BuildResult } from "./build.ts";
export { PRESETS, PRESET_NAMES, MODEL_KINDS, INIT_STD } from "./presets.ts";
export type { ModelKind, PresetName, ModelPreset } from "./presets.ts";
export { readInitializers, replaceInitializers } from "./weights.ts";
export type { Initializer } from "./weights.ts";
export { gpt2ParameterShapes, buildGpt2Onnx } from "./gpt2.ts";
export { bertParameterShapes, buildBertOnnx } from "./bert.ts";
export {
  projectTokenizer,
  trainBpe,
  tokenizerJson,
  tokenizerConfigJson,
  EOS_TOKEN,
  DEFAULT_MERGES,
} from "./tokenizer.ts";
export type { BpeTokenizer } from "./tokenizer.ts";
