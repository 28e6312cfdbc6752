// Atomic hot swap of a loaded transformers.js model. A swap builds a new ONNX session from the
// exported bytes and a new model object around it (same class, config and generation config); each
// request leases the model current when it starts, so requests in flight finish on the old weights,
// new ones get the new weights, and the old session is released once its last lease ends.
import * as ort from "onnxruntime-node";
import type { PreTrainedModel } from "@huggingface/transformers";

type Session = { release(): Promise<void>; config?: unknown };
type Entry = { model: PreTrainedModel; version: number; leases: number; retired: boolean };
type ModelCtor = new (config: unknown, sessions: Record<string, unknown>, configs: unknown) => PreTrainedModel;

export class HotSwapModel {
  private current: Entry;

  constructor(model: PreTrainedModel) {
    this.current = { model, version: 0, leases: 0, retired: false };
  }

  get version(): number {
    return this.current.version;
  }

  /** Runs `fn` with the model current at the call, held until `fn` settles. */
  async use<T>(fn: (model: PreTrainedModel, version: number) => Promise<T>): Promise<T> {
    const entry = this.current;
    entry.leases++;
    try {
      return await fn(entry.model, entry.version);
    } finally {
      entry.leases--;
      if (entry.retired && entry.leases === 0) await release(entry);
    }
  }

  /** Swaps in the weights of `onnx` (same graph, new initializers). Returns the new version. */
  async swap(onnx: Uint8Array): Promise<number> {
    const old = this.current;
    const sessions = old.model.sessions as Record<string, Session>;
    const session = (await ort.InferenceSession.create(onnx, { executionProviders: ["cpu"] })) as unknown as Session;
    // transformers.js keeps per-session metadata on the session object; the graph is unchanged.
    session.config = sessions.model!.config;
    const Ctor = old.model.constructor as unknown as ModelCtor;
    const model = new Ctor(old.model.config, { ...sessions, model: session }, old.model.configs);
    this.current = { model, version: old.version + 1, leases: 0, retired: false };
    old.retired = true;
    if (old.leases === 0) await release(old);
    return this.current.version;
  }

  async dispose(): Promise<void> {
    this.current.retired = true;
    if (this.current.leases === 0) await release(this.current);
  }
}

async function release(entry: Entry): Promise<void> {
  await (entry.model.sessions as Record<string, Session>).model!.release();
}
