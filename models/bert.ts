/**
 * A BERT-style encoder as an ONNX graph: word + position + token-type embeddings,
 * post-LayerNorm blocks (eps 1e-12), bidirectional attention with padding masked,
 * GELU (erf) MLP of 4× width. Output: last_hidden_state [batch_size, sequence_length, d].
 * Names follow Hugging Face's BertModel except the fused q|k|v projection.
 */
import { GraphBuilder } from "./onnx-graph.ts";
import { dimOf, layerNorm, linear, paddingBias, selfAttention } from "./layers.ts";
import { INIT_STD, type ModelPreset } from "./presets.ts";
import { createRng } from "../src/prng.ts";

export const BERT_LN_EPS = 1e-12;
export const TYPE_VOCAB_SIZE = 2;

export type BertShape = ModelPreset & { vocabSize: number };

export function bertParameterShapes(s: BertShape): [string, number[]][] {
  const { d } = s;
  const out: [string, number[]][] = [
    ["embeddings.word_embeddings.weight", [s.vocabSize, d]],
    ["embeddings.position_embeddings.weight", [s.context, d]],
    ["embeddings.token_type_embeddings.weight", [TYPE_VOCAB_SIZE, d]],
    ["embeddings.LayerNorm.weight", [d]],
    ["embeddings.LayerNorm.bias", [d]],
  ];
  for (let i = 0; i < s.layers; i++) {
    const l = `encoder.layer.${i}`;
    out.push(
      [`${l}.attention.self.qkv.weight`, [d, 3 * d]],
      [`${l}.attention.self.qkv.bias`, [3 * d]],
      [`${l}.attention.output.dense.weight`, [d, d]],
      [`${l}.attention.output.dense.bias`, [d]],
      [`${l}.attention.output.LayerNorm.weight`, [d]],
      [`${l}.attention.output.LayerNorm.bias`, [d]],
      [`${l}.intermediate.dense.weight`, [d, 4 * d]],
      [`${l}.intermediate.dense.bias`, [4 * d]],
      [`${l}.output.dense.weight`, [4 * d, d]],
      [`${l}.output.dense.bias`, [d]],
      [`${l}.output.LayerNorm.weight`, [d]],
      [`${l}.output.LayerNorm.bias`, [d]],
    );
  }
  return out;
}

export function buildBertOnnx(s: BertShape, seed: number): Uint8Array {
  const g = new GraphBuilder("spice-bert");
  const rng = createRng(seed);
  for (const [name, dims] of bertParameterShapes(s)) {
    const data = new Float32Array(dims.reduce((a, b) => a * b, 1));
    if (name.endsWith("LayerNorm.weight")) data.fill(1);
    else if (!name.endsWith(".bias")) for (let j = 0; j < data.length; j++) data[j] = rng.normal() * INIT_STD;
    g.weight(name, dims, data);
  }
  const headDim = s.d / s.heads;
  if (!Number.isInteger(headDim)) throw new Error(`d ${s.d} is not divisible by ${s.heads} heads`);

  const inputIds = g.input("input_ids", "int64", ["batch_size", "sequence_length"]);
  const mask = g.input("attention_mask", "int64", ["batch_size", "sequence_length"]);
  const tokenTypes = g.input("token_type_ids", "int64", ["batch_size", "sequence_length"]);

  const positions = g.op("Unsqueeze", [
    g.op("Range", [g.constInt("zero", [0], []), dimOf(g, inputIds, 1), g.constInt("one", [1], [])]),
    g.constInt("axes_0", [0]),
  ]);
  const embedded = g.op("Add", [
    g.op("Add", [
      g.op("Gather", ["embeddings.word_embeddings.weight", inputIds]),
      g.op("Gather", ["embeddings.position_embeddings.weight", positions]),
    ]),
    g.op("Gather", ["embeddings.token_type_embeddings.weight", tokenTypes]),
  ]);
  let x = layerNorm(g, embedded, "embeddings.LayerNorm.weight", "embeddings.LayerNorm.bias", BERT_LN_EPS);
  const bias = paddingBias(g, mask);
  for (let i = 0; i < s.layers; i++) {
    const l = `encoder.layer.${i}`;
    const attn = selfAttention(
      g,
      x,
      {
        qkvWeight: `${l}.attention.self.qkv.weight`,
        qkvBias: `${l}.attention.self.qkv.bias`,
        projWeight: `${l}.attention.output.dense.weight`,
        projBias: `${l}.attention.output.dense.bias`,
      },
      { nHead: s.heads, headDim, bias },
    );
    x = layerNorm(
      g,
      g.op("Add", [x, attn]),
      `${l}.attention.output.LayerNorm.weight`,
      `${l}.attention.output.LayerNorm.bias`,
      BERT_LN_EPS,
    );
    const ff = g.op("Gelu", [linear(g, x, `${l}.intermediate.dense.weight`, `${l}.intermediate.dense.bias`)]);
    const out = linear(g, ff, `${l}.output.dense.weight`, `${l}.output.dense.bias`);
    const isLast = i === s.layers - 1;
    x = g.op(
      "LayerNormalization",
      [g.op("Add", [x, out]), `${l}.output.LayerNorm.weight`, `${l}.output.LayerNorm.bias`],
      { axis: -1, epsilon: { float: BERT_LN_EPS } },
      isLast ? "last_hidden_state" : undefined,
    );
  }
  g.output("last_hidden_state", "float", ["batch_size", "sequence_length", s.d]);
  return g.toBytes();
}
