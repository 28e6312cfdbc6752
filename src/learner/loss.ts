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
 * with the gradient stopped stand in, which makes every ratio exactly 1 and the gradient that of the
 * plain policy gradient -Σ A·log π (whose value is then reported). One compiled program serves both.
 */
export type PgBatch = SftBatch & { coef: np.Array; oldLp: np.Array; useOld: np.Array };

export function policyGradientLoss(cfg: GptConfig, params: Params, b: PgBatch, clipEps: number): np.Array {
  const lp = tokenLogprobs(cfg, params, b.ids, b.targets);
  const { useOld, coef: adv, mask } = b;
  const notOld = np.subtract(1, useOld.ref);
  const old = b.oldLp.mul(useOld).add(lax.stopGradient(lp.ref).mul(notOld.ref));
  const ratio = np.exp(lp.ref.sub(old));
  const unclipped = ratio.ref.mul(adv.ref);
  const clipped = np.clip(ratio, 1 - clipEps, 1 + clipEps).mul(adv.ref);
  const surrogate = np.minimum(unclipped, clipped).mul(mask.ref).sum().neg();
  const plain = lp.mul(adv).mul(mask).sum().neg();
  // Zero-gradient correction: the value becomes the plain loss when no behaviour policy is given.
  return surrogate.ref.add(lax.stopGradient(plain.sub(surrogate)).mul(notOld));
}
