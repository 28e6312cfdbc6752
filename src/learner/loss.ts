// Losses, written to be traced inside one jit'd training step (see adamw.ts). Every batch is
// right-padded: `ids` [B,T] int32 inputs, `targets` [B,T] int32 next tokens, `mask` [B,T] float32
// (1 where the target is trained on). Padding rows and positions carry mask 0 and so contribute nothing.
import { lax, nn, numpy as np } from "@jax-js/jax";
import { forward, type GptConfig, type Params } from "./model.ts";

/** log π(target) at every position, [B,T]. */
export function tokenLogprobs(cfg: GptConfig, params: Params, ids: np.Array, targets: np.Array): np.Array {
  const logits = forward(cfg, params, ids);
  return nn.logSoftmax(logits, -1).mul(nn.oneHot(targets, cfg.vocabSize)).sum(-1);
}

export type SftBatch = { ids: np.Array; targets: np.Array; mask: np.Array };

/** Mean cross-entropy over the masked target tokens (supervised warm start). */
export function crossEntropyLoss(cfg: GptConfig, params: Params, b: SftBatch): np.Array {
  const lp = tokenLogprobs(cfg, params, b.ids, b.targets);
  const n = np.maximum(b.mask.ref.sum(), 1);
  return lp.mul(b.mask).sum().neg().div(n);
}

/**
 * `coef` [B,1] is each row's advantage already divided by the Dr. GRPO constant (rows × max generation
 * length), so the loss is a plain sum and never depends on a sequence's own length. `oldLp` [B,T] are
 * the behaviour policy's log-probs; `useOld` (scalar 0/1) picks them, otherwise the current log-probs
 * with the gradient stopped stand in, which makes the ratio exactly 1 and the loss the plain policy
 * gradient -Σ A·log π. One compiled program serves both cases.
 */
export type PgBatch = SftBatch & { coef: np.Array; oldLp: np.Array; useOld: np.Array };

export function policyGradientLoss(cfg: GptConfig, params: Params, b: PgBatch, clipEps: number): np.Array {
  const lp = tokenLogprobs(cfg, params, b.ids, b.targets);
  const useOld = b.useOld;
  const old = b.oldLp.mul(useOld.ref).add(lax.stopGradient(lp.ref).mul(np.subtract(1, useOld)));
  const ratio = np.exp(lp.sub(old));
  const adv = b.coef;
  const unclipped = ratio.ref.mul(adv.ref);
  const clipped = np.clip(ratio, 1 - clipEps, 1 + clipEps).mul(adv);
  return np.minimum(unclipped, clipped).mul(b.mask).sum().neg();
}
