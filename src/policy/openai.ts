import { z } from "zod";
import { estimateTokens, truncateByEstimate } from "./estimate.ts";
import { Semaphore } from "./semaphore.ts";
import {
  PolicyError,
  renderPlain,
  DEFAULT_GENERATE,
  type Completion,
  type GenerateOptions,
  type GenerationResult,
  type Policy,
  type PolicyBackend,
  type PolicyInfo,
  type PolicyVersion,
  type Prompt,
} from "./types.ts";

/**
 * A policy served by an OpenAI-compatible server (vLLM, SGLang, llama.cpp server, Ollama).
 * `completions` mode renders prompts itself and asks /v1/completions; `chat` mode sends the
 * messages to /v1/chat/completions so that the server applies its own chat template.
 */
export interface OpenAIPolicyOptions {
  baseUrl: string;
  /** Model name; by default the first id listed by GET /v1/models. */
  model?: string;
  apiKey?: string;
  endpoint?: "completions" | "chat";
  /** Requests in flight at once. */
  concurrency?: number;
  timeoutMs?: number;
  /** Extra attempts after a failure that may pass (network error, timeout, 429, 5xx). */
  retries?: number;
  backoffMs?: number;
  contextLength?: number | null;
  /** vLLM's `return_tokens_as_token_ids`, which lets the learner have token ids; other servers ignore it. */
  requestTokenIds?: boolean;
}

const tokenLogprob = z.object({ token: z.string().optional(), id: z.number().int().optional(), logprob: z.number() });
const logprobsSchema = z
  .object({
    tokens: z.array(z.string()).optional(),
    token_logprobs: z.array(z.number().nullable()).optional(),
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
const responseSchema = z.object({ choices: z.array(choiceSchema) });
const modelsSchema = z.object({ data: z.array(z.object({ id: z.string() })).min(1) });

type Choice = z.infer<typeof choiceSchema>;

const TOKEN_ID = /^token_id:(\d+)$/;

function toCompletion(choice: Choice, chat: boolean): Completion {
  const text = (chat ? choice.message?.content : choice.text) ?? "";
  const lp = choice.logprobs;
  let tokenIds: number[] | null = null;
  let logprobs: number[] | null = null;
  if (lp?.content) {
    logprobs = lp.content.map((t) => t.logprob);
    const ids = lp.content.map(
      (t) => t.id ?? (TOKEN_ID.exec(t.token ?? "")?.[1] !== undefined ? Number(TOKEN_ID.exec(t.token!)![1]) : null),
    );
    tokenIds = ids.every((id) => id !== null) ? (ids as number[]) : null;
  } else if (lp?.token_logprobs && lp.tokens) {
    logprobs = lp.token_logprobs.map((v) => v ?? 0);
    const ids = lp.tokens.map((t) => TOKEN_ID.exec(t)?.[1]);
    tokenIds = ids.every((id) => id !== undefined) ? ids.map(Number) : null;
  }
  return { text, tokenIds, logprobs, finishReason: choice.finish_reason === "length" ? "length" : "stop" };
}

/** Whether a failed attempt is worth repeating. */
class Retryable extends Error {
  constructor(
    readonly kind: "unavailable" | "timeout",
    message: string,
  ) {
    super(message);
  }
}

export class OpenAIPolicy implements Policy {
  readonly info: PolicyInfo;
  private readonly base: string;
  private readonly semaphore: Semaphore;
  private readonly opts: Required<Omit<OpenAIPolicyOptions, "model" | "apiKey" | "contextLength">>;
  private model: Promise<string> | null;

  constructor(private readonly options: OpenAIPolicyOptions) {
    const trimmed = options.baseUrl.replace(/\/+$/, "");
    this.base = /\/v1$/.test(trimmed) ? trimmed : `${trimmed}/v1`;
    this.opts = {
      baseUrl: this.base,
      endpoint: options.endpoint ?? "completions",
      concurrency: options.concurrency ?? 8,
      timeoutMs: options.timeoutMs ?? 120_000,
      retries: options.retries ?? 3,
      backoffMs: options.backoffMs ?? 250,
      requestTokenIds: options.requestTokenIds ?? true,
    };
    this.semaphore = new Semaphore(this.opts.concurrency);
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

  async close(): Promise<void> {}

  /** The model the server serves (asked once); a remote server's weights are not ours to hash. */
  async version(): Promise<PolicyVersion> {
    return { backend: this.info.backend, model: await this.modelName() };
  }

  async generate(prompts: Prompt[], options: GenerateOptions = {}): Promise<GenerationResult[]> {
    const model = await this.modelName(options.signal);
    return Promise.all(prompts.map((p, i) => this.semaphore.run(() => this.generateOne(model, p, i, options))));
  }

  private modelName(signal?: AbortSignal): Promise<string> {
    this.model ??= this.request("GET", "/models", undefined, signal).then((body) => {
      const parsed = modelsSchema.safeParse(body);
      if (!parsed.success) throw new PolicyError("bad_response", `${this.base}/models did not list any model`);
      return parsed.data.data[0]!.id;
    });
    this.model.catch(() => (this.model = null)); // a failed lookup must not stick
    return this.model;
  }

  private async generateOne(
    model: string,
    prompt: Prompt,
    index: number,
    o: GenerateOptions,
  ): Promise<GenerationResult> {
    const chat = this.opts.endpoint === "chat";
    const n = o.n ?? DEFAULT_GENERATE.n;
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
        ? { messages: typeof prompt === "string" ? [{ role: "user", content: prompt }] : prompt, logprobs: true }
        : { prompt: rendered, logprobs: 1 }),
      ...(this.opts.requestTokenIds ? { return_tokens_as_token_ids: true } : {}),
    };
    const json = await this.request("POST", chat ? "/chat/completions" : "/completions", body, o.signal);
    const parsed = responseSchema.safeParse(json);
    if (!parsed.success)
      throw new PolicyError(
        "bad_response",
        `${this.base}: the answer is not an OpenAI completion (${parsed.error.issues[0]?.message ?? "bad shape"})`,
      );
    const choices = [...parsed.data.choices].sort((a, b) => (a.index ?? 0) - (b.index ?? 0));
    if (choices.length !== n)
      throw new PolicyError("bad_response", `${this.base}: asked for ${n} completions, got ${choices.length}`);
    const completions = choices.map((c) => toCompletion(c, chat));
    for (const [sample, c] of completions.entries()) o.onToken?.({ prompt: index, sample, text: c.text });
    return { prompt: chat ? JSON.stringify(body.messages) : rendered, promptTokenIds: null, completions };
  }

  /** One HTTP exchange with retries and exponential back-off; returns the parsed JSON body. */
  private async request(method: string, path: string, body: unknown, signal?: AbortSignal): Promise<unknown> {
    const url = `${this.base}${path}`;
    let last: Retryable | null = null;
    for (let attempt = 0; attempt <= this.opts.retries; attempt++) {
      if (attempt > 0) await Bun.sleep(this.opts.backoffMs * 2 ** (attempt - 1) * (0.5 + Math.random() / 2));
      if (signal?.aborted) throw new PolicyError("unavailable", "request aborted");
      try {
        return await this.attempt(method, url, body, signal);
      } catch (e) {
        if (!(e instanceof Retryable)) throw e;
        last = e;
      }
    }
    throw new PolicyError(last!.kind, `${last!.message} (after ${this.opts.retries + 1} attempts)`);
  }

  private async attempt(method: string, url: string, body: unknown, signal?: AbortSignal): Promise<unknown> {
    const timeout = AbortSignal.timeout(this.opts.timeoutMs);
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: {
          "content-type": "application/json",
          ...(this.options.apiKey ? { authorization: `Bearer ${this.options.apiKey}` } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
    } catch (e) {
      if (timeout.aborted)
        throw new Retryable("timeout", `policy server ${url} did not answer within ${this.opts.timeoutMs} ms`);
      if (signal?.aborted) throw new PolicyError("unavailable", "request aborted");
      throw new Retryable("unavailable", `policy server ${url} is unreachable: ${(e as Error).message}`);
    }
    let text: string;
    try {
      text = await res.text();
    } catch {
      throw new Retryable(timeout.aborted ? "timeout" : "unavailable", `policy server ${url} broke off its answer`);
    }
    const snippet = text.slice(0, 200).replace(/\s+/g, " ");
    if (res.status === 429 || res.status >= 500)
      throw new Retryable("unavailable", `policy server ${url} answered ${res.status}: ${snippet}`);
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

/** The registry's entry for this backend (src/policy/registry.ts). */
export const openaiBackend: PolicyBackend = {
  name: "openai",
  accepts: "the http(s) URL of an OpenAI-compatible server",
  matches: (spec) => /^https?:\/\//.test(spec),
  open: async (spec) => new OpenAIPolicy({ baseUrl: spec }),
};
