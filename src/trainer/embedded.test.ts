import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { DEFAULT_LM, ensureModel } from "../../models/index.ts";
import { checkpoints, iterations } from "../db/schema.ts";
import type { ScoredGroup } from "../spice/scored-group.ts";
import { loadCausalLM } from "../models/load.ts";
import { EmbeddedSink } from "./embedded-sink.ts";
import { getTrainer } from "./service.ts";
import { tempDir, testContext } from "../../test/helpers.ts";
import { testTrainerConfig } from "../../test/trainer/fixtures.ts";

const models = tempDir();
const modelDir = ensureModel(models.dir, DEFAULT_LM);
afterAll(() => models.cleanup());

function group(iteration: number): ScoredGroup {
  return {
    run: "r",
    iteration,
    role: "reasoner",
    group: 0,
    prompt: "2+2=",
    prompt_token_ids: [50, 43, 50, 61],
    completions: ["4", "5"],
    token_ids: [[52], [53]],
    logprobs: [[-7], [-7]],
    rewards: [1, 0],
    advantages: [0.5, -0.5],
  };
}

describe("embedded learner as the trainer's sink", () => {
  test("updates, hot-swaps, persists its state per iteration and restores it bit-exactly", async () => {
    const run = tempDir();
    try {
      const swapped: Uint8Array[] = [];
      const options = {
        modelDir,
        runDir: run.dir,
        learningRate: 1e-2,
        maxGenLength: 8,
        swap: async (b: Uint8Array) => void swapped.push(b),
      };
      const sink = new EmbeddedSink(options);
      const base = new Uint8Array(readFileSync(join(modelDir, "onnx", "model.onnx")));
      const first = await sink.apply(1, [group(1)]);
      expect(first.step).toBe(1);
      expect(existsSync(first.state!)).toBe(true);
      expect(swapped).toHaveLength(1);
      expect(Buffer.compare(Buffer.from(swapped[0]!), Buffer.from(base))).not.toBe(0);
      const second = await sink.apply(2, [group(2)]);
      expect(second.step).toBe(2);
      const afterTwo = swapped.at(-1)!;
      const ckpt = await sink.checkpoint(2);
      await sink.close();

      // A restarted trainer restores the committed state: the same weights, byte for byte.
      const again = new EmbeddedSink(options);
      await again.restore(second.state);
      expect(Buffer.compare(Buffer.from(swapped.at(-1)!), Buffer.from(afterTwo))).toBe(0);
      // … and continues from its step.
      expect((await again.apply(3, [group(3)])).step).toBe(3);
      await again.close();

      // A kept checkpoint is a model folder transformers.js loads like any other.
      const lm = await loadCausalLM(ckpt!);
      expect(lm.model).toBeTruthy();
      expect(Buffer.compare(readFileSync(join(ckpt!, "onnx", "model.onnx")), Buffer.from(afterTwo))).toBe(0);
    } finally {
      run.cleanup();
    }
  });

  test('a run with learner "embedded" over the built model commits learner state and checkpoints, and warns of its stall', async () => {
    const ctx = testContext({ model: modelDir });
    try {
      const trainer = await getTrainer(ctx);
      const config = testTrainerConfig({
        iterations: 2,
        batch_docs: 1,
        challenger_samples: 2,
        reasoner_rollouts: 2,
        max_attempts: 2,
        max_new_tokens: 8,
        use_corpus: false,
        learner: "embedded",
        checkpoint_every: 2,
      });
      const { run_id } = await trainer.start(config);
      await trainer.done();
      expect(trainer.status()).toMatchObject({ state: "finished", iteration: 2, error: null });
      // The untrained model writes no valid task, so no group has an advantage: the run says so.
      const warnings = trainer.status().warnings;
      expect(warnings.map((w) => [w.code, w.from_iteration, w.to_iteration])).toEqual([
        ["no_valid_tasks", 1, 2],
        ["no_learner_steps", 1, 2],
      ]);
      const prom = await ctx.registry.metrics();
      expect(prom).toContain(`spice_trainer_warnings_total{run="${run_id}",code="no_valid_tasks"} 1`);
      expect(prom).toContain(`spice_trainer_warnings_total{run="${run_id}",code="no_learner_steps"} 1`);
      const its = ctx.db.select().from(iterations).where(eq(iterations.runId, run_id!)).all();
      expect(its.map((i) => i.iteration)).toEqual([1, 2]);
      for (const it of its) {
        expect(it.learnerStep).toBeGreaterThanOrEqual(0);
        expect(it.learnerState).toContain(`iter-000000${it.iteration}`);
      }
      expect(existsSync(its[1]!.learnerState!)).toBe(true);
      const kept = ctx.db.select().from(checkpoints).where(eq(checkpoints.runId, run_id!)).all();
      expect(kept.map((k) => k.iteration)).toEqual([2]);
      expect(existsSync(join(kept[0]!.path, "onnx", "model.onnx"))).toBe(true);
    } finally {
      await ctx.close();
    }
  });
});
