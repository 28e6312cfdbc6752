// The embedded learner: Dr. GRPO policy-gradient updates on the project's own GPT-2 model, in-process
// with jax-js, implementing the trainer's `Learner` interface (update + snapshot).
import { jit, numpy as np, tree, type OwnedFunction } from "@jax-js/jax";
import { DEFAULT_ADAMW, type AdamWConfig, makeTrainStep, type TrainStep } from "./adamw.ts";
import { type Row, chunk, packRows, type PackedBatch } from "./batch.ts";
import { type CheckpointState, loadCheckpoint, saveCheckpoint } from "./checkpoint.ts";
import { exportOnnx, readOnnxWeights } from "./export.ts";
import { policyGradientLoss, tokenLogprobs, type PgBatch } from "./loss.ts";
import type { GptConfig, HostParams, Params } from "./model.ts";
import { TrainState, rowsArray } from "./train-state.ts";
import type { ScoredGroup } from "../spice/scored-group.ts";
import type { Learner, UpdateStats } from "./types.ts";

export type LearnerOptions = {
  adamw?: Partial<AdamWConfig>;
  /** L in the Dr. GRPO constant G × L: the trainer's max_new_tokens. */
  maxGenLength: number;
  /** Trajectories per optimizer step; an update with more is split into PPO-style minibatches. */
  microBatch?: number;
  /** Passes over each update's trajectories. */
  epochs?: number;
  /** PPO ratio clip ε; it only matters once a batch is reused (epochs > 1 or several minibatches). */
  clipEps?: number;
  /**
   * Linear step-size warm-up over the first N optimizer steps (0: none). A fresh AdamW's first steps move
   * every weight by about the full step size whatever its gradient (the moments are one sample): on the
   * noisy gradients of a few RL groups, a warm-up keeps them small until the moments mean something.
   */
  warmupSteps?: number;
  /**
   * Leave out trajectories with a negative advantage (beyond the paper): the update then only raises the
   * group's better rollouts, rejection-sampling fine-tuning weighted by the advantage. A diagnostic for
   * whether pushing down the worse rollouts is what hurts a small model.
   */
  positiveOnly?: boolean;
  /** Sequence lengths are rounded up to a multiple of this so few programs are compiled. */
  lengthBucket?: number;
  /** Fallback tokenizer for groups that carry text only (no token ids). */
  tokenize?: (text: string) => number[];
};

type Resolved = Required<Omit<LearnerOptions, "tokenize" | "adamw">> & Pick<LearnerOptions, "tokenize">;

type PgRecord = PgBatch;

export class EmbeddedLearner implements Learner {
  private readonly o: Resolved;
  private readonly pgStep: TrainStep<PgRecord>;
  private readonly logprobFn: OwnedFunction<(p: Params, ids: np.Array, targets: np.Array) => np.Array>;

  private constructor(
    readonly cfg: GptConfig,
    private readonly state: TrainState,
    private readonly baseOnnx: Uint8Array,
    opts: LearnerOptions,
  ) {
    this.o = {
      maxGenLength: opts.maxGenLength,
      microBatch: opts.microBatch ?? 16,
      epochs: opts.epochs ?? 1,
      clipEps: opts.clipEps ?? 0.2,
      warmupSteps: opts.warmupSteps ?? 0,
      positiveOnly: opts.positiveOnly ?? false,
      lengthBucket: opts.lengthBucket ?? 32,
      tokenize: opts.tokenize,
    };
    if (!(this.o.maxGenLength > 0)) throw new Error("maxGenLength must be positive");
    const clipEps = this.o.clipEps;
    this.pgStep = makeTrainStep<PgRecord>((p, b) => policyGradientLoss(cfg, p, b, clipEps), state.opt);
    this.logprobFn = jit((p: Params, ids: np.Array, targets: np.Array) => tokenLogprobs(cfg, p, ids, targets));
  }

  /** A learner starting from the weights in an ONNX model file (and its config). */
  static fromOnnx(onnx: Uint8Array, cfg: GptConfig, opts: LearnerOptions): EmbeddedLearner {
    return EmbeddedLearner.fromHost(onnx, cfg, readOnnxWeights(onnx), opts);
  }

  static fromHost(onnx: Uint8Array, cfg: GptConfig, host: HostParams, opts: LearnerOptions): EmbeddedLearner {
    const adamw = { ...DEFAULT_ADAMW, ...opts.adamw };
    return new EmbeddedLearner(cfg, new TrainState(cfg, adamw, host), onnx, opts);
  }

  /** Resumes weights, AdamW moments and step exactly; the optimizer settings come from the checkpoint. */
  static fromCheckpoint(onnx: Uint8Array, cfg: GptConfig, path: string, opts: LearnerOptions): EmbeddedLearner {
    const ck: CheckpointState = loadCheckpoint(path);
    const adamw = { ...DEFAULT_ADAMW, ...(ck.meta.optimizer as Partial<AdamWConfig>), ...opts.adamw };
    return new EmbeddedLearner(cfg, TrainState.fromCheckpoint(cfg, adamw, ck), onnx, opts);
  }

  get step(): number {
    return this.state.step;
  }

  async update(groups: ScoredGroup[]): Promise<UpdateStats> {
    const t0 = performance.now();
    const { rows, skipped } = this.rowsOf(groups);
    const batches = chunk(rows, this.o.microBatch);
    // Each minibatch step estimates the whole update's loss, hence the × minibatch count.
    for (const r of rows) r.coef = (r.coef ?? 0) * batches.length;
    const packed = batches.map((b) => packRows(b, this.o.microBatch, this.o.lengthBucket, this.cfg.nPositions));
    const reuse = packed.length * this.o.epochs > 1;
    const oldLp = reuse ? await Promise.all(packed.map((p) => this.logprobs(p))) : [];
    let lossSum = 0;
    let gradNorm = 0;
    let steps = 0;
    for (let e = 0; e < this.o.epochs; e++) {
      for (let i = 0; i < packed.length; i++) {
        const r = await this.state.apply(
          this.pgStep,
          this.pgBatch(packed[i]!, reuse ? oldLp[i]!.ref : null),
          warmupScale(this.state.step + 1, this.o.warmupSteps),
        );
        lossSum += r.loss;
        gradNorm = r.gradNorm;
        steps++;
      }
    }
    for (const lp of oldLp) lp.dispose();
    return {
      steps,
      step: this.state.step,
      loss: steps ? lossSum / steps : 0,
      gradNorm,
      tokens: packed.reduce((n, p) => n + p.tokens, 0),
      trajectories: rows.length,
      skipped,
      ms: performance.now() - t0,
    };
  }

  snapshot(): Promise<Uint8Array> {
    return this.state.hostParams().then((host) => exportOnnx(this.baseOnnx, host));
  }

  async saveCheckpoint(dir: string, keep = 3, meta: Record<string, unknown> = {}): Promise<string> {
    return saveCheckpoint(dir, await this.state.toCheckpoint(meta), keep);
  }

  hostParams(): Promise<HostParams> {
    return this.state.hostParams();
  }

  dispose(): void {
    this.state.dispose();
    this.pgStep.dispose();
    this.logprobFn.dispose();
  }

  /** Trajectories with a non-zero advantage, as rows; the rest are counted as skipped. */
  private rowsOf(groups: ScoredGroup[]): { rows: Row[]; skipped: number } {
    const rows: Row[] = [];
    let skipped = 0;
    const groupCount = groups.length;
    for (const g of groups) {
      const G = g.completions.length;
      // A challenger group is split by prompt (selection step, task step); meta.group_size keeps its G for the constant.
      const groupSize = typeof g.meta?.group_size === "number" && g.meta.group_size >= G ? g.meta.group_size : G;
      const prompt = g.prompt_token_ids ?? this.o.tokenize?.(g.prompt) ?? null;
      for (let i = 0; i < G; i++) {
        const raw = g.advantages[i] ?? 0;
        const adv = this.o.positiveOnly ? Math.max(0, raw) : raw;
        const completion = g.token_ids?.[i] ?? this.o.tokenize?.(g.completions[i]!) ?? null;
        if (adv === 0 || !Number.isFinite(adv) || !prompt || !completion || completion.length === 0) {
          skipped++;
          continue;
        }
        const tokens = [...prompt, ...completion];
        if (tokens.length - 1 > this.cfg.nPositions) {
          skipped++;
          continue;
        }
        const coef = adv / (groupSize * this.o.maxGenLength * groupCount);
        rows.push({ tokens, lossStart: Math.max(1, prompt.length), coef });
      }
    }
    return { rows, skipped };
  }

  private pgBatch(p: PackedBatch, oldLp: np.Array | null): PgRecord {
    const { rows, length } = p;
    return {
      ids: rowsArray(p.ids, rows, length),
      targets: rowsArray(p.targets, rows, length),
      mask: rowsArray(p.mask, rows, length),
      coef: rowsArray(p.coef, rows, 1),
      oldLp: oldLp ?? np.zeros([rows, length]),
      useOld: np.array(oldLp ? 1 : 0),
    };
  }

  private async logprobs(p: PackedBatch): Promise<np.Array> {
    const lp = this.logprobFn(
      tree.ref(this.state.params),
      rowsArray(p.ids, p.rows, p.length),
      rowsArray(p.targets, p.rows, p.length),
    );
    return lp.blockUntilReady();
  }
}

/** The step-size factor of 1-based step `step` under a linear warm-up of `steps` steps (1 once it is over). */
export function warmupScale(step: number, steps: number): number {
  return steps > 0 ? Math.min(1, step / steps) : 1;
}
