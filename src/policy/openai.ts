import type { PoolMetrics } from "./pool-metrics.ts";
import { z } from "zod";
import { Cancelled } from "../errors.ts";
import { PolicySpecError } from "../errors.ts";
import { estimateTokens, truncateByEstimate } from "./estimate.ts";
import { PoolDown, type Replica, ReplicaPool } from "./pool.ts";
import { normaliseBaseUrl, splitUrls } from "./urls.ts";
import {
  type Completion,
  DEFAULT_GENERATE,
  type GenerateOptions,
  type GenerationResult,
  type Policy,
  type PolicyEndpoint,
  PolicyError,
  type PolicyInfo,
  type PolicyVersion,
  type Prompt,
  renderPlain,
  type TopLogprob,
} from "./types.ts";

/**
 * A policy served by OpenAI-compatible servers (vLLM, SGLang, llama.cpp server, Ollama): one base URL,
 * or several replicas of one model spread by a ReplicaPool (src/policy/pool.ts). `completions` mode
 * renders prompts itself and asks /v1/completions; `chat` mode sends the messages to
 * /v1/chat/completions so that the server applies its own chat template. docs/openai.md.
 */
export interface OpenAIPolicyOptions {
  /** A base URL, several comma-separated, or a list: replicas of one model. */
  baseUrl: string | string[];
  /** Model name; by default the only id listed by GET /v1/models (several listed: an error asks for one). */
  model?: string;
  apiKey?: string;
  endpoint?: PolicyEndpoint;
  /** Requests in flight at once per replica. */
  concurrency?: number;
  timeoutMs?: number;
  /** Extra attempts after a failure that may pass (network error, timeout, 429, 5xx), on another replica when there is one. */
  retries?: number;
  backoffMs?: number;
  contextLength?: number | null;
  /** vLLM's `return_tokens_as_token_ids`, which lets the learner have token ids; other servers ignore it. */
  requestTokenIds?: boolean;
  /** Failed requests in a row that take a replica out of the pool. */
  failuresToEject?: number;
  /** Health probe period (GET /v1/models of every replica); 0 turns periodic probes off. */
  probeIntervalMs?: number;
  probeTimeoutMs?: number;
  /** The pool's per-replica Prometheus metrics (pool-metrics.ts). */
  metrics?: PoolMetrics;
}

const tokenLogprob = z.object({
  token: z.string().optional(),
  id: z.number().int().optional(),
  logprob: z.number(),
  top_logprobs: z
    .array(z.object({ token: z.string().optional(), id: z.number().int().optional(), logprob: z.number() }))
    .nullable()
    .optional(),
});
const logprobsSchema = z
  .object({
    tokens: z.array(z.string()).optional(),
    token_logprobs: z.array(z.number().nullable()).optional(),
    top_logprobs: z.array(z.record(z.string(), z.number()).nullable()).nullable().optional(),
    content: z.array(tokenLogprob).nullable().optional(),
  })
  .nullable()
  .optional();
const choiceSchema = z.object({
  index: z.number().int().optional(),
  text: z.string().optional(),
  message: z.object({ content: z.string().nullable().optional() }).optional(),
  finish_reason: z.string().nullable().optional(),
  logprobs: logprobsSchema,
});
const responseSchema = z.object({
  choices: z.array(choiceSchema),
  system_fingerprint: z.string().nullable().optional(),
});
const modelsSchema = z.object({ data: z.array(z.object({ id: z.string() })) });

type Choice = z.infer<typeof choiceSchema>;

const TOKEN_ID = /^token_id:(\d+)$/;
const idOf = (token: string | undefined, id?: number): number | null => {
  if (id !== undefined) return id;
  const m = TOKEN_ID.exec(token ?? "");
  return m ? Number(m[1]) : null;
};

/** Alternatives with readable ids only (vLLM's `token_id:N` tokens); null when any is not one. */
function topOf(entries: Array<{ token?: string; id?: number; logprob: number }>): TopLogprob[] | null {
  const out: TopLogprob[] = [];
  for (const e of entries) {
    const id = idOf(e.token, e.id);
    if (id === null) return null;
    out.push({ id, logprob: e.logprob });
  }
  return out.sort((a, b) => b.logprob - a.logprob);
}

/** Web-standard (no Bun.sleep): the edge build runs this client on Deno, workerd and Node too. */
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function toCompletion(choice: Choice, chat: boolean, wantTop: boolean, version: PolicyVersion): Completion {
  const text = (chat ? choice.message?.content : choice.text) ?? "";
  const lp = choice.logprobs;
  let tokenIds: number[] | null = null;
  let logprobs: number[] | null = null;
  let topLogprobs: TopLogprob[][] | null = null;
  if (lp?.content) {
    logprobs = lp.content.map((t) => t.logprob);
    const ids = lp.content.map((t) => idOf(t.token, t.id));
    tokenIds = ids.every((id) => id !== null) ? (ids as number[]) : null;
    if (wantTop) {
      const tops = lp.content.map((t) => topOf(t.top_logprobs ?? []));
      topLogprobs = tops.every((t) => t !== null) ? (tops as TopLogprob[][]) : null;
    }
  } else if (lp?.token_logprobs && lp.tokens) {
    logprobs = lp.token_logprobs.map((v) => v ?? 0);
    const ids = lp.tokens.map((t) => idOf(t));
    tokenIds = ids.every((id) => id !== null) ? (ids as number[]) : null;
    if (wantTop && lp.top_logprobs) {
      const tops = lp.top_logprobs.map((d) =>
        topOf(Object.entries(d ?? {}).map(([token, logprob]) => ({ token, logprob }))),
      );
      topLogprobs = tops.every((t) => t !== null) ? (tops as TopLogprob[][]) : null;
    }
  }
  return {
    text,
    tokenIds,
    logprobs,
    finishReason: choice.finish_reason === "length" ? "length" : "stop",
    ...(wantTop ? { topLogprobs } : {}),
    version,
  };
}

/** Whether a failed attempt is worth repeating, and whether it says something about the replica's health. */
class Retryable extends Error {
  constructor(
    readonly kind: "unavailable" | "timeout",
    message: string,
    /** The replica is gone (connection refused): take it out at once. */
    readonly gone = false,
    /** False for 429: the replica is busy, not broken. */
    readonly counts = true,
  ) {
    super(message);
  }
}

export class OpenAIPolicy implements Policy {
  readonly info: PolicyInfo;
  readonly pool: ReplicaPool;
  private readonly base: string;
  private readonly opts: Required<
    Pick<OpenAIPolicyOptions, "endpoint" | "timeoutMs" | "retries" | "backoffMs" | "requestTokenIds">
  >;
  private model: Promise<string> | null;
  private revision: string | undefined;

  constructor(private readonly options: OpenAIPolicyOptions) {
    const urls = splitUrls(options.baseUrl).map(normaliseBaseUrl);
    if (urls.length === 0) throw new PolicySpecError("an OpenAI-compatible policy needs at least one base URL");
    this.base = urls.join(",");
    this.opts = {
      endpoint: options.endpoint ?? "completions",
      timeoutMs: options.timeoutMs ?? 120_000,
      retries: options.retries ?? 3,
      backoffMs: options.backoffMs ?? 250,
      requestTokenIds: options.requestTokenIds ?? true,
    };
    this.pool = new ReplicaPool({
      urls,
      maxInFlight: options.concurrency ?? 8,
      failuresToEject: options.failuresToEject,
      probeIntervalMs: options.probeIntervalMs,
      probeTimeoutMs: options.probeTimeoutMs,
      probe: (r, signal) => this.probe(r, signal),
      ...(options.metrics ? { metrics: options.metrics } : {}),
    });
    this.model = options.model ? Promise.resolve(options.model) : null;
    this.info = { backend: "openai", model: options.model ?? this.base, contextLength: options.contextLength ?? null };
  }

  render(prompt: Prompt): string {
    return renderPlain(prompt);
  }

  async countTokens(text: string): Promise<number> {
    return estimateTokens(text);
  }

  async truncateToTokens(text: string, maxTokens: number): Promise<string> {
    return truncateByEstimate(text, maxTokens);
  }

  async close(): Promise<void> {
    this.pool.close();
  }

  /** The model the servers serve (asked once), and the revision the last answer reported; a remote server's weights are not ours to hash. */
  async version(): Promise<PolicyVersion> {
    return { backend: this.info.backend, model: await this.modelName(), ...this.revisionField() };
  }

  /** With `options.signal`, a cancelled call aborts its requests in flight and sends no more. */
  async generate(prompts: Prompt[], options: GenerateOptions = {}): Promise<GenerationResult[]> {
    const { signal } = options;
    // The model lookup is shared by concurrent calls: one caller leaving must not fail the others'.
    const model = await untilAborted(this.modelName(), signal);
    return Promise.all(
      prompts.map(async (p, i) => {
        if (signal?.aborted) throw new Cancelled();
        return this.generateOne(model, p, i, options);
      }),
    );
  }

  private revisionField(): { revision?: string } {
    return this.revision ? { revision: this.revision } : {};
  }

  /** The explicit model, or the only one the servers list; several listed is an error that asks for a name. */
  private modelName(signal?: AbortSignal): Promise<string> {
    this.model ??= this.request("GET", "/models", undefined, signal).then(({ json, replica }) => {
      const parsed = modelsSchema.safeParse(json);
      if (!parsed.success || parsed.data.data.length === 0)
        throw new PolicyError("bad_response", `${replica.url}/models did not list any model`);
      const ids = parsed.data.data.map((m) => m.id);
      if (ids.length > 1)
        throw new PolicySpecError(
          `${replica.url} serves ${ids.length} models (${ids.join(", ")}): name one with SPICE_POLICY_MODEL / --policy-model (or "model" in challenger_policy)`,
        );
      this.info.model = ids[0]!;
      return ids[0]!;
    });
    this.model.catch(() => (this.model = null)); // a failed lookup must not stick
    return this.model;
  }

  /** Health: the replica lists models, and the chosen one among them once it is known. */
  private async probe(r: Replica, signal: AbortSignal): Promise<void> {
    const res = await fetch(`${r.url}/models`, { headers: this.headers(), signal });
    if (!res.ok) throw new Error(`GET /models answered ${res.status}`);
    const parsed = modelsSchema.safeParse(await res.json().catch(() => null));
    if (!parsed.success) throw new Error("GET /models did not answer a model list");
    const wanted = this.options.model ?? (this.info.model !== this.base ? this.info.model : null);
    const ids = parsed.data.data.map((m) => m.id);
    if (wanted !== null && !ids.includes(wanted))
      throw new Error(`it does not serve model "${wanted}" (it lists: ${ids.join(", ") || "nothing"})`);
  }

  private headers(): Record<string, string> {
    return {
      "content-type": "application/json",
      ...(this.options.apiKey ? { authorization: `Bearer ${this.options.apiKey}` } : {}),
    };
  }

  private async generateOne(
    model: string,
    prompt: Prompt,
    index: number,
    o: GenerateOptions,
  ): Promise<GenerationResult> {
    const chat = this.opts.endpoint === "chat";
    const n = o.n ?? DEFAULT_GENERATE.n;
    const top = Math.max(0, Math.min(o.topLogprobs ?? 0, 20));
    const rendered = this.render(prompt);
    const body: Record<string, unknown> = {
      model,
      n,
      temperature: o.temperature ?? DEFAULT_GENERATE.temperature,
      top_p: o.topP ?? DEFAULT_GENERATE.topP,
      max_tokens: o.maxTokens ?? DEFAULT_GENERATE.maxTokens,
      ...(o.stop?.length ? { stop: o.stop } : {}),
      ...(o.seed !== undefined ? { seed: o.seed + index } : {}),
      ...(chat
        ? {
            messages: typeof prompt === "string" ? [{ role: "user", content: prompt }] : prompt,
            logprobs: true,
            ...(top > 0 ? { top_logprobs: top } : {}),
          }
        : { prompt: rendered, logprobs: Math.max(1, top) }),
      ...(this.opts.requestTokenIds ? { return_tokens_as_token_ids: true } : {}),
    };
    const { json, replica } = await this.request("POST", chat ? "/chat/completions" : "/completions", body, o.signal);
    const parsed = responseSchema.safeParse(json);
    if (!parsed.success)
      throw new PolicyError(
        "bad_response",
        `${replica.url}: the answer is not an OpenAI completion (${parsed.error.issues[0]?.message ?? "bad shape"})`,
      );
    if (parsed.data.system_fingerprint) this.revision = parsed.data.system_fingerprint;
    const version: PolicyVersion = {
      backend: this.info.backend,
      model,
      ...(parsed.data.system_fingerprint ? { revision: parsed.data.system_fingerprint } : {}),
    };
    const choices = [...parsed.data.choices].sort((a, b) => (a.index ?? 0) - (b.index ?? 0));
    if (choices.length !== n)
      throw new PolicyError("bad_response", `${replica.url}: asked for ${n} completions, got ${choices.length}`);
    const completions = choices.map((c) => toCompletion(c, chat, top > 0, version));
    for (const [sample, c] of completions.entries()) {
      o.onToken?.({
        prompt: index,
        sample,
        text: c.text,
        ...(c.tokenIds ? { tokenIds: c.tokenIds } : {}),
        ...(c.logprobs ? { logprobs: c.logprobs } : {}),
        ...(c.topLogprobs ? { topLogprobs: c.topLogprobs } : {}),
      });
    }
    return { prompt: chat ? JSON.stringify(body.messages) : rendered, promptTokenIds: null, completions };
  }

  /**
   * One HTTP exchange on a replica of the pool, with retries: a retryable failure goes to another
   * replica when one is healthy, else waits an exponential back-off. Returns the parsed JSON body.
   */
  private async request(
    method: string,
    path: string,
    body: unknown,
    signal?: AbortSignal,
  ): Promise<{ json: unknown; replica: Replica }> {
    const tried = new Set<Replica>();
    let last: { kind: "unavailable" | "timeout"; message: string } | null = null;
    for (let attempt = 0; attempt <= this.opts.retries; attempt++) {
      const elsewhere = this.pool.replicas.some((r) => r.healthy && !tried.has(r));
      if (attempt > 0 && !elsewhere) await sleep(this.opts.backoffMs * 2 ** (attempt - 1) * (0.5 + Math.random() / 2));
      if (signal?.aborted) throw new Cancelled();
      let replica: Replica;
      try {
        replica = await this.pool.acquire(tried, signal);
      } catch (e) {
        if (signal?.aborted) throw new Cancelled();
        if (!(e instanceof PoolDown)) throw e;
        last = { kind: "unavailable", message: e.message };
        continue;
      }
      const t0 = performance.now();
      const seconds = () => (performance.now() - t0) / 1000;
      try {
        const json = await this.attempt(method, `${replica.url}${path}`, body, replica, signal);
        this.pool.release(replica, { ok: true, seconds: seconds() });
        return { json, replica };
      } catch (e) {
        if (!(e instanceof Retryable)) {
          // A refusal is the request's fault, not the replica's; garbage is the replica's.
          const broken = e instanceof PolicyError && e.kind === "bad_response";
          this.pool.release(replica, { ok: !broken, seconds: seconds(), error: (e as Error).message });
          throw e;
        }
        this.pool.release(replica, { ok: !e.counts, seconds: seconds(), error: e.message });
        if (e.gone) this.pool.markDown(replica, e.message);
        tried.add(replica);
        last = e;
      }
    }
    throw new PolicyError(last!.kind, `${last!.message} (after ${this.opts.retries + 1} attempts)`);
  }

  private async attempt(
    method: string,
    url: string,
    body: unknown,
    replica: Replica,
    signal?: AbortSignal,
  ): Promise<unknown> {
    const timeout = AbortSignal.timeout(this.opts.timeoutMs);
    const signals = [timeout, replica.signal, ...(signal ? [signal] : [])];
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: this.headers(),
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.any(signals),
      });
    } catch (e) {
      if (signal?.aborted) throw new Cancelled();
      if (timeout.aborted)
        throw new Retryable("timeout", `policy server ${url} did not answer within ${this.opts.timeoutMs} ms`);
      if (signal?.aborted) throw new Cancelled();
      if (replica.signal.aborted) throw new Retryable("unavailable", `${(replica.signal.reason as Error).message}`);
      const code = (e as { code?: string }).code ?? "";
      const gone = /ConnectionRefused|ECONNREFUSED/.test(code) || /Unable to connect/i.test((e as Error).message);
      throw new Retryable("unavailable", `policy server ${url} is unreachable: ${(e as Error).message}`, gone);
    }
    let text: string;
    try {
      text = await res.text();
    } catch {
      if (signal?.aborted) throw new Cancelled();
      throw new Retryable(timeout.aborted ? "timeout" : "unavailable", `policy server ${url} broke off its answer`);
    }
    const snippet = text.slice(0, 200).replace(/\s+/g, " ");
    if (res.status === 429 || res.status >= 500)
      throw new Retryable(
        "unavailable",
        `policy server ${url} answered ${res.status}: ${snippet}`,
        false,
        res.status !== 429,
      );
    if (!res.ok)
      throw new PolicyError("invalid_request", `policy server ${url} refused the request (${res.status}): ${snippet}`);
    try {
      return JSON.parse(text);
    } catch {
      throw new PolicyError(
        "bad_response",
        `policy server ${url} answered ${res.status} with something that is not JSON: ${snippet}`,
      );
    }
  }
}

/** `promise`, or `Cancelled` as soon as `signal` fires (the promise itself runs on for its other users). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(new Cancelled());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new Cancelled());
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
