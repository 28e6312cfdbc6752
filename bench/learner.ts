/**
 * Embedded learner throughput: one Dr. GRPO update (forward + backward + AdamW, one optimizer step)
 * on 16 trajectories × 128 tokens, through `EmbeddedLearner.update()` vs the same step written as
 * bare jax-js (device arrays prepared once, one jit, no packing or bookkeeping), interleaved step by
 * step, for the tiny and small presets. Also: live device buffers and RSS over a longer run (memory flatness), peak RSS, and export +
 * hot swap time (snapshot → new ONNX session). The ratio is learner ms/step over bare ms/step.
 *
 * Run: bun bench/learner.ts [--steps 20] [--flat-steps 200]
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { blockUntilReady, init, jit, nn, numpy as np, tree, valueAndGrad } from "@jax-js/jax";
import { buildModel, type PresetName } from "../models/index.ts";
import { readModelFolder } from "../src/learner/export.ts";
import { EmbeddedLearner } from "../src/learner/learner.ts";
import { countParams, forward, type GptConfig, type Params, toDevice } from "../src/learner/model.ts";
import { HotSwapModel } from "../src/learner/swap.ts";
import type { ScoredGroup } from "../src/spice/scored-group.ts";
import { loadCausalLM } from "../src/models/load.ts";
import { liveBufferCounter } from "../test/learner/live-buffers.ts";

const arg = (flag: string, dflt: number) => {
  const i = process.argv.indexOf(flag);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const STEPS = arg("--steps", 20);
const FLAT_STEPS = arg("--flat-steps", 200);
const ROWS = 16;
const T = 128;
const PROMPT = 32;
const LR = 1e-3;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const rssMb = () => process.memoryUsage().rss / 2 ** 20;
const peakRssMb = () => {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"));
  return m ? Number(m[1]) / 1024 : NaN;
};

const liveBuffers = await liveBufferCounter();
await init();
const work = mkdtempSync(join(tmpdir(), "spice-bench-learner-"));

/** 16 trajectories of 128 tokens (32 prompt + 96 completion) in two groups of 8, seeded. */
function groups(V: number, seed: number): ScoredGroup[] {
  let s = seed;
  const next = () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s % V;
  };
  return [0, 1].map((g) => {
    const rewards = Array.from({ length: 8 }, (_, i): number => ((i + g) % 3 === 0 ? 1 : 0));
    const mean = rewards.reduce((a, b) => a + b, 0) / 8;
    return {
      run: "bench",
      iteration: 0,
      role: "reasoner",
      group: g,
      prompt: "",
      completions: Array.from({ length: 8 }, () => ""),
      rewards,
      advantages: rewards.map((r) => r - mean),
      prompt_token_ids: Array.from({ length: PROMPT }, next),
      token_ids: Array.from({ length: 8 }, () => Array.from({ length: T + 1 - PROMPT }, next)),
      logprobs: null,
    } satisfies ScoredGroup;
  });
}

/** The same update as bare jax-js: inline loss and AdamW in one jit, inputs built once. */
function bareStepper(
  cfg: GptConfig,
  host: Params,
  gs: ScoredGroup[],
): { run: () => Promise<number>; dispose: () => void } {
  const ids: number[][] = [],
    targets: number[][] = [],
    mask: number[][] = [],
    coef: number[][] = [];
  for (const g of gs) {
    g.token_ids!.forEach((c, i) => {
      const seq = [...g.prompt_token_ids!, ...c];
      ids.push(seq.slice(0, T));
      targets.push(seq.slice(1, T + 1));
      mask.push(Array.from({ length: T }, (_, t) => (t + 1 >= PROMPT ? 1 : 0)));
      coef.push([g.advantages[i]! / (8 * (T + 1 - PROMPT) * gs.length)]);
    });
  }
  const x = np.array(ids, { dtype: np.int32 }),
    y = np.array(targets, { dtype: np.int32 });
  const mk = np.array(mask),
    cf = np.array(coef);
  const loss = (p: Params, xi: np.Array, yi: np.Array, m: np.Array, c: np.Array) =>
    nn
      .logSoftmax(forward(cfg, p, xi), -1)
      .mul(nn.oneHot(yi, cfg.vocabSize))
      .sum(-1)
      .mul(c)
      .mul(m)
      .sum()
      .neg();
  const step = jit(
    (
      p: Params,
      m1: Params,
      m2: Params,
      xi: np.Array,
      yi: np.Array,
      m: np.Array,
      c: np.Array,
      bc1: np.Array,
      bc2: np.Array,
    ) => {
      const [l, g] = valueAndGrad((q: Params) => loss(q, xi, yi, m, c))(tree.ref(p));
      const out = { p: {} as Params, m1: {} as Params, m2: {} as Params, l };
      for (const k of Object.keys(p)) {
        const a = m1[k]!.mul(0.9).add(g[k]!.ref.mul(0.1));
        const b = m2[k]!.mul(0.95).add(np.square(g[k]!).mul(0.05));
        const upd = a.ref.div(bc1.ref).div(np.sqrt(b.ref.div(bc2.ref)).add(1e-8));
        out.p[k] = p[k]!.sub(upd.mul(LR));
        out.m1[k] = a;
        out.m2[k] = b;
      }
      bc1.dispose();
      bc2.dispose();
      return out;
    },
  );
  let p = host;
  let m1: Params = {},
    m2: Params = {};
  for (const [k, a] of Object.entries(p)) {
    m1[k] = np.zeros(a.shape);
    m2[k] = np.zeros(a.shape);
  }
  let i = 0;
  return {
    run: async () => {
      i++;
      const t0 = performance.now();
      const o = step(p, m1, m2, x.ref, y.ref, mk.ref, cf.ref, np.array(1 - 0.9 ** i), np.array(1 - 0.95 ** i));
      p = o.p;
      m1 = o.m1;
      m2 = o.m2;
      await o.l.data();
      await blockUntilReady(p);
      return performance.now() - t0;
    },
    dispose: () => {
      tree.dispose([p, m1, m2, x, y, mk, cf]);
      step.dispose();
    },
  };
}

type Row = {
  preset: PresetName;
  params: number;
  bare: number;
  learner: number;
  flat: string;
  swap: number;
  exportMs: number;
};
const rows: Row[] = [];
for (const preset of ["tiny", "small"] as PresetName[]) {
  const dir = join(work, preset);
  buildModel({ kind: "causal-lm", preset, seed: 1, outDir: dir });
  const folder = readModelFolder(dir);
  const gs = groups(folder.cfg.vocabSize, 7);
  process.stderr.write(`bench: ${preset} bare vs learner …\n`);
  const bare = bareStepper(folder.cfg, toDevice(folder.cfg, folder.weights), gs);
  const learner = EmbeddedLearner.fromOnnx(folder.onnx, folder.cfg, {
    maxGenLength: T + 1 - PROMPT,
    microBatch: ROWS,
    lengthBucket: 32,
    adamw: { lr: LR, weightDecay: 0, clipNorm: 0 },
  });
  // Interleaved, so both see the same load when other processes share the cores.
  const bareTimes: number[] = [],
    times: number[] = [];
  for (let i = 0; i < STEPS + 3; i++) {
    const b = await bare.run();
    const s = await learner.update(gs);
    if (i >= 3) {
      bareTimes.push(b);
      times.push(s.ms);
    }
  }
  bare.dispose();
  // Memory flatness: live buffers and RSS after warm-up vs after the longer run (tiny only: time).
  let flat = "–";
  if (preset === "tiny" && FLAT_STEPS > 0) {
    Bun.gc(true);
    const [b0, r0] = [liveBuffers(), rssMb()];
    for (let i = 0; i < FLAT_STEPS; i++) await learner.update(gs);
    Bun.gc(true);
    flat = `${FLAT_STEPS} steps: live bufs ${b0} → ${liveBuffers()}, RSS ${r0.toFixed(0)} → ${rssMb().toFixed(0)} MB`;
  }

  process.stderr.write(`bench: ${preset} export + swap …\n`);
  const lm = await loadCausalLM(dir);
  const hot = new HotSwapModel(lm.model);
  const swaps: number[] = [],
    exports: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    const bytes = await learner.snapshot();
    const t1 = performance.now();
    await hot.swap(bytes);
    exports.push(t1 - t0);
    swaps.push(performance.now() - t0);
  }
  await hot.dispose();
  learner.dispose();
  rows.push({
    preset,
    params: countParams(folder.cfg),
    bare: median(bareTimes),
    learner: median(times),
    flat,
    swap: median(swaps),
    exportMs: median(exports),
  });
}

const tok = ROWS * T;
console.log(
  `### Embedded learner: one Dr. GRPO update, ${ROWS} × ${T} tokens (median of ${STEPS} steps after 3 warm-up)\n`,
);
console.log(
  "| preset | params | bare jax-js ms/step | bare tokens/s | learner ms/step | learner tokens/s | ratio learner/bare | export ms | export + swap ms |",
);
console.log("|---|---|---|---|---|---|---|---|---|");
for (const r of rows) {
  console.log(
    `| ${r.preset} | ${r.params.toLocaleString("en-US")} | ${r.bare.toFixed(0)} | ${Math.round((tok / r.bare) * 1000).toLocaleString("en-US")} | ${r.learner.toFixed(0)} | ${Math.round((tok / r.learner) * 1000).toLocaleString("en-US")} | ${(r.learner / r.bare).toFixed(2)}× | ${r.exportMs.toFixed(0)} | ${r.swap.toFixed(0)} |`,
  );
}
console.log(`\nMemory (tiny): ${rows[0]!.flat}. Peak RSS of the whole run: ${peakRssMb().toFixed(0)} MB.`);
rmSync(work, { recursive: true, force: true });
process.exit(0);
