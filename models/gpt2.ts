/**
 * The GPT-2 causal LM as an ONNX graph with a KV cache, laid out the way
 * transformers.js 4.3.1 drives a decoder (see docs/models.md for the contract).
 *
 * Inputs:  input_ids, attention_mask, position_ids (int64), past_key_values.{i}.key/.value
 * Outputs: logits [batch_size, sequence_length, vocab], present.{i}.key/.value
 */
import { GraphBuilder } from "./onnx-graph.ts";
import { layerNorm, linear, paddingBias, selfAttention, dimOf, MASK_VALUE } from "./layers.ts";
import { INIT_STD, type ModelPreset } from "./presets.ts";
import { createRng, type Rng } from "../src/prng.ts";

export const GPT2_LN_EPS = 1e-5;

export type Gpt2Shape = ModelPreset & { vocabSize: number };

/** Every learnable initializer, in build order: the names the learner reads and rewrites. */
export function gpt2ParameterShapes(s: Gpt2Shape): [string, number[]][] {
  const { d, vocabSize: V, context: P } = s;
  const out: [string, number[]][] = [
    ["wte.weight", [V, d]],
    ["wpe.weight", [P, d]],
  ];
  for (let i = 0; i < s.layers; i++) {
    const h = `h.${i}`;
    out.push(
      [`${h}.ln_1.weight`, [d]],
      [`${h}.ln_1.bias`, [d]],
      [`${h}.attn.c_attn.weight`, [d, 3 * d]],
      [`${h}.attn.c_attn.bias`, [3 * d]],
      [`${h}.attn.c_proj.weight`, [d, d]],
      [`${h}.attn.c_proj.bias`, [d]],
      [`${h}.ln_2.weight`, [d]],
      [`${h}.ln_2.bias`, [d]],
      [`${h}.mlp.c_fc.weight`, [d, 4 * d]],
      [`${h}.mlp.c_fc.bias`, [4 * d]],
      [`${h}.mlp.c_proj.weight`, [4 * d, d]],
      [`${h}.mlp.c_proj.bias`, [d]],
    );
  }
  out.push(["ln_f.weight", [d]], ["ln_f.bias", [d]]);
  return out;
}

/**
 * GPT-2 initialisation: matrices N(0, 0.02), the two residual projections
 * (attn.c_proj, mlp.c_proj) scaled by 1/sqrt(2·layers) as in GPT-2;
 * LayerNorm weight 1, biases 0.
 */
export function initGpt2Weight(name: string, size: number, layers: number, rng: Rng): Float32Array {
  const data = new Float32Array(size);
  if (name.endsWith(".bias")) return data;
  if (/ln_\w+\.weight$/.test(name)) return data.fill(1);
  const std = name.endsWith("c_proj.weight") ? INIT_STD / Math.sqrt(2 * layers) : INIT_STD;
  for (let j = 0; j < size; j++) data[j] = rng.normal() * std;
  return data;
}

export function buildGpt2Onnx(s: Gpt2Shape, seed: number): Uint8Array {
  const g = new GraphBuilder("spice-gpt2");
  const rng = createRng(seed);
  for (const [name, dims] of gpt2ParameterShapes(s)) {
    g.weight(
      name,
      dims,
      initGpt2Weight(
        name,
        dims.reduce((a, b) => a * b, 1),
        s.layers,
        rng,
      ),
    );
  }
  const headDim = s.d / s.heads;
  if (!Number.isInteger(headDim)) throw new Error(`d ${s.d} is not divisible by ${s.heads} heads`);

  const inputIds = g.input("input_ids", "int64", ["batch_size", "sequence_length"]);
  const mask = g.input("attention_mask", "int64", ["batch_size", "total_sequence_length"]);
  const positionIds = g.input("position_ids", "int64", ["batch_size", "sequence_length"]);
  const cacheDims = ["batch_size", s.heads, "past_sequence_length", headDim];
  const presentDims = ["batch_size", s.heads, "total_sequence_length", headDim];
  for (let i = 0; i < s.layers; i++) {
    g.input(`past_key_values.${i}.key`, "float", cacheDims);
    g.input(`past_key_values.${i}.value`, "float", cacheDims);
  }

  // Scores bias [B, 1, S, T]: query j (absolute position T-S+j) sees keys 0..T-S+j, minus padded keys.
  const total = dimOf(g, mask, 1);
  const seq = dimOf(g, inputIds, 1);
  const zero = g.constInt("zero", [0], []);
  const one = g.constInt("one", [1], []);
  const keyPos = g.op("Unsqueeze", [g.op("Range", [zero, total, one]), g.constInt("axes_0", [0])]);
  const queryPos = g.op("Unsqueeze", [
    g.op("Range", [g.op("Sub", [total, seq]), total, one]),
    g.constInt("axes_1", [1]),
  ]);
  const causal = g.op("Where", [
    g.op("LessOrEqual", [keyPos, queryPos]),
    g.constFloat("zero", [0]),
    g.constFloat("mask_value", [MASK_VALUE]),
  ]);
  const bias = g.op("Add", [paddingBias(g, mask), causal]);

  let x = g.op("Add", [g.op("Gather", ["wte.weight", inputIds]), g.op("Gather", ["wpe.weight", positionIds])]);
  for (let i = 0; i < s.layers; i++) {
    const h = `h.${i}`;
    const attn = selfAttention(
      g,
      layerNorm(g, x, `${h}.ln_1.weight`, `${h}.ln_1.bias`, GPT2_LN_EPS),
      {
        qkvWeight: `${h}.attn.c_attn.weight`,
        qkvBias: `${h}.attn.c_attn.bias`,
        projWeight: `${h}.attn.c_proj.weight`,
        projBias: `${h}.attn.c_proj.bias`,
      },
      {
        nHead: s.heads,
        headDim,
        bias,
        cache: {
          pastKey: `past_key_values.${i}.key`,
          pastValue: `past_key_values.${i}.value`,
          presentKey: `present.${i}.key`,
          presentValue: `present.${i}.value`,
        },
      },
    );
    x = g.op("Add", [x, attn]);
    const ff = g.op(
      "Gelu",
      [
        linear(
          g,
          layerNorm(g, x, `${h}.ln_2.weight`, `${h}.ln_2.bias`, GPT2_LN_EPS),
          `${h}.mlp.c_fc.weight`,
          `${h}.mlp.c_fc.bias`,
        ),
      ],
      {
        approximate: "tanh",
      },
    );
    x = g.op("Add", [x, linear(g, ff, `${h}.mlp.c_proj.weight`, `${h}.mlp.c_proj.bias`)]);
  }
  const final = layerNorm(g, x, "ln_f.weight", "ln_f.bias", GPT2_LN_EPS);
  // Tied head: logits = h · wteᵀ, reading the one embedding initializer.
  g.op("MatMul", [final, g.op("Transpose", ["wte.weight"], { perm: [1, 0] })], {}, "logits");

  g.output("logits", "float", ["batch_size", "sequence_length", s.vocabSize]);
  for (let i = 0; i < s.layers; i++) {
    g.output(`present.${i}.key`, "float", presentDims);
    g.output(`present.${i}.value`, "float", presentDims);
  }
  return g.toBytes();
}
