// The project's GPT-2 causal LM (docs/method.md §4) re-expressed in @jax-js/jax, so that it can be trained
// in-process. Parameters are a flat record keyed by the ONNX initializer names (docs/models.md), which
// makes loading from and exporting to the ONNX file a rename-free copy.
import { nn, numpy as np } from "@jax-js/jax";
import { gpt2ParameterShapes } from "../../models/gpt2.ts";
import { createRng } from "../prng.ts";

export type GptConfig = {
  vocabSize: number;
  nPositions: number;
  dModel: number;
  nLayer: number;
  nHead: number;
};

export type Params = Record<string, np.Array>;

/** Host-side weights: what ONNX files and checkpoints hold. */
export type HostTensor = { shape: number[]; data: Float32Array<ArrayBuffer> };
export type HostParams = Map<string, HostTensor>;

const LN_EPS = 1e-5;

/** Every initializer name and shape of the model, in a stable order: the builder's own list (one source of the contract). */
export function paramShapes(cfg: GptConfig): [string, number[]][] {
  return gpt2ParameterShapes({
    d: cfg.dModel,
    layers: cfg.nLayer,
    heads: cfg.nHead,
    context: cfg.nPositions,
    vocabSize: cfg.vocabSize,
  });
}

export function countParams(cfg: GptConfig): number {
  return paramShapes(cfg).reduce((n, [, s]) => n + s.reduce((a, b) => a * b, 1), 0);
}

/** Deterministic small-normal initialisation (GPT-2 style, std 0.02; LayerNorm 1/0) for tests and benches. */
export function initHostParams(cfg: GptConfig, seed: number): HostParams {
  const rng = createRng(seed);
  const rand = () => rng.normal();
  const out: HostParams = new Map();
  for (const [name, shape] of paramShapes(cfg)) {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    if (/ln_\w+\.weight$/.test(name)) data.fill(1);
    else if (!name.endsWith(".bias")) for (let i = 0; i < data.length; i++) data[i] = 0.02 * rand();
    out.set(name, { shape, data });
  }
  return out;
}

/** Checks that host weights hold exactly the tensors the config implies (a wrong file fails loudly here). */
export function checkHostParams(cfg: GptConfig, host: HostParams): void {
  for (const [name, shape] of paramShapes(cfg)) {
    const t = host.get(name);
    if (!t) throw new Error(`missing weight ${name}`);
    if (t.shape.join(",") !== shape.join(",")) {
      throw new Error(`weight ${name} has shape [${t.shape}], expected [${shape}]`);
    }
  }
}

export function toDevice(cfg: GptConfig, host: HostParams): Params {
  checkHostParams(cfg, host);
  const params: Params = {};
  for (const [name, shape] of paramShapes(cfg)) {
    params[name] = np.array(host.get(name)!.data).reshape(shape);
  }
  return params;
}

/** Copies device weights to the host without consuming them. */
export async function toHost(params: Params): Promise<HostParams> {
  const out: HostParams = new Map();
  for (const [name, arr] of Object.entries(params)) {
    const shape = arr.shape;
    const data = (await arr.ref.data()) as Float32Array;
    out.set(name, { shape, data: new Float32Array(data) });
  }
  return out;
}

function layerNorm(x: np.Array, w: np.Array, b: np.Array): np.Array {
  const mean = x.ref.mean(-1, { keepdims: true });
  const xc = x.sub(mean);
  const variance = np.square(xc.ref).mean(-1, { keepdims: true });
  return xc
    .div(np.sqrt(variance.add(LN_EPS)))
    .mul(w)
    .add(b);
}

function linear(x: np.Array, w: np.Array, b: np.Array): np.Array {
  return np.matmul(x, w).add(b);
}

/**
 * Logits [B,T,V] for token ids [B,T] (int32). Rows are right-padded, so the causal mask alone keeps
 * padding out of every real position: no attention mask is needed. Borrows `params` (uses `.ref`).
 */
export function forward(cfg: GptConfig, params: Params, ids: np.Array): np.Array {
  const [B, T] = ids.shape as [number, number];
  const { dModel: d, nHead: H } = cfg;
  const hd = d / H;
  const p = (name: string) => params[name]!.ref;
  let x = np.take(p("wte.weight"), ids, 0).add(p("wpe.weight").slice([0, T]));
  for (let i = 0; i < cfg.nLayer; i++) {
    const h = `h.${i}`;
    const a = layerNorm(x.ref, p(`${h}.ln_1.weight`), p(`${h}.ln_1.bias`));
    const qkv = linear(a, p(`${h}.attn.c_attn.weight`), p(`${h}.attn.c_attn.bias`));
    const q = qkv.ref.slice([], [], [0, d]).reshape([B, T, H, hd]);
    const k = qkv.ref.slice([], [], [d, 2 * d]).reshape([B, T, H, hd]);
    const v = qkv.slice([], [], [2 * d, 3 * d]).reshape([B, T, H, hd]);
    const att = nn.dotProductAttention(q, k, v, { isCausal: true }).reshape([B, T, d]);
    x = x.add(linear(att, p(`${h}.attn.c_proj.weight`), p(`${h}.attn.c_proj.bias`)));
    const m = layerNorm(x.ref, p(`${h}.ln_2.weight`), p(`${h}.ln_2.bias`));
    const f = nn.gelu(linear(m, p(`${h}.mlp.c_fc.weight`), p(`${h}.mlp.c_fc.bias`)));
    x = x.add(linear(f, p(`${h}.mlp.c_proj.weight`), p(`${h}.mlp.c_proj.bias`)));
  }
  const hf = layerNorm(x, p("ln_f.weight"), p("ln_f.bias"));
  return np.matmul(hf, p("wte.weight").transpose());
}
