// The jax-js model against transformers.js on the ONNX folder the models builder writes: same logits
// before and after a training step is exported, and hot swap semantics on a directly loaded model.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Tensor } from "@huggingface/transformers";
import { init, jit, numpy as np } from "@jax-js/jax";
import { buildModel } from "../../models/index.ts";
import { loadCausalLM, type CausalLM } from "../models/load.ts";
import { EmbeddedLearner } from "./learner.ts";
import { readModelFolder, writeModelFolder } from "./export.ts";
import { forward, type GptConfig, type HostParams, toDevice } from "./model.ts";
import { HotSwapModel } from "./swap.ts";
import type { ScoredGroup } from "../spice/scored-group.ts";

let dir: string;
let lm: CausalLM;
const IDS = [
  [5, 80, 17, 300, 2, 44, 61, 9, 120, 7, 7, 31],
  [260, 1, 99, 14, 3, 250, 18, 77, 5, 6, 190, 42],
];

beforeAll(async () => {
  await init();
  dir = mkdtempSync(join(tmpdir(), "spice-learner-parity-"));
  buildModel({ kind: "causal-lm", preset: "tiny", seed: 3, outDir: join(dir, "base") });
  lm = await loadCausalLM(join(dir, "base"));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function ortLogits(model: CausalLM["model"]): Promise<Float32Array> {
  const [B, T] = [IDS.length, IDS[0]!.length];
  const input_ids = new Tensor("int64", BigInt64Array.from(IDS.flat().map(BigInt)), [B, T]);
  const attention_mask = new Tensor("int64", new BigInt64Array(B * T).fill(1n), [B, T]);
  const out = (await model({ input_ids, attention_mask })) as { logits: Tensor };
  return out.logits.data as Float32Array;
}

async function jaxLogits(cfg: GptConfig, host: HostParams): Promise<Float32Array> {
  const params = toDevice(cfg, host);
  const f = jit((ids: np.Array) => forward(cfg, params, ids));
  const logits = f(np.array(IDS, { dtype: np.int32 }));
  const data = (await logits.data()) as Float32Array;
  f.dispose();
  for (const a of Object.values(params)) a.dispose();
  return data;
}

const maxAbsDiff = (a: Float32Array, b: Float32Array) => {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};

/** One reasoner-style group whose advantages favour the first completion. */
function group(): ScoredGroup {
  return {
    run: "t",
    iteration: 0,
    role: "reasoner",
    group: 0,
    prompt: "p",
    completions: ["a", "b"],
    rewards: [1, 0],
    advantages: [0.5, -0.5],
    token_ids: [
      [40, 41, 42],
      [50, 51],
    ],
    logprobs: null,
    prompt_token_ids: [10, 11, 12],
  };
}

test("logits match transformers.js within 1e-4, before and after a trained export", async () => {
  const folder = readModelFolder(join(dir, "base"));
  const before = maxAbsDiff(await jaxLogits(folder.cfg, folder.weights), await ortLogits(lm.model));
  expect(before).toBeLessThanOrEqual(1e-4);

  const learner = EmbeddedLearner.fromOnnx(folder.onnx, folder.cfg, { maxGenLength: 8, adamw: { lr: 1e-2 } });
  await learner.update([group()]);
  const trained = await learner.hostParams();
  const out = writeModelFolder(folder.dir, join(dir, "trained"), await learner.snapshot());
  learner.dispose();
  const reloaded = await loadCausalLM(out);
  const ort = await ortLogits(reloaded.model);
  expect(maxAbsDiff(await jaxLogits(folder.cfg, trained), ort)).toBeLessThanOrEqual(1e-4);
  // The update really changed the served model.
  expect(maxAbsDiff(ort, await ortLogits(lm.model))).toBeGreaterThan(1e-3);
});

test("hot swap: in-flight requests finish on the old weights, new ones use the new weights", async () => {
  const folder = readModelFolder(join(dir, "base"));
  const learner = EmbeddedLearner.fromOnnx(folder.onnx, folder.cfg, { maxGenLength: 8, adamw: { lr: 5e-2 } });
  for (let i = 0; i < 3; i++) await learner.update([group()]);
  const onnx = await learner.snapshot();
  learner.dispose();

  const fresh = await loadCausalLM(join(dir, "base"));
  const hot = new HotSwapModel(fresh.model);
  const oldRef = await ortLogits(lm.model);
  const newRef = await ortLogits((await loadCausalLM(writeModelFolder(folder.dir, join(dir, "swapped"), onnx))).model);

  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  // Leases the old model, then waits across the swap before running on it.
  const inFlight = hot.use(async (model, version) => {
    await gate;
    return { version, logits: await ortLogits(model) };
  });
  const t0 = performance.now();
  const v = await hot.swap(onnx);
  const swapMs = performance.now() - t0;
  const after = await hot.use(async (model, version) => ({ version, logits: await ortLogits(model) }));
  release();
  const before = await inFlight;

  expect(v).toBe(1);
  expect(before.version).toBe(0);
  expect(maxAbsDiff(before.logits, oldRef)).toBe(0);
  expect(after.version).toBe(1);
  expect(maxAbsDiff(after.logits, newRef)).toBe(0);
  expect(swapMs).toBeLessThan(1000);
  await hot.dispose();
});
