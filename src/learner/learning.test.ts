// The learner actually learns: a policy-gradient run on a toy reward raises the mean reward, and SFT on
// a tiny text lowers its loss. Both on tiny models, seeded.
import { beforeAll, expect, test } from "bun:test";
import { init, jit, numpy as np } from "@jax-js/jax";
import { DEFAULT_ADAMW } from "./adamw.ts";
import { EmbeddedLearner, warmupScale } from "./learner.ts";
import { createRng } from "../prng.ts";
import { forward, type GptConfig, initHostParams, type Params, toDevice } from "./model.ts";
import { parseSftJsonl, runSft, sftRows } from "./sft.ts";
import { TrainState } from "./train-state.ts";
import type { ScoredGroup } from "../spice/scored-group.ts";

beforeAll(async () => {
  await init();
});

test("policy gradient on 'emit token 7' raises the mean reward", async () => {
  const cfg: GptConfig = { vocabSize: 16, nPositions: 16, dModel: 16, nLayer: 1, nHead: 2 };
  const host = initHostParams(cfg, 5);
  const learner = EmbeddedLearner.fromHost(new Uint8Array(), cfg, host, {
    maxGenLength: 6,
    microBatch: 16,
    lengthBucket: 8,
    adamw: { lr: 3e-2 },
  });
  const G = 8,
    GROUPS = 2,
    NEW = 6,
    TARGET = 7,
    PROMPT = [1, 2];
  const rng = createRng(99);
  const rand = () => rng.next();
  const means: number[] = [];
  for (let it = 0; it < 20; it++) {
    // Sample with full forwards over a fixed [16, 8] window (right padding is invisible to causal attention).
    const params = toDevice(cfg, await learner.hostParams());
    const logitsOf = jit((ids: np.Array) => forward(cfg, params, ids));
    const rows = Array.from({ length: G * GROUPS }, () => [...PROMPT]);
    for (let t = 0; t < NEW; t++) {
      const window = rows.map((r) => [...r, ...Array(8 - r.length).fill(0)]);
      const logits = (await logitsOf(np.array(window, { dtype: np.int32 })).data()) as Float32Array;
      rows.forEach((r, b) => {
        const at = (b * 8 + r.length - 1) * cfg.vocabSize;
        const z = Array.from(logits.subarray(at, at + cfg.vocabSize));
        const mx = Math.max(...z);
        const w = z.map((x) => Math.exp(x - mx));
        let u = rand() * w.reduce((a, c) => a + c, 0);
        let k = 0;
        while (k < w.length - 1) {
          u -= w[k]!;
          if (u <= 0) break;
          k++;
        }
        r.push(k);
      });
    }
    logitsOf.dispose();
    for (const a of Object.values(params as Params)) a.dispose();
    const groups: ScoredGroup[] = [];
    let total = 0;
    for (let g = 0; g < GROUPS; g++) {
      const comps = rows.slice(g * G, (g + 1) * G).map((r) => r.slice(PROMPT.length));
      const rewards = comps.map((c) => c.filter((x) => x === TARGET).length / NEW);
      const mean = rewards.reduce((a, b) => a + b, 0) / G;
      total += mean;
      groups.push({
        run: "toy",
        iteration: it,
        role: "reasoner",
        group: g,
        prompt: "",
        completions: comps.map(String),
        rewards,
        advantages: rewards.map((r) => r - mean),
        token_ids: comps,
        logprobs: null,
        prompt_token_ids: PROMPT,
      });
    }
    means.push(total / GROUPS);
    const stats = await learner.update(groups);
    expect(stats.steps).toBe(stats.trajectories > 0 ? 1 : 0);
  }
  learner.dispose();
  const first = (means[0]! + means[1]! + means[2]!) / 3;
  const last = (means[17]! + means[18]! + means[19]!) / 3;
  expect(first).toBeLessThan(0.25);
  expect(last).toBeGreaterThan(first + 0.25);
});

test("SFT on a tiny text lowers its loss; prompt tokens carry no loss", async () => {
  const cfg: GptConfig = { vocabSize: 64, nPositions: 32, dModel: 32, nLayer: 1, nHead: 2 };
  const tokenize = (s: string) => [...s].map((c) => c.charCodeAt(0) % 63);
  const { examples, bad } = parseSftJsonl(
    '{"text":"the cat sat on the mat. the cat sat on the mat."}\n' +
      '{"prompt":"2+2=","completion":"4"}\nnot json\n{"prompt":"x"}\n\n{"text":"a dog ran in the fog."}\n',
  );
  expect(bad.map((b) => b.line)).toEqual([3, 4]);
  const { rows } = sftRows(examples, tokenize, 63, cfg.nPositions);
  const qa = rows.find((r) => r.tokens.length === 6)!;
  expect(qa.lossStart).toBe(4); // "2+2=" is prompt; "4" and EOS are trained
  expect(rows.length).toBe(4); // the 49-token text is cut into two context windows
  const state = new TrainState(cfg, { ...DEFAULT_ADAMW, lr: 1e-2 }, initHostParams(cfg, 1));
  const losses = await runSft(state, rows, { steps: 40, batchSize: 4, seed: 1, lengthBucket: 32 });
  state.dispose();
  const head = losses.slice(0, 3).reduce((a, b) => a + b) / 3;
  const tail = losses.slice(-3).reduce((a, b) => a + b) / 3;
  expect(head).toBeGreaterThan(3.5); // ≈ ln 64 at initialisation
  expect(tail).toBeLessThan(0.6 * head);
});

/** A one-layer model and a group of two 3-token rollouts with the given advantages (the update tests below). */
const SMALL: GptConfig = { vocabSize: 16, nPositions: 16, dModel: 16, nLayer: 1, nHead: 2 };
function twoRollouts(advantages: number[]): ScoredGroup {
  return {
    run: "toy",
    iteration: 0,
    role: "reasoner",
    group: 0,
    prompt: "",
    completions: ["a", "b"],
    rewards: [1, 0],
    advantages,
    token_ids: [
      [7, 7, 3],
      [2, 9, 4],
    ],
    logprobs: null,
    prompt_token_ids: [1, 2],
  };
}

test("lr warm-up: the first step moves the weights 1/N as far; warmupScale rises linearly to 1", async () => {
  expect([1, 5, 10, 11].map((s) => warmupScale(s, 10))).toEqual([0.1, 0.5, 1, 1]);
  expect(warmupScale(1, 0)).toBe(1);
  const host = initHostParams(SMALL, 5);
  const group = twoRollouts([0.5, -0.5]);
  // The largest change of any weight after one update (AdamW's first step is about the step size everywhere).
  const moved = async (warmupSteps: number) => {
    const learner = EmbeddedLearner.fromHost(new Uint8Array(), SMALL, host, {
      maxGenLength: 3,
      lengthBucket: 8,
      adamw: { lr: 1e-2, weightDecay: 0 },
      warmupSteps,
    });
    await learner.update([group]);
    const after = await learner.hostParams();
    learner.dispose();
    let most = 0;
    for (const [k, w] of after)
      w.data.forEach((x, i) => {
        most = Math.max(most, Math.abs(x - host.get(k)!.data[i]!));
      });
    return most;
  };
  const plain = await moved(0);
  const warm = await moved(10);
  expect(plain).toBeGreaterThan(5e-3);
  expect(warm / plain).toBeGreaterThan(0.08);
  expect(warm / plain).toBeLessThan(0.12);
});

test("positive advantages only: the negative-advantage rollouts are left out of the update", async () => {
  const host = initHostParams(SMALL, 5);
  const after = async (advantages: number[], positiveOnly: boolean) => {
    const learner = EmbeddedLearner.fromHost(new Uint8Array(), SMALL, host, {
      maxGenLength: 3,
      lengthBucket: 8,
      adamw: { lr: 1e-2, weightDecay: 0 },
      positiveOnly,
    });
    const stats = await learner.update([twoRollouts(advantages)]);
    const weights = await learner.hostParams();
    learner.dispose();
    return { stats, weights };
  };
  const both = await after([0.5, -0.5], false);
  const pos = await after([0.5, -0.5], true);
  const alone = await after([0.5, 0], false);
  expect(both.stats.trajectories).toBe(2);
  expect(pos.stats.trajectories).toBe(1);
  // Positive-only equals an update in which the negative rollout had advantage 0, weight for weight.
  for (const [k, w] of pos.weights) expect([...w.data]).toEqual([...alone.weights.get(k)!.data]);
  const differs = [...pos.weights].some(([k, w]) => w.data.some((x, i) => x !== both.weights.get(k)!.data[i]));
  expect(differs).toBe(true);
});
