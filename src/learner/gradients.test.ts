// Analytic gradients of both losses against central finite differences on a tiny model.
import { beforeAll, expect, test } from "bun:test";
import { init, jit, numpy as np, valueAndGrad } from "@jax-js/jax";
import { crossEntropyLoss, policyGradientLoss, tokenLogprobs } from "./loss.ts";
import { createRng } from "../prng.ts";
import { type GptConfig, type HostParams, initHostParams, type Params, toDevice } from "./model.ts";

const cfg: GptConfig = { vocabSize: 11, nPositions: 8, dModel: 8, nLayer: 1, nHead: 2 };
const B = 2;
const T = 6;
const ids = [
  [1, 4, 2, 9, 3, 0],
  [7, 7, 5, 1, 0, 0],
];
const targets = [
  [4, 2, 9, 3, 10, 0],
  [7, 5, 1, 6, 0, 0],
];
const mask = [
  [0, 1, 1, 1, 1, 0],
  [1, 1, 1, 1, 0, 0],
];

/** Larger-than-init weights (LayerNorm gains and biases perturbed too) so every gradient is exercised. */
function hostWeights(): HostParams {
  const host = initHostParams(cfg, 7);
  const rng = createRng(11);
  const rand = () => rng.normal();
  for (const [name, t] of host) {
    for (let i = 0; i < t.data.length; i++) {
      t.data[i] = name.includes("ln_") && name.endsWith("weight") ? 1 + 0.3 * rand() : 0.4 * rand();
    }
  }
  return host;
}

type LossFn = (p: Params) => np.Array;

async function checkAgainstFiniteDifferences(loss: LossFn, host: HostParams): Promise<void> {
  const vg = jit((p: Params) => valueAndGrad(loss)(p));
  const value = jit((p: Params) => loss(p));
  const [, grads] = vg(toDevice(cfg, host));
  const names = [
    "wte.weight",
    "wpe.weight",
    "h.0.ln_1.weight",
    "h.0.attn.c_attn.weight",
    "h.0.attn.c_attn.bias",
    "h.0.attn.c_proj.weight",
    "h.0.ln_2.bias",
    "h.0.mlp.c_fc.weight",
    "h.0.mlp.c_proj.bias",
    "ln_f.weight",
    "ln_f.bias",
  ];
  const eps = 1e-2;
  let checked = 0;
  for (const name of names) {
    const g = (await grads[name]!.ref.data()) as Float32Array;
    let top = 0;
    for (let i = 1; i < g.length; i++) if (Math.abs(g[i]!) > Math.abs(g[top]!)) top = i;
    for (const i of [top, (top * 7 + 3) % g.length]) {
      const t = host.get(name)!.data;
      const keep = t[i]!;
      t[i] = keep + eps;
      const up = (await value(toDevice(cfg, host)).data())[0]!;
      t[i] = keep - eps;
      const down = (await value(toDevice(cfg, host)).data())[0]!;
      t[i] = keep;
      const fd = (up - down) / (2 * eps);
      expect(Math.abs(fd - g[i]!)).toBeLessThanOrEqual(2e-3 + 3e-2 * Math.abs(g[i]!));
      checked++;
    }
    expect(Math.abs(g[top]!)).toBeGreaterThan(1e-3);
  }
  for (const a of Object.values(grads)) a.dispose();
  vg.dispose();
  value.dispose();
  expect(checked).toBe(2 * names.length);
}

const arr = (v: number[][], int = false) => np.array(v, int ? { dtype: np.int32 } : {});

beforeAll(async () => {
  await init();
});

test("cross-entropy gradient matches finite differences", async () => {
  await checkAgainstFiniteDifferences(
    (p) => crossEntropyLoss(cfg, p, { ids: arr(ids, true), targets: arr(targets, true), mask: arr(mask) }),
    hostWeights(),
  );
});

test("Dr. GRPO gradient matches finite differences, with and without a behaviour policy", async () => {
  const host = hostWeights();
  const coef = [[0.7], [-0.4]];
  await checkAgainstFiniteDifferences(
    (p) =>
      policyGradientLoss(
        cfg,
        p,
        {
          ids: arr(ids, true),
          targets: arr(targets, true),
          mask: arr(mask),
          coef: arr(coef),
          oldLp: np.zeros([B, T]),
          useOld: np.array(0),
        },
        0.2,
      ),
    host,
  );
  // Behaviour log-probs close to the current ones keep every ratio inside the clip range.
  const lpFn = jit((p: Params) => tokenLogprobs(cfg, p, arr(ids, true), arr(targets, true)));
  const lp = (await lpFn(toDevice(cfg, host)).data()) as Float32Array;
  lpFn.dispose();
  const old = [...lp].map((x, i) => x + 0.05 * Math.sin(i));
  await checkAgainstFiniteDifferences(
    (p) =>
      policyGradientLoss(
        cfg,
        p,
        {
          ids: arr(ids, true),
          targets: arr(targets, true),
          mask: arr(mask),
          coef: arr(coef),
          oldLp: np.array(old).reshape([B, T]),
          useOld: np.array(1),
        },
        0.2,
      ),
    host,
  );
});
