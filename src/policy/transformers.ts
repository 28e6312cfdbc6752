import { createHash } from "node:crypto";
import { createReadStream, existsSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { AutoModelForCausalLM, AutoTokenizer, type PreTrainedTokenizer } from "@huggingface/transformers";
import * as ort from "onnxruntime-node";
import { ensureModel, MODEL_NAMES } from "../../models/index.ts";
import { createRng } from "../prng.ts";
import { useLocalModelsOnly } from "../models/load.ts";
import { BatchQueue } from "./batch-queue.ts";
import { logSoftmax, mixSeed, sampleToken } from "./sampling.ts";
import {
  DEFAULT_GENERATE,
  PolicyError,
  renderPlain,
  type Completion,
  type Device,
  type FinishReason,
  type GenerateOptions,
  type GenerationResult,
  type Policy,
  type PolicyBackend,
  type PolicyInfo,
  type PolicyVersion,
  type Prompt,
} from "./types.ts";

/**
 * The in-process policy: any local transformers.js causal-LM folder (the project's built
 * model, or an ONNX export such as Qwen3). transformers.js loads the folder (config,
 * tokenizer, dtype and device choice); decoding is our own loop over the ONNX session with
 * its KV cache, because generate() has no top-p, reports no log-probs and keeps running
 * rows past their EOS. Concurrent calls share one model through a batching queue.
 */

export type { Device };
export type Dtype = "fp32" | "fp16" | "q8" | "int8" | "uint8" | "q4" | "q4f16" | "bnb4";

export interface TransformersPolicyOptions {
  device?: Device;
  /** By default the folder's `transformers.js_config.dtype`, else the device's default. */
  dtype?: Dtype;
  /** Most sequences decoded together. */
  maxBatch?: number;
  /** How long the first queued request waits for company before its batch starts. */
  maxWaitMs?: number;
  /**
   * onnxruntime's intra-op threads. Default: 1 for a small model (weights under 64 MB), whose
   * operators are too small to split (extra threads only spin: half the CPU time on the built
   * tiny model, bench/eval.ts), else onnxruntime's default (one per core). 0 asks for that default.
   */
  threads?: number;
}

const SMALL_MODEL_BYTES = 64 * 1024 * 1024;

/** The session options for a weights file: see `TransformersPolicyOptions.threads`. */
function threadOptions(weightsPath: string, threads: number | undefined): ort.InferenceSession.SessionOptions {
  const n = threads ?? (existsSync(weightsPath) && statSync(weightsPath).size < SMALL_MODEL_BYTES ? 1 : 0);
  return n === 0 ? {} : { intraOpNumThreads: n, interOpNumThreads: 1 };
}

interface Row {
  promptIds: number[];
  maxTokens: number;
  temperature: number;
  topP: number;
  stop: string[];
  seed: number;
  onText?: (text: string) => void;
}

type RawSession = ort.InferenceSession & {
  inputMetadata?: { name: string; shape?: (string | number)[]; type?: string }[];
};

/** A session plus the batches still using it, so a swapped-out session is released only when idle. */
interface Lease {
  session: RawSession;
  users: number;
  retired: boolean;
}

const KV_INPUT = /^past_key_values\.(\d+)\.(key|value)$/;

/** transformers.js picks `onnx/model<suffix>.onnx` by dtype. */
const DTYPE_SUFFIX: Record<Dtype, string> = {
  fp32: "",
  fp16: "_fp16",
  q8: "_quantized",
  int8: "_int8",
  uint8: "_uint8",
  q4: "_q4",
  q4f16: "_q4f16",
  bnb4: "_bnb4",
};

/** The weights file transformers.js loads: the dtype asked for, else the folder's `transformers.js_config`, else fp32. */
function weightsFile(dir: string, config: Record<string, unknown>, dtype: Dtype | undefined): string {
  const declared = (config["transformers.js_config"] as { dtype?: Dtype | Record<string, Dtype> } | undefined)?.dtype;
  const chosen = dtype ?? (typeof declared === "string" ? declared : declared?.model) ?? "fp32";
  return join(dir, "onnx", `model${DTYPE_SUFFIX[chosen] ?? ""}.onnx`);
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

const isModelFolder = (spec: string) => existsSync(join(spec, "config.json"));
const BUILT_LMS = Object.keys(MODEL_NAMES).filter((name) => MODEL_NAMES[name]!.kind === "causal-lm");

/** A model folder as given, or a model this project builds, by name, under `<dataDir>/models/`; null for neither. */
export function modelFolder(spec: string, dataDir?: string): string | null {
  if (isModelFolder(spec)) return spec;
  if (dataDir !== undefined && BUILT_LMS.includes(spec)) return ensureModel(dataDir, spec);
  return null;
}

/** The registry's entry for this backend (src/policy/registry.ts). */
export const transformersBackend: PolicyBackend = {
  name: "transformers",
  accepts: `a transformers.js model folder, or a built model name (${BUILT_LMS.join(", ")})`,
  matches: (spec, o) => isModelFolder(spec) || (o.dataDir !== undefined && BUILT_LMS.includes(spec)),
  open: (spec, o) => TransformersPolicy.load(modelFolder(spec, o.dataDir)!, { device: o.device }),
};

function int64(values: ArrayLike<number>, dims: number[]): ort.Tensor {
  return new ort.Tensor("int64", BigInt64Array.from(Array.from(values, (v) => BigInt(v))), dims);
}

function floatData(t: ort.Tensor): Float32Array {
  if (t.data instanceof Float32Array) return t.data;
  if (t.type === "float16") return Float32Array.from(new Float16Array((t.data as Uint16Array).buffer));
  throw new PolicyError("bad_response", `unsupported logits type ${t.type}`);
}

/** Rows `index` (batch positions, repeats allowed) of a [B, ...] tensor: the KV cache of the next batch's rows. */
function gatherBatchRows(t: ort.Tensor, index: readonly number[]): ort.Tensor {
  const dims = t.dims as number[];
  const per = dims.slice(1).reduce((a, b) => a * b, 1);
  const src = t.data as Float32Array | Uint16Array;
  const dst = new (src.constructor as Float32ArrayConstructor | Uint16ArrayConstructor)(index.length * per);
  index.forEach((p, q) => {
    dst.set(src.subarray(p * per, (p + 1) * per), q * per);
  });
  return new ort.Tensor(t.type as "float32", dst as Float32Array, [index.length, ...dims.slice(1)]);
}

export class TransformersPolicy implements Policy {
  readonly info: PolicyInfo;
  private current: Lease;
  private readonly queue: BatchQueue<Row, Completion>;
  private readonly eosIds: Set<number>;
  private readonly padId: number;
  private readonly inputNames: string[];
  private readonly sessionOptions: ort.InferenceSession.SessionOptions;
  private readonly weightsPath: string;
  private hash: Promise<string> | null = null;
  private swaps = 0;

  private constructor(
    dir: string,
    private readonly tokenizer: PreTrainedTokenizer,
    session: RawSession,
    config: Record<string, unknown>,
    options: TransformersPolicyOptions,
  ) {
    const ctx = Number(config.n_positions ?? config.max_position_embeddings ?? NaN);
    this.info = { backend: "transformers", model: dir, contextLength: Number.isFinite(ctx) ? ctx : null };
    this.current = { session, users: 0, retired: false };
    this.inputNames = [...session.inputNames];
    const eos = [config.eos_token_id, tokenizer.eos_token_id].flat().filter((v): v is number => typeof v === "number");
    this.eosIds = new Set(eos);
    this.padId = tokenizer.pad_token_id ?? eos[0] ?? 0;
    const device = options.device ?? "cpu";
    this.weightsPath = weightsFile(dir, config, options.dtype);
    this.sessionOptions = {
      executionProviders: [device === "auto" ? "cpu" : device],
      ...threadOptions(this.weightsPath, options.threads),
    };
    this.queue = new BatchQueue({ maxBatch: options.maxBatch ?? 32, maxWaitMs: options.maxWaitMs ?? 10 }, (rows) =>
      this.runBatch(rows),
    );
  }

  static async load(dir: string, options: TransformersPolicyOptions = {}): Promise<TransformersPolicy> {
    useLocalModelsOnly();
    const path = resolve(dir);
    const tokenizer = await AutoTokenizer.from_pretrained(path);
    const device = options.device ?? "cpu";
    const config = JSON.parse(readFileSync(join(path, "config.json"), "utf8")) as Record<string, unknown>;
    const model = await AutoModelForCausalLM.from_pretrained(path, {
      device,
      ...(options.dtype ? { dtype: options.dtype } : {}),
      session_options: threadOptions(weightsFile(path, config, options.dtype), options.threads),
    }).catch((err: Error) => {
      // onnxruntime-node's CUDA provider ships only through an install-time download: say so plainly.
      if (device !== "cpu" && device !== "auto") {
        throw new PolicyError(
          "unavailable",
          `device "${device}" is not available here (${err.message.split("\n")[0]}); install onnxruntime-node's ${device} provider or use SPICE_DEVICE=cpu`,
        );
      }
      throw err;
    });
    const session = model.sessions.model as RawSession | undefined;
    if (!session) throw new PolicyError("invalid_request", `${path} is not a decoder-only model with one ONNX session`);
    return new TransformersPolicy(
      path,
      tokenizer,
      session,
      model.config as unknown as Record<string, unknown>,
      options,
    );
  }

  /** Batch sizes run so far; the benchmark and tests read it. */
  get batchSizes(): readonly number[] {
    return this.queue.batchSizes;
  }

  render(prompt: Prompt): string {
    if (typeof prompt === "string") return prompt;
    if (this.tokenizer.chat_template) {
      return this.tokenizer.apply_chat_template(prompt, { tokenize: false, add_generation_prompt: true }) as string;
    }
    return renderPlain(prompt);
  }

  private encode(text: string, templated: boolean): number[] {
    return this.tokenizer.encode(text, { add_special_tokens: !templated });
  }

  private decode(ids: number[]): string {
    const kept = ids.filter((id) => !this.eosIds.has(id));
    // The tokenizer throws on an empty list, which a completion that starts with EOS leaves.
    return kept.length === 0 ? "" : this.tokenizer.decode(kept, { skip_special_tokens: true });
  }

  async countTokens(text: string): Promise<number> {
    return this.encode(text, false).length;
  }

  async truncateToTokens(text: string, maxTokens: number): Promise<string> {
    const ids = this.encode(text, false);
    if (ids.length <= maxTokens) return text;
    // A cut inside a multi-byte character decodes to U+FFFD: drop it.
    return this.decode(ids.slice(0, Math.max(0, maxTokens))).replace(/\uFFFD+$/, "");
  }

  async generate(prompts: Prompt[], options: GenerateOptions = {}): Promise<GenerationResult[]> {
    const n = options.n ?? DEFAULT_GENERATE.n;
    const baseSeed = options.seed ?? Math.floor(Math.random() * 2 ** 32);
    const ctx = this.info.contextLength;
    const encoded = prompts.map((p) => {
      const text = this.render(p);
      const ids = this.encode(text, typeof p !== "string" && !!this.tokenizer.chat_template);
      if (ids.length === 0) throw new PolicyError("invalid_request", "empty prompt");
      if (ctx !== null && ids.length >= ctx)
        throw new PolicyError(
          "invalid_request",
          `prompt of ${ids.length} tokens does not fit the model's context of ${ctx}`,
        );
      return { text, ids };
    });
    const pending = encoded.flatMap(({ ids }, prompt) =>
      Array.from({ length: n }, (_, sample) => {
        const wanted = options.maxTokens ?? DEFAULT_GENERATE.maxTokens;
        return this.queue.push({
          promptIds: ids,
          // Positions past the context would read outside the position table.
          maxTokens: ctx === null ? wanted : Math.min(wanted, ctx - ids.length),
          temperature: options.temperature ?? DEFAULT_GENERATE.temperature,
          topP: options.topP ?? DEFAULT_GENERATE.topP,
          stop: options.stop ?? [],
          seed: mixSeed(baseSeed, prompt, sample),
          onText: options.onToken ? (text) => options.onToken!({ prompt, sample, text }) : undefined,
        });
      }),
    );
    const done = await Promise.all(pending);
    return encoded.map(({ text, ids }, i) => ({
      prompt: text,
      promptTokenIds: ids,
      completions: done.slice(i * n, (i + 1) * n),
    }));
  }

  /**
   * Replaces the model's weights with an ONNX graph of the same interface. Batches already
   * running finish on the old session, which is released once the last of them ends.
   */
  async swapWeights(onnxBytes: Uint8Array): Promise<void> {
    const next = (await ort.InferenceSession.create(onnxBytes, this.sessionOptions)) as RawSession;
    const same = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);
    if (
      !same(next.inputNames, this.current.session.inputNames) ||
      !same(next.outputNames, this.current.session.outputNames)
    ) {
      await next.release();
      throw new PolicyError(
        "invalid_request",
        "the new weights have different inputs or outputs than the loaded model",
      );
    }
    const old = this.current;
    this.current = { session: next, users: 0, retired: false };
    this.swaps++;
    old.retired = true;
    if (old.users === 0) await old.session.release();
  }

  /** Read once, on first use: hashing a large model's file is not free. */
  weightsHash(): Promise<string> {
    this.hash ??= sha256File(this.weightsPath);
    this.hash.catch(() => (this.hash = null)); // a failed read must not stick
    return this.hash;
  }

  async version(): Promise<PolicyVersion> {
    const { backend, model } = this.info;
    return { backend, model, weightsHash: await this.weightsHash(), swaps: this.swaps };
  }

  async close(): Promise<void> {
    this.current.retired = true;
    if (this.current.users === 0) await this.current.session.release();
  }

  private async runBatch(rows: Row[]): Promise<Completion[]> {
    const lease = this.current;
    lease.users++;
    try {
      return await this.decodeBatch(lease.session, rows);
    } finally {
      lease.users--;
      if (lease.retired && lease.users === 0) await lease.session.release();
    }
  }

  /**
   * Left-padded batched decoding with the KV cache; each row stops at its own EOS, stop string or length.
   * Rows with the same prompt (a question's K samples) share one prefill, whose cache is copied to
   * each; rows that finish leave the batch. A batch's cost is then its distinct prompts plus its
   * unfinished rows, not rows × its longest row.
   */
  private async decodeBatch(session: RawSession, rows: Row[]): Promise<Completion[]> {
    const distinct = new Map<string, number>();
    const firstRow: number[] = [];
    // posOf[b]: row b's position in the batch of the coming session.run (the prefill's: its prompt's).
    let posOf = rows.map((r, b) => {
      const key = r.promptIds.join(",");
      let u = distinct.get(key);
      if (u === undefined) {
        u = firstRow.length;
        distinct.set(key, u);
        firstRow.push(b);
      }
      return u;
    });
    const U = firstRow.length;
    const L = Math.max(...rows.map((r) => r.promptIds.length));
    const ids = new Array<number>(U * L).fill(this.padId);
    let mask = new BigInt64Array(U * L);
    const pos = new Array<number>(U * L).fill(1);
    firstRow.forEach((b, u) => {
      const r = rows[b]!;
      const off = L - r.promptIds.length;
      r.promptIds.forEach((id, j) => {
        ids[u * L + off + j] = id;
        mask[u * L + off + j] = 1n;
        pos[u * L + off + j] = j;
      });
    });
    const nextPos = rows.map((r) => r.promptIds.length);
    const feeds: Record<string, ort.Tensor> = { input_ids: int64(ids, [U, L]) };
    const wants = (name: string) => this.inputNames.includes(name);
    for (const meta of session.inputMetadata ?? []) {
      if (!KV_INPUT.test(meta.name)) continue;
      const dims = (meta.shape ?? []).map((d) => (typeof d === "number" ? d : d === "batch_size" ? U : 0));
      feeds[meta.name] = new ort.Tensor(
        (meta.type ?? "float32") as "float32",
        meta.type === "float16" ? new Uint16Array(0) : new Float32Array(0),
        dims,
      );
    }
    const rngs = rows.map((r) => createRng(r.seed));
    const out = rows.map(() => ({
      tokens: [] as number[],
      logprobs: [] as number[],
      finish: null as FinishReason | null,
      emitted: 0,
    }));
    const stopWindow = rows.map((r) =>
      r.stop.length ? Math.max(...r.stop.map((s) => new TextEncoder().encode(s).length)) + 1 : 0,
    );
    let lp = new Float64Array(0);
    let scratch = new Float64Array(0);
    let width = L;
    let step = 0;
    let batchRows: number[] = []; // after the prefill: the rows in batch order
    const chosen = new Array<number>(rows.length).fill(this.padId);
    for (;;) {
      const B = step === 0 ? U : batchRows.length;
      feeds.attention_mask = new ort.Tensor("int64", mask, [B, width]);
      if (wants("position_ids"))
        feeds.position_ids =
          step === 0
            ? int64(pos, [U, L])
            : int64(
                batchRows.map((b) => nextPos[b]! - 1),
                [B, 1],
              );
      if (wants("num_logits_to_keep")) feeds.num_logits_to_keep = new ort.Tensor("int64", BigInt64Array.of(1n), []);
      if (wants("use_cache_branch"))
        feeds.use_cache_branch = new ort.Tensor("bool", Uint8Array.of(step > 0 ? 1 : 0), [1]);
      const result = await session.run(feeds);
      const logits = result.logits;
      if (!logits) throw new PolicyError("bad_response", "the model has no `logits` output");
      const [, S, V] = logits.dims as number[];
      const data = floatData(logits);
      if (lp.length !== V) {
        lp = new Float64Array(V!);
        scratch = new Float64Array(V!);
      }
      rows.forEach((r, b) => {
        const o = out[b]!;
        if (o.finish) return;
        logSoftmax(data, (posOf[b]! * S! + S! - 1) * V!, V!, lp);
        const token = sampleToken(lp, r, () => rngs[b]!.next(), scratch);
        chosen[b] = token;
        o.tokens.push(token);
        o.logprobs.push(lp[token]!);
        if (this.eosIds.has(token)) o.finish = "stop";
        else if (stopWindow[b]! > 0 && r.stop.some((s) => this.decode(o.tokens.slice(-stopWindow[b]! - 1)).includes(s)))
          o.finish = "stop";
        else if (o.tokens.length >= r.maxTokens) o.finish = "length";
        if (r.onText && !o.finish) this.stream(r, o);
      });
      step++;
      if (out.every((o) => o.finish)) break;
      // The next batch: the unfinished rows, each gathering its cache row from this call's batch.
      batchRows = rows.flatMap((_, b) => (out[b]!.finish ? [] : [b]));
      const gather = batchRows.map((b) => posOf[b]!);
      const same = gather.length === B && gather.every((p, q) => p === q);
      for (const name of session.outputNames) {
        if (!name.startsWith("present")) continue;
        const t = result[name]!;
        feeds[name.replace(/^present/, "past_key_values")] = same ? t : gatherBatchRows(t, gather);
      }
      const grown = new BigInt64Array(gather.length * (width + 1));
      gather.forEach((p, q) => {
        grown.set(mask.subarray(p * width, (p + 1) * width), q * (width + 1));
        grown[q * (width + 1) + width] = 1n;
      });
      feeds.input_ids = int64(
        batchRows.map((b) => chosen[b]!),
        [gather.length, 1],
      );
      posOf = rows.map(() => -1);
      batchRows.forEach((b, q) => {
        posOf[b] = q;
      });
      mask = grown;
      width++;
      for (let b = 0; b < rows.length; b++) nextPos[b]!++;
    }
    return rows.map((r, b) => {
      const o = out[b]!;
      let text = this.decode(o.tokens);
      for (const s of r.stop) {
        const at = text.indexOf(s);
        if (at !== -1) text = text.slice(0, at);
      }
      if (r.onText && text.length > o.emitted) r.onText(text.slice(o.emitted));
      return { text, tokenIds: o.tokens, logprobs: o.logprobs, finishReason: o.finish! };
    });
  }

  /** Emits newly decoded text, holding back an unfinished character and a possible stop-string prefix. */
  private stream(r: Row, o: { tokens: number[]; emitted: number }): void {
    const text = this.decode(o.tokens).replace(/\uFFFD+$/, "");
    const holdBack = r.stop.length ? Math.max(...r.stop.map((s) => s.length)) - 1 : 0;
    const upTo = text.length - holdBack;
    if (upTo > o.emitted) {
      r.onText!(text.slice(o.emitted, upTo));
      o.emitted = upTo;
    }
  }
}
