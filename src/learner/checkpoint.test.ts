// Checkpoints: a resumed run is bit-exact, writes are atomic, only the newest N are kept, and device
// memory stays flat over many learner updates.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_ADAMW } from "./adamw.ts";
import { latestCheckpoint, listCheckpoints, loadCheckpoint, saveCheckpoint } from "./checkpoint.ts";
import { EmbeddedLearner } from "./learner.ts";
import { type GptConfig, type HostParams, initHostParams } from "./model.ts";
import { runSft } from "./sft.ts";
import { TrainState } from "./train-state.ts";
import type { ScoredGroup } from "../spice/scored-group.ts";
import { liveBufferCounter } from "../../test/learner/live-buffers.ts";

const cfg: GptConfig = { vocabSize: 32, nPositions: 16, dModel: 16, nLayer: 2, nHead: 2 };
const rows = Array.from({ length: 6 }, (_, i) => ({
  tokens: Array.from({ length: 10 + i }, (_, t) => (t * (i + 3)) % 32),
  lossStart: 1,
}));
let dir: string;
let liveBuffers: () => number;

beforeAll(async () => {
  liveBuffers = await liveBufferCounter();
  dir = mkdtempSync(join(tmpdir(), "spice-learner-ckpt-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sameBits = (a: HostParams, b: HostParams) => {
  expect([...a.keys()]).toEqual([...b.keys()]);
  for (const [k, t] of a) expect(Buffer.from(b.get(k)!.data.buffer).equals(Buffer.from(t.data.buffer))).toBe(true);
};

test("resume from a checkpoint is bit-exact", async () => {
  const opt = { ...DEFAULT_ADAMW, lr: 5e-3 };
  const sft = { batchSize: 3, seed: 4, lengthBucket: 16 };
  const a = new TrainState(cfg, opt, initHostParams(cfg, 2));
  await runSft(a, rows, { ...sft, steps: 3 });
  const path = saveCheckpoint(join(dir, "run"), await a.toCheckpoint({ seed: 4 }), 2);
  await runSft(a, rows, { ...sft, steps: 4 });
  const straight = await a.toCheckpoint({});
  a.dispose();

  const ck = loadCheckpoint(path);
  expect(ck.step).toBe(3);
  expect(ck.meta.seed).toBe(4);
  const b = TrainState.fromCheckpoint(cfg, opt, ck);
  await runSft(b, rows, { ...sft, steps: 4 });
  const resumed = await b.toCheckpoint({});
  b.dispose();
  expect(resumed.step).toBe(7);
  sameBits(straight.params, resumed.params);
  sameBits(straight.m, resumed.m);
  sameBits(straight.v, resumed.v);
});

test("checkpoints are written atomically and only the newest N are kept", () => {
  const d = join(dir, "keep");
  const host = initHostParams(cfg, 1);
  for (const step of [1, 2, 3, 4, 5]) saveCheckpoint(d, { step, params: host, m: host, v: host, meta: {} }, 3);
  expect(listCheckpoints(d).map((p) => p.slice(-13))).toEqual(["000000003.bin", "000000004.bin", "000000005.bin"]);
  expect(readdirSync(d).some((n) => n.includes(".tmp"))).toBe(false);
  expect(latestCheckpoint(d)).toEndWith("ckpt-000000005.bin");
  const bad = join(d, "ckpt-000000009.bin");
  writeFileSync(bad, new Uint8Array(64));
  expect(() => loadCheckpoint(bad)).toThrow("not a SPICE learner checkpoint");
  expect(existsSync(join(dir, "nothing"))).toBe(false);
  expect(latestCheckpoint(join(dir, "nothing"))).toBeNull();
});

test("live device buffers stay flat over many updates", async () => {
  const learner = EmbeddedLearner.fromHost(new Uint8Array(), cfg, initHostParams(cfg, 3), {
    maxGenLength: 8,
    microBatch: 8,
    lengthBucket: 16,
    epochs: 2,
  });
  const group = (i: number): ScoredGroup => ({
    run: "m",
    iteration: i,
    role: "challenger",
    group: 0,
    prompt: "",
    completions: ["", "", "", ""],
    rewards: [1, 0, 0, 1],
    advantages: [0.5, -0.5, -0.5, 0.5],
    token_ids: [[3, 4, 5], [6, 7], [8, 9, 10, 11], [12]],
    logprobs: null,
    prompt_token_ids: [1, 2, (i % 5) + 1],
  });
  const counts: number[] = [];
  for (let i = 0; i < 30; i++) {
    // Two groups over 8-row minibatches: two steps per epoch with PPO ratios against recomputed log-probs.
    const s = await learner.update([group(i), { ...group(i + 1), group: 1 }, { ...group(i + 2), group: 2 }]);
    expect(s.steps).toBe(4);
    counts.push(liveBuffers());
  }
  learner.dispose();
  expect(counts[29]).toBe(counts[4]);
  expect(Math.max(...counts.slice(4))).toBe(counts[4]!);
}, 30_000);
