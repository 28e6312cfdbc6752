// AdamW with global-norm gradient clipping, fused with value-and-grad into ONE jit'd program: the
// only form in jax-js 0.1.25 that neither leaks device buffers nor pays per-op dispatch for the update
// (measured in docs/learner.md). Step-dependent numbers (learning rate, bias corrections) enter as scalar arrays
// so that a new step never recompiles.
import { jit, numpy as np, tree, valueAndGrad, type OwnedFunction } from "@jax-js/jax";
import type { Params } from "./model.ts";

export type AdamWConfig = {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** Clip the global gradient norm to this; 0 turns clipping off. */
  clipNorm: number;
};

export const DEFAULT_ADAMW: AdamWConfig = {
  lr: 1e-3,
  beta1: 0.9,
  beta2: 0.95,
  eps: 1e-8,
  weightDecay: 0.01,
  clipNorm: 1.0,
};

export function zerosLikeParams(params: Params): Params {
  const out: Params = {};
  for (const [k, a] of Object.entries(params)) out[k] = np.zeros(a.shape);
  return out;
}

/** Per-step scalars, as arrays so the compiled step is reused. */
export type StepScalars = { lr: np.Array; bc1: np.Array; bc2: np.Array };

/** `step` is 1-based (the step being taken). `lrScale` lets a caller apply a schedule. */
export function stepScalars(cfg: AdamWConfig, step: number, lrScale = 1): StepScalars {
  return {
    lr: np.array(cfg.lr * lrScale),
    bc1: np.array(1 - cfg.beta1 ** step),
    bc2: np.array(1 - cfg.beta2 ** step),
  };
}

export type StepOut = { params: Params; m: Params; v: Params; loss: np.Array; gradNorm: np.Array };

export type TrainStep<B> = OwnedFunction<(params: Params, m: Params, v: Params, batch: B, s: StepScalars) => StepOut>;

/**
 * Builds the fused step for a loss `(params, batch) → scalar`. The step consumes params, m, v, batch
 * and scalars: always reassign from its outputs. Weight decay applies to matrices only (not to
 * LayerNorm gains or biases), as in GPT-2 practice.
 */
export function makeTrainStep<B extends object>(
  loss: (params: Params, batch: B) => np.Array,
  cfg: AdamWConfig,
): TrainStep<B> {
  const { beta1: b1, beta2: b2, eps, weightDecay: wd, clipNorm } = cfg;
  const step = (params: Params, m: Params, v: Params, batch: B, s: StepScalars): StepOut => {
    const [value, grads] = valueAndGrad((p: Params) => loss(p, batch))(tree.ref(params));
    const names = Object.keys(params);
    let sq: np.Array = np.array(0);
    for (const k of names) sq = sq.add(np.square(grads[k]!.ref).sum());
    const gradNorm = np.sqrt(sq);
    const scale = clipNorm > 0 ? np.minimum(1, np.divide(clipNorm, gradNorm.ref.add(1e-6))) : np.array(1);
    const out: StepOut = { params: {}, m: {}, v: {}, loss: value, gradNorm };
    for (const k of names) {
      const g = grads[k]!.mul(scale.ref);
      const mk = m[k]!.mul(b1).add(g.ref.mul(1 - b1));
      const vk = v[k]!.mul(b2).add(np.square(g).mul(1 - b2));
      const mhat = mk.ref.div(s.bc1.ref);
      const vhat = vk.ref.div(s.bc2.ref);
      let upd = mhat.div(np.sqrt(vhat).add(eps));
      const p = params[k]!;
      if (wd > 0 && p.ndim >= 2) upd = upd.add(p.ref.mul(wd));
      out.params[k] = p.sub(upd.mul(s.lr.ref));
      out.m[k] = mk;
      out.v[k] = vk;
    }
    scale.dispose();
    tree.dispose(s);
    return out;
  };
  // jit's mapped parameter types lose the batch's record type; the runtime signature is unchanged.
  return jit(step) as unknown as TrainStep<B>;
}
