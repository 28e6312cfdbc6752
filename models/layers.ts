/**
 * Graph fragments shared by the GPT-2 decoder and the BERT encoder. Weights are
 * stored as y = x·W + b (W is [in, out]), the layout the jax-js learner uses.
 */
import type { GraphBuilder } from "./onnx-graph.ts";

/** Finite, not -inf: a fully masked (left-padding) query row must stay finite. */
export const MASK_VALUE = -1e9;

export function linear(g: GraphBuilder, x: string, weight: string, bias: string): string {
  return g.op("Add", [g.op("MatMul", [x, weight]), bias]);
}

export function layerNorm(g: GraphBuilder, x: string, weight: string, bias: string, epsilon: number): string {
  return g.op("LayerNormalization", [x, weight, bias], { axis: -1, epsilon: { float: epsilon } });
}

/** Dimension `axis` of `x` as an int64 scalar. */
export function dimOf(g: GraphBuilder, x: string, axis: number): string {
  return g.op("Gather", [g.op("Shape", [x]), g.constInt(`axis${axis}`, [axis], [])]);
}

/** (1 - mask) · MASK_VALUE as [B, 1, 1, T]: hides padded keys. */
export function paddingBias(g: GraphBuilder, attentionMask: string): string {
  const maskF = g.op("Cast", [attentionMask], { to: 1 });
  const bias = g.op("Mul", [g.op("Sub", [g.constFloat("one", [1]), maskF]), g.constFloat("mask_value", [MASK_VALUE])]);
  return g.op("Unsqueeze", [bias, g.constInt("axes_1_2", [1, 2])]);
}

export type AttentionWeights = { qkvWeight: string; qkvBias: string; projWeight: string; projBias: string };

export type AttentionOptions = {
  nHead: number;
  headDim: number;
  /** Added to the scores: [B or 1, 1, S, T]. */
  bias: string;
  /** Decoder only: cache inputs and the names of the present outputs. */
  cache?: { pastKey: string; pastValue: string; presentKey: string; presentValue: string };
};

/**
 * Multi-head self-attention over x [B, S, d]. The fused projection's output columns
 * are q | k | v, heads contiguous inside each; scale 1/sqrt(head_dim).
 */
export function selfAttention(g: GraphBuilder, x: string, w: AttentionWeights, o: AttentionOptions): string {
  const d = o.nHead * o.headDim;
  const qkv = linear(g, x, w.qkvWeight, w.qkvBias);
  const [q, k, v] = g.node("Split", [qkv], { axis: 2, num_outputs: 3 }, 3) as [string, string, string];
  const toHeads = (t: string) =>
    g.op(
      "Transpose",
      [g.op("Reshape", [t, g.constInt(`shape_heads_${o.nHead}x${o.headDim}`, [0, 0, o.nHead, o.headDim])])],
      {
        perm: [0, 2, 1, 3],
      },
    );
  let keys = toHeads(k);
  let values = toHeads(v);
  if (o.cache) {
    keys = g.op("Concat", [o.cache.pastKey, keys], { axis: 2 }, o.cache.presentKey);
    values = g.op("Concat", [o.cache.pastValue, values], { axis: 2 }, o.cache.presentValue);
  }
  const scores = g.op("Mul", [
    g.op("MatMul", [toHeads(q), g.op("Transpose", [keys], { perm: [0, 1, 3, 2] })]),
    g.constFloat(`attn_scale_${o.headDim}`, [1 / Math.sqrt(o.headDim)]),
  ]);
  const probs = g.op("Softmax", [g.op("Add", [scores, o.bias])], { axis: -1 });
  const context = g.op("Transpose", [g.op("MatMul", [probs, values])], { perm: [0, 2, 1, 3] });
  const merged = g.op("Reshape", [context, g.constInt(`shape_merge_${d}`, [0, 0, d])]);
  return linear(g, merged, w.projWeight, w.projBias);
}
