import { createHash } from "node:crypto";
import { createReadStream, existsSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { AutoModelForCausalLM, AutoTokenizer, type PreTrainedTokenizer } from "@huggingface/transformers";
import * as ort from "onnxruntime-node";
import { COMMITTED_MODELS, ensureModel, MODEL_NAMES } from "../../models/index.ts";
import { Cancelled } from "../errors.ts";
import { createRng } from "../prng.ts";
import { useLocalModelsOnly } from "../models/load.ts";
import { BatchQueue } from "./batch-queue.ts";
import { checkTokenLimit, leadingTokens, maxCharsPerToken } from "./bounded-tokens.ts";
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
  type TokenEvent,
  type TopLogprob,
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

interface Row {
  promptIds: number[];
  maxTokens: number;
  temperature: number;
  topP: number;
  stop: string[];
  seed: number;
  /** Alternatives to report per token (0: none). */
  topK: number;
  onText?: (piece: StreamPiece) => void;
  /** The caller's: when it fires, the row leaves the batch at the next step. */
  signal?: AbortSignal;
}

/** What one streaming event of a row carries: new text, and the tokens generated since the previous event. */
type StreamPiece = Pick<TokenEvent, "text" | "tokenIds" | "logprobs" | "topLogprobs">;

type RawSession = ort.InferenceSession & {
  inputMetadata?: { name: string; shape?: (string | number)[]; type?: string }[];
};

/** A session plus the batches still using it, so a swapped-out session is released only when idle. */
interface Lease {
  session: RawSession;
  users: number;
  retired: boolean;
  /** The swap count when this session was put in service: part of the version of what it generates. */
  swaps: number;
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

/** The bound on input characters per token of the folder's tokenizer.json; null without one, or when none holds. */
function readMaxTokenChars(dir: string): number | null {
  try {
    return maxCharsPerToken(JSON.parse(readFileSync(join(dir, "tokenizer.json"), "utf8")));
  } catch {
    return null;
  }
}

const isModelFolder = (spec: string) => existsSync(join(spec, "config.json"));
const BUILT_LMS = Object.keys(MODEL_NAMES).filter((name) => MODEL_NAMES[name]!.kind === "causal-lm");
const isCommitted = (spec: string) => Object.hasOwn(COMMITTED_MODELS, spec);
/** A spec written as a filesystem path (no URL scheme): it can only mean a model folder. */
const looksLikePath = (spec: string) =>
  !/^[a-z][a-z0-9+.-]*:/i.test(spec) && (/[\\/]/.test(spec) || spec.startsWith(".") || existsSync(spec));

function readJson(path: string): Record<string, unknown> | string {
  try {
    const value: unknown = JSON.parse(readFileSync(path, "utf8"));
    return value && typeof value === "object" && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : "not a JSON object";
  } catch (err) {
    return (err as Error).message.split("\n")[0]!;
  }
}

/**
 * Why `dir` is not a folder transformers.js can load as a causal LM, or null: the files it reads (config.json,
 * tokenizer.json, tokenizer_config.json, the ONNX weights) must be there and parse, and the architecture, when
 * named, must be a causal LM. Nothing is loaded.
 */
export function modelFolderProblem(dir: string): string | null {
  if (!existsSync(dir)) return "no such folder";
  if (!statSync(dir).isDirectory()) return "not a folder";
  if (!existsSync(join(dir, "config.json"))) return "not a model folder (no config.json)";
  const config = readJson(join(dir, "config.json"));
  if (typeof config === "string") return `config.json cannot be read: ${config}`;
  for (const file of ["tokenizer.json", "tokenizer_config.json"]) {
    if (!existsSync(join(dir, file)))
      return `no ${file} (transformers.js needs tokenizer.json and tokenizer_config.json)`;
    const parsed = readJson(join(dir, file));
    if (typeof parsed === "string") return `${file} cannot be read: ${parsed}`;
  }
  const weights = weightsFile(dir, config, undefined);
  if (!existsSync(weights)) return `no ONNX weights at ${weights}`;
  const archs = config.architectures;
  if (Array.isArray(archs) && archs.length && !archs.some((a) => /(CausalLM|LMHeadModel)$/.test(String(a)))) {
    return `a ${archs.join("/")} model, not a causal language model`;
  }
  return null;
}

/**
 * A model folder as given, a committed model by name (models/<name>/), or a model this project builds,
 * by name, under `<dataDir>/models/`; null for none of these.
 */
export function modelFolder(spec: string, dataDir?: string): string | null {
  if (isModelFolder(spec)) return spec;
  if (isCommitted(spec)) return COMMITTED_MODELS[spec]!;
  if (dataDir !== undefined && BUILT_LMS.includes(spec)) return ensureModel(dataDir, spec);
  return null;
}

/** The registry's entry for this backend (src/policy/registry.ts). */
export const transformersBackend: PolicyBackend = {
  name: "transformers",
  accepts: `a transformers.js model folder, a committed model (${Object.keys(COMMITTED_MODELS).join(", ")}) or a built model name (${BUILT_LMS.join(", ")})`,
  matches: (spec, o) =>
    isModelFolder(spec) ||
    isCommitted(spec) ||
    looksLikePath(spec) ||
    (o.dataDir !== undefined && BUILT_LMS.includes(spec)),
  check: (spec, o) =>
    o.dataDir !== undefined && BUILT_LMS.includes(spec)
      ? null
      : modelFolderProblem(isCommitted(spec) ? COMMITTED_MODELS[spec]! : spec),
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

const SMALL_MODEL_BYTES = 64 * 1024 * 1024;

/** The session options for a weights file: see `TransformersPolicyOptions.threads`. */
function threadOptions(weightsPath: string, threads: number | undefined): ort.InferenceSession.SessionOptions {
  const n = threads ?? (existsSync(weightsPath) && statSync(weightsPath).size < SMALL_MODEL_BYTES ? 1 : 0);
  return n === 0 ? {} : { intraOpNumThreads: n, interOpNumThreads: 1 };
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
  private steps = 0;
  private prefilled = 0;
  /** Most input characters one token covers (from tokenizer.json); null when no cheap bound holds. */
  private readonly maxTokenChars: number | null;

  private constructor(
    dir: string,
    private readonly tokenizer: PreTrainedTokenizer,
    session: RawSession,
    config: Record<string, unknown>,
    options: TransformersPolicyOptions,
  ) {
    const ctx = Number(config.n_positions ?? config.max_position_embeddings ?? NaN);
    this.info = { backend: "transformers", model: dir, contextLength: Number.isFinite(ctx) ? ctx : null };
    this.current = { session, users: 0, retired: false, swaps: 0 };
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
    this.maxTokenChars = readMaxTokenChars(dir);
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

  /** Forward passes (prefill or one decoding step of a batch) run so far; tests of cancellation read it. */
  get decodeSteps(): number {
    return this.steps;
  }

  /** Rows the prefills have run so far: one per distinct prompt of a batch (its samples share it). */
  get prefillRows(): number {
    return this.prefilled;
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

  /** Each id decoded alone (special tokens included), as OpenAI-style log-prob listings show tokens. */
  tokenTexts(ids: number[]): string[] {
    return ids.map((id) => this.tokenizer.decode([id], { skip_special_tokens: false }));
  }

  private decode(ids: number[]): string {
    const kept = ids.filter((id) => !this.eosIds.has(id));
    // The tokenizer throws on an empty list, which a completion that starts with EOS leaves.
    return kept.length === 0 ? "" : this.tokenizer.decode(kept, { skip_special_tokens: true });
  }

  async countTokens(text: string): Promise<number> {
    return this.encode(text, false).length;
  }

  maxPromptChars(): number | null {
    const ctx = this.info.contextLength;
    return ctx === null || this.maxTokenChars === null ? null : (ctx - 1) * this.maxTokenChars;
  }

  /** Tokenizes only a prefix of a long text (bounded-tokens.ts): the cost follows the part kept. */
  async truncateToTokens(text: string, maxTokens: number): Promise<string> {
    const ids = await leadingTokens(text, (prefix) => this.encode(prefix, false), Math.max(0, maxTokens));
    if (ids === null) return text;
    // A cut inside a multi-byte character decodes to U+FFFD: drop it.
    return this.decode(ids).replace(/\uFFFD+$/, "");
  }

  /**
   * A prompt's ids, refused before it is tokenized in full when it cannot fit the context: by its length
   * in characters, then by a count in slices that leaves the event loop free (bounded-tokens.ts).
   */
  private async encodePrompt(text: string, templated: boolean): Promise<number[]> {
    const ctx = this.info.contextLength;
    if (ctx !== null) {
      // The bound by characters is the one maxPromptChars() reports.
      const v = await checkTokenLimit(text, (slice) => this.encode(slice, true).length, ctx - 1, this.maxTokenChars);
      if (!v.fits)
        throw new PolicyError(
          "invalid_request",
          v.atLeast === null
            ? `prompt of ${v.chars} characters cannot fit the model's context of ${ctx} tokens (a token covers at most ${this.maxTokenChars} characters)`
            : `prompt of more than ${v.atLeast} tokens does not fit the model's context of ${ctx}`,
        );
    }
    const ids = this.encode(text, templated);
    if (ids.length === 0) throw new PolicyError("invalid_request", "empty prompt");
    if (ctx !== null && ids.length >= ctx)
      throw new PolicyError(
        "invalid_request",
        `prompt of ${ids.length} tokens does not fit the model's context of ${ctx}`,
      );
    return ids;
  }

  async generate(prompts: Prompt[], options: GenerateOptions = {}): Promise<GenerationResult[]> {
    const n = options.n ?? DEFAULT_GENERATE.n;
    const baseSeed = options.seed ?? Math.floor(Math.random() * 2 ** 32);
    const ctx = this.info.contextLength;
    const { signal } = options;
    const encoded: { text: string; ids: number[] }[] = [];
    for (const p of prompts) {
      if (signal?.aborted) throw new Cancelled();
      const text = this.render(p);
      encoded.push({
        text,
        ids: await this.encodePrompt(text, typeof p !== "string" && !!this.tokenizer.chat_template),
      });
    }
    if (signal?.aborted) throw new Cancelled();
    const pending = encoded.flatMap(({ ids }, prompt) =>
      Array.from({ length: n }, (_, sample) => {
        const wanted = options.maxTokens ?? DEFAULT_GENERATE.maxTokens;
        return this.queue.push(
          {
            promptIds: ids,
            // Positions past the context would read outside the position table.
            maxTokens: ctx === null ? wanted : Math.min(wanted, ctx - ids.length),
            temperature: options.temperature ?? DEFAULT_GENERATE.temperature,
            topP: options.topP ?? DEFAULT_GENERATE.topP,
            stop: options.stop ?? [],
            seed: mixSeed(baseSeed, prompt, sample),
            topK: Math.max(0, Math.min(options.topLogprobs ?? 0, 20)),
            onText: options.onToken ? (piece) => options.onToken!({ prompt, sample, ...piece }) : undefined,
            signal,
          },
          signal,
        );
      }),
    );
    let done: Completion[];
    try {
      done = await Promise.all(pending);
    } catch (err) {
      // Rows still queued leave at once; rows being decoded leave their batch at its next step.
      if (signal?.aborted) throw new Cancelled();
      throw err;
    }
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
    this.swaps++;
    this.current = { session: next, users: 0, retired: false, swaps: this.swaps };
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
      const version: PolicyVersion = {
        backend: this.info.backend,
        model: this.info.model,
        weightsHash: await this.weightsHash(),
        swaps: lease.swaps,
      };
      return (await this.decodeBatch(lease.session, rows)).map((c) => ({ ...c, version }));
    } finally {
      lease.users--;
      if (lease.retired && lease.users === 0) await lease.session.release();
    }
  }

  /**
   * Left-padded batched decoding with the KV cache; each row stops at its own EOS, stop string or length.
   * A row whose signal fired leaves the batch before the next step (its cache rows are dropped), so a
   * gone caller costs nothing more; the loop ends when no row is left. Rows with the same prompt share
   * one prefill: its cache is copied to each of them, so K samples of a question cost one prompt's
   * forward pass, not K (the prompt is most of the tokens an answer's rows see).
   */
  private async decodeBatch(session: RawSession, rows: Row[]): Promise<Completion[]> {
    const B = rows.length;
    const L = Math.max(...rows.map((r) => r.promptIds.length));
    const capacity = L + Math.max(...rows.map((r) => r.maxTokens)) + 1;
    // Per row: its padded prompt, positions and attention mask (grown by one each step).
    const padded = rows.map((r) => {
      const off = L - r.promptIds.length;
      const ids = new Array<number>(L).fill(this.padId);
      const pos = new Array<number>(L).fill(1);
      const mask = new BigInt64Array(capacity);
      r.promptIds.forEach((id, j) => {
        ids[off + j] = id;
        pos[off + j] = j;
        mask[off + j] = 1n;
      });
      return { ids, pos, mask };
    });
    const nextPos = rows.map((r) => r.promptIds.length);
    const last = new Array<number>(B).fill(this.padId);
    const wants = (name: string) => this.inputNames.includes(name);
    const emptyCache = (batch: number) => {
      const feeds: Record<string, ort.Tensor> = {};
      for (const meta of session.inputMetadata ?? []) {
        if (!KV_INPUT.test(meta.name)) continue;
        const dims = (meta.shape ?? []).map((d) => (typeof d === "number" ? d : d === "batch_size" ? batch : 0));
        feeds[meta.name] = new ort.Tensor(
          (meta.type ?? "float32") as "float32",
          meta.type === "float16" ? new Uint16Array(0) : new Float32Array(0),
          dims,
        );
      }
      return feeds;
    };
    const rngs = rows.map((r) => createRng(r.seed));
    const out: DecodeState[] = rows.map((r) => ({
      tokens: [],
      logprobs: [],
      top: r.topK > 0 ? [] : null,
      finish: null,
      emitted: 0,
      sent: 0,
    }));
    const stopWindow = rows.map((r) =>
      r.stop.length ? Math.max(...r.stop.map((s) => new TextEncoder().encode(s).length)) + 1 : 0,
    );
    let lp = new Float64Array(0);
    let scratch = new Float64Array(0);
    let width = L;
    // Batch position -> row; rows leave it when their caller goes away.
    let active = rows.map((_, b) => b);
    let past: Record<string, ort.Tensor> = {};
    for (let step = 0; ; step++) {
      // Rows whose caller went away stop sampling at once. Finished rows leave the batch (and its cache)
      // once a quarter of it has finished: a batch then costs about what its unfinished rows cost, not
      // rows × its longest row, and the cache, copied at each compaction, is copied a few times per batch
      // rather than once per finished row (which cost more than it saved on a batch of 80 rows).
      for (const b of active) if (rows[b]!.signal?.aborted) out[b]!.finish ??= "stop";
      const staying = active.filter((b) => !out[b]!.finish);
      if (staying.length > 0 && (active.length - staying.length) * 4 >= active.length) {
        // A cache whose first axis is not the batch cannot shrink (null): its finished rows just stop sampling.
        const kept = dropRows(past, active, staying);
        if (kept) {
          past = kept;
          active = staying;
        }
      }
      if (active.length === 0 || active.every((b) => out[b]!.finish)) break;
      const A = active.length;
      // The prefill runs each distinct prompt once (an item's K samples and its greedy answer share one):
      // `fed` are the batch rows the model sees, `source[i]` the one active row i reads its logits from.
      const prefill = step === 0 && cacheByBatch(session) ? sharePrefill(rows, active) : null;
      const fed = prefill?.fed ?? active;
      const source = prefill?.source ?? null;
      const F = fed.length;
      if (step === 0) this.prefilled += F;
      const feeds: Record<string, ort.Tensor> =
        step === 0
          ? {
              ...emptyCache(F),
              input_ids: int64(
                fed.flatMap((b) => padded[b]!.ids),
                [F, L],
              ),
            }
          : {
              ...past,
              input_ids: int64(
                active.map((b) => last[b]!),
                [A, 1],
              ),
            };
      const mask = new BigInt64Array(F * width);
      for (const [i, b] of fed.entries()) mask.set(padded[b]!.mask.subarray(0, width), i * width);
      feeds.attention_mask = new ort.Tensor("int64", mask, [F, width]);
      if (wants("position_ids"))
        feeds.position_ids =
          step === 0
            ? int64(
                fed.flatMap((b) => padded[b]!.pos),
                [F, L],
              )
            : int64(
                active.map((b) => nextPos[b]! - 1),
                [A, 1],
              );
      if (wants("num_logits_to_keep")) feeds.num_logits_to_keep = new ort.Tensor("int64", BigInt64Array.of(1n), []);
      if (wants("use_cache_branch"))
        feeds.use_cache_branch = new ort.Tensor("bool", Uint8Array.of(step > 0 ? 1 : 0), [1]);
      const result = await session.run(feeds);
      this.steps++;
      const logits = result.logits;
      if (!logits) throw new PolicyError("bad_response", "the model has no `logits` output");
      const [, S, V] = logits.dims as number[];
      const data = floatData(logits);
      if (lp.length !== V) {
        lp = new Float64Array(V!);
        scratch = new Float64Array(V!);
      }
      active.forEach((b, i) => {
        const r = rows[b]!;
        const o = out[b]!;
        last[b] = this.padId;
        if (o.finish) return;
        logSoftmax(data, ((source ? source[i]! : i) * S! + S! - 1) * V!, V!, lp);
        const token = sampleToken(lp, r, () => rngs[b]!.next(), scratch);
        last[b] = token;
        o.tokens.push(token);
        o.logprobs.push(lp[token]!);
        o.top?.push(topOf(lp, r.topK));
        if (this.eosIds.has(token)) o.finish = "stop";
        else if (stopWindow[b]! > 0 && r.stop.some((s) => this.decode(o.tokens.slice(-stopWindow[b]! - 1)).includes(s)))
          o.finish = "stop";
        else if (o.tokens.length >= r.maxTokens) o.finish = "length";
        if (r.onText && !o.finish) this.stream(r, o);
      });
      if (active.every((b) => out[b]!.finish)) break;
      past = {};
      for (const name of session.outputNames) {
        if (name.startsWith("present")) past[name.replace(/^present/, "past_key_values")] = result[name]!;
      }
      if (source) {
        // cacheByBatch said every cache tensor's first axis is the batch, so the rows can be copied.
        past = gatherRows(past, source)!;
      }
      for (const b of active) {
        padded[b]!.mask[width] = 1n;
        nextPos[b]!++;
      }
      width++;
    }
    return rows.map((r, b) => {
      const o = out[b]!;
      let text = this.decode(o.tokens);
      for (const s of r.stop) {
        const at = text.indexOf(s);
        if (at !== -1) text = text.slice(0, at);
      }
      if (r.onText && !r.signal?.aborted && (text.length > o.emitted || o.tokens.length > o.sent))
        r.onText(piece(o, text.slice(o.emitted)));
      return {
        text,
        tokenIds: o.tokens,
        logprobs: o.logprobs,
        finishReason: o.finish!,
        ...(o.top ? { topLogprobs: o.top } : {}),
      };
    });
  }

  /** Emits newly decoded text, holding back an unfinished character and a possible stop-string prefix. */
  private stream(r: Row, o: DecodeState): void {
    const text = this.decode(o.tokens).replace(/\uFFFD+$/, "");
    const holdBack = r.stop.length ? Math.max(...r.stop.map((s) => s.length)) - 1 : 0;
    const upTo = text.length - holdBack;
    if (upTo > o.emitted) {
      const at = o.emitted;
      o.emitted = upTo;
      r.onText!(piece(o, text.slice(at, upTo)));
    }
  }
}

/**
 * The KV cache with only the rows that stay (batch positions `from` -> `to`, a subset in order); null
 * when a tensor's first axis is not the batch. An empty cache (before the first step) needs nothing.
 */
function dropRows(
  past: Record<string, ort.Tensor>,
  from: readonly number[],
  to: readonly number[],
): Record<string, ort.Tensor> | null {
  const at = new Map(from.map((b, i) => [b, i]));
  return gatherRows(
    past,
    to.map((b) => at.get(b)!),
    from.length,
  );
}

/**
 * Whether every KV-cache input's first axis is the batch (as transformers.js and Optimum exports name it),
 * so a shared prefill's cache rows can be copied to the rows that share its prompt.
 */
function cacheByBatch(session: RawSession): boolean {
  for (const meta of session.inputMetadata ?? [])
    if (KV_INPUT.test(meta.name) && meta.shape?.[0] !== "batch_size") return false;
  return true;
}

/**
 * A cache whose row i is row `source[i]` of `past` (rows may repeat: a shared prefill fans out); null when
 * a tensor's first axis is not the batch (`batch` rows, when known).
 */
function gatherRows(
  past: Record<string, ort.Tensor>,
  source: readonly number[],
  batch?: number,
): Record<string, ort.Tensor> | null {
  const out: Record<string, ort.Tensor> = {};
  for (const [name, t] of Object.entries(past)) {
    const [first, ...rest] = t.dims as number[];
    if (first === undefined || (batch !== undefined && first !== batch) || source.some((j) => j >= first)) return null;
    const stride = rest.reduce((a, d) => a * d, 1);
    const src = t.data as Float32Array | Uint16Array;
    const data = new (src.constructor as Float32ArrayConstructor | Uint16ArrayConstructor)(source.length * stride);
    source.forEach((j, i) => {
      data.set(src.subarray(j * stride, (j + 1) * stride), i * stride);
    });
    out[name] = new ort.Tensor(t.type as "float32", data as Float32Array, [source.length, ...rest]);
  }
  return out;
}

/**
 * The prefill's batch: the first active row of each distinct prompt (`fed`), and for each active row the
 * position in `fed` of the row whose prompt it shares (`source`); null when no two rows share a prompt.
 */
function sharePrefill(rows: readonly Row[], active: readonly number[]): { fed: number[]; source: number[] } | null {
  const at = new Map<string, number>();
  const fed: number[] = [];
  const source = active.map((b) => {
    const key = rows[b]!.promptIds.join(",");
    let i = at.get(key);
    if (i === undefined) {
      i = fed.push(b) - 1;
      at.set(key, i);
    }
    return i;
  });
  return fed.length < active.length ? { fed, source } : null;
}

/** One row's decoding so far; `emitted` counts streamed characters, `sent` streamed tokens. */
interface DecodeState {
  tokens: number[];
  logprobs: number[];
  top: TopLogprob[][] | null;
  finish: FinishReason | null;
  emitted: number;
  sent: number;
}

/** A streaming event's payload: `text`, and the tokens not yet sent with an earlier event. */
function piece(o: DecodeState, text: string): StreamPiece {
  const from = o.sent;
  o.sent = o.tokens.length;
  return {
    text,
    tokenIds: o.tokens.slice(from),
    logprobs: o.logprobs.slice(from),
    ...(o.top ? { topLogprobs: o.top.slice(from) } : {}),
  };
}

/** The k most likely tokens of a log-prob row, most likely first (ties: lower id first). */
export function topOf(lp: Float64Array, k: number): TopLogprob[] {
  const best: TopLogprob[] = [];
  for (let v = 0; v < lp.length; v++) {
    const x = lp[v]!;
    if (best.length === k && x <= best[k - 1]!.logprob) continue;
    let at = best.length;
    while (at > 0 && best[at - 1]!.logprob < x) at--;
    best.splice(at, 0, { id: v, logprob: x });
    if (best.length > k) best.pop();
  }
  return best;
}
