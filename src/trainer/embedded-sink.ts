import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { readModelFolder, writeModelFolder } from "../learner/export.ts";
import { EmbeddedLearner } from "../learner/learner.ts";
import type { ScoredGroup } from "../spice/scored-group.ts";
import type { LearnerSink } from "./sink.ts";

export interface EmbeddedSinkOptions {
  /** The model folder the run starts from (its config, tokenizer and ONNX graph). */
  modelDir: string;
  /** Where the per-iteration learner state and kept checkpoints go (the run's folder). */
  runDir: string;
  learningRate: number;
  /** L in the Dr. GRPO constant: the run's max_new_tokens. */
  maxGenLength: number;
  /** Trajectories per AdamW step, passes per update, PPO clip (trainer keys learner_minibatch, learner_epochs, clip_eps). */
  minibatch?: number;
  epochs?: number;
  clipEps?: number;
  /** AdamW steps of linear step-size warm-up (trainer key lr_warmup_steps; 0: none). */
  warmupSteps?: number;
  /** Trajectories with a negative advantage are left out (trainer key positive_advantages_only). */
  positiveOnly?: boolean;
  /** Receives the new weights after every update: the serving policy's hot swap. */
  swap?: (onnx: Uint8Array) => Promise<void>;
}

const iterDir = (runDir: string, iteration: number) =>
  join(runDir, "learner", `iter-${String(iteration).padStart(7, "0")}`);

/**
 * The embedded jax-js learner as the trainer's sink. After every update the full learner state
 * (weights, AdamW moments, step) is written atomically under the iteration's name before the
 * iteration commits; the committed row names that file, so a restart resumes bit-exactly from
 * the last committed iteration, whatever happened after it.
 */
export class EmbeddedSink implements LearnerSink {
  readonly kind = "embedded" as const;
  private learner: EmbeddedLearner;
  private readonly base: ReturnType<typeof readModelFolder>;

  constructor(private readonly o: EmbeddedSinkOptions) {
    this.base = readModelFolder(o.modelDir);
    this.learner = this.fresh();
  }

  private learnerOptions() {
    // jax-js's wasm heap only grows, and every new (rows, length) shape compiles and allocates anew:
    // minibatches of 8 and lengths rounded up to 128 keep a long run to a few shapes under its 4 GiB.
    return {
      maxGenLength: this.o.maxGenLength,
      microBatch: this.o.minibatch ?? 8,
      epochs: this.o.epochs ?? 1,
      clipEps: this.o.clipEps ?? 0.2,
      warmupSteps: this.o.warmupSteps ?? 0,
      positiveOnly: this.o.positiveOnly ?? false,
      lengthBucket: 128,
      adamw: { lr: this.o.learningRate },
    };
  }

  private fresh(): EmbeddedLearner {
    return EmbeddedLearner.fromOnnx(this.base.onnx, this.base.cfg, this.learnerOptions());
  }

  async apply(iteration: number, groups: ScoredGroup[]) {
    const stats = await this.learner.update(groups);
    const state = await this.learner.saveCheckpoint(iterDir(this.o.runDir, iteration), 1, { iteration });
    this.pruneStates(iteration);
    if (stats.steps > 0) await this.o.swap?.(await this.learner.snapshot());
    return { step: this.learner.step, state, stats };
  }

  async restore(state: string | null) {
    this.learner.dispose();
    this.learner =
      state === null
        ? this.fresh()
        : EmbeddedLearner.fromCheckpoint(this.base.onnx, this.base.cfg, state, this.learnerOptions());
    await this.o.swap?.(await this.learner.snapshot());
  }

  /** A kept checkpoint is a loadable model folder (for eval and serving) plus the learner state. */
  async checkpoint(iteration: number) {
    const dir = join(this.o.runDir, "checkpoints", `iter-${String(iteration).padStart(7, "0")}`);
    writeModelFolder(this.base.dir, dir, await this.learner.snapshot());
    await this.learner.saveCheckpoint(join(dir, "learner"), 1, { iteration });
    return dir;
  }

  async close() {
    this.learner.dispose();
  }

  /** Keep this iteration's state and the one before (the committed one while this is in flight). */
  private pruneStates(iteration: number) {
    const root = join(this.o.runDir, "learner");
    for (const name of readdirSync(root)) {
      const m = /^iter-(\d+)$/.exec(name);
      if (m && Number(m[1]) < iteration - 1) rmSync(join(root, name), { recursive: true, force: true });
    }
  }
}
