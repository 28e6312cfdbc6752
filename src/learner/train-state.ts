// The mutable training state shared by the SFT loop and the policy-gradient learner: device weights,
// AdamW moments and the step counter, with host round trips for checkpoints and export.
import { blockUntilReady, numpy as np, tree } from "@jax-js/jax";
import { type AdamWConfig, stepScalars, type TrainStep, zerosLikeParams } from "./adamw.ts";
import type { CheckpointState } from "./checkpoint.ts";
import { type GptConfig, type HostParams, type Params, toDevice, toHost } from "./model.ts";

export class TrainState {
  params: Params;
  m: Params;
  v: Params;
  step: number;

  constructor(
    readonly cfg: GptConfig,
    readonly opt: AdamWConfig,
    host: HostParams,
    moments?: { m: HostParams; v: HostParams; step: number },
  ) {
    this.params = toDevice(cfg, host);
    this.m = moments ? toDevice(cfg, moments.m) : zerosLikeParams(this.params);
    this.v = moments ? toDevice(cfg, moments.v) : zerosLikeParams(this.params);
    this.step = moments?.step ?? 0;
  }

  static fromCheckpoint(cfg: GptConfig, opt: AdamWConfig, ck: CheckpointState): TrainState {
    return new TrainState(cfg, opt, ck.params, ck);
  }

  /** Runs one optimizer step; returns the loss and the (pre-clip) gradient norm. */
  async apply<B>(fn: TrainStep<B>, batch: B, lrScale = 1): Promise<{ loss: number; gradNorm: number }> {
    const out = fn(this.params, this.m, this.v, batch, stepScalars(this.opt, this.step + 1, lrScale));
    this.params = out.params;
    this.m = out.m;
    this.v = out.v;
    this.step++;
    // The loss is ready before the AdamW tail is; wait for the weights so timings and stats are honest.
    await blockUntilReady(this.params);
    const loss = (await out.loss.data())[0]!;
    const gradNorm = (await out.gradNorm.data())[0]!;
    return { loss, gradNorm };
  }

  hostParams(): Promise<HostParams> {
    return toHost(this.params);
  }

  async toCheckpoint(meta: Record<string, unknown>): Promise<CheckpointState> {
    return {
      step: this.step,
      params: await toHost(this.params),
      m: await toHost(this.m),
      v: await toHost(this.v),
      meta: { ...meta, model: this.cfg, optimizer: this.opt },
    };
  }

  dispose(): void {
    tree.dispose([this.params, this.m, this.v]);
  }
}

/** Typed-array batch fields → device arrays, shaped [rows, length] (or [rows, 1] for per-row values). */
export function rowsArray(
  data: Int32Array<ArrayBuffer> | Float32Array<ArrayBuffer>,
  rows: number,
  length: number,
): np.Array {
  const dtype = data instanceof Int32Array ? np.int32 : np.float32;
  return np.array(data, { dtype }).reshape([rows, length]);
}
