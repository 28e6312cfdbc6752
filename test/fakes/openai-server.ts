/**
 * A small OpenAI-compatible server on loopback for tests: it answers /v1/models,
 * /v1/completions and /v1/chat/completions with deterministic text, per-token log-probs
 * and vLLM-style `token_id:N` tokens, and can be told to misbehave. For pool tests and the
 * pool benchmark each instance has its own latency (a fixed time per generated token), a
 * concurrency cap (requests past it queue, as a vLLM server's scheduler queues them), and can
 * be killed (connections dropped) and restarted on the same port.
 */

export type FakeMode =
  | { kind: "ok" }
  | { kind: "fail-then-ok"; failures: number; status?: number }
  | { kind: "status"; status: number }
  | { kind: "garbage" }
  | { kind: "wrong-shape" }
  | { kind: "too-few-choices" }
  | { kind: "slow"; delayMs: number }
  /** Nothing answers, the models list included, as a wedged server. */
  | { kind: "hang" };

export interface FakeOptions {
  /** Wait before answering anything (models list included). */
  delayMs?: number;
  /** The served model name (the first of `models`). */
  model?: string;
  /** Every model listed by GET /v1/models; by default only `model`. */
  models?: string[];
  /** Time per generated token of a completion request: its choices decode together, so the longest one counts. */
  msPerToken?: number;
  /** Completion requests decoded at once; the rest wait in arrival order. */
  maxConcurrent?: number;
  /** Sent as `system_fingerprint` with every completion. */
  fingerprint?: string;
  /** The bearer token the server requires, when set. */
  apiKey?: string;
  /** A fixed port (a restarted server keeps its port anyway). */
  port?: number;
  /** Answer 404 (vLLM's shape) for a model it does not list; by default any name is served. */
  checkModel?: boolean;
}

export type Reply = (prompt: string, choice: number, body: Record<string, unknown>) => string;

export interface FakeOpenAIServer {
  url: string;
  port: number;
  requests: { path: string; body: Record<string, unknown> }[];
  /** Most requests that were in flight at the same time (queued ones included). */
  maxInFlight: number;
  /** Requests whose client hung up before the answer. */
  disconnects: number;
  /** Completion requests being answered or queued right now. */
  readonly inFlight: number;
  /** Completion requests answered with a completion. */
  readonly served: number;
  /** Milliseconds of decoding done (sum over answered completion requests of tokens × msPerToken). */
  readonly busyMs: number;
  setMode(mode: FakeMode): void;
  /** Makes every completion answer this text instead of the default echo (`body`: the request's JSON). */
  setReply(reply: Reply | null): void;
  /** Changes the time per token (e.g. to make one replica slow mid-run). */
  setMsPerToken(ms: number): void;
  /** Drops every connection and stops listening, as a crashed server would. */
  kill(): Promise<void>;
  /** Listens again on the same port. */
  restart(): void;
  stop(): Promise<void>;
}

function completionText(prompt: string, choice: number): string {
  return `answer ${choice} to ${prompt.length} chars: \\boxed{${choice}}`;
}

export function startFakeOpenAI(options: FakeOptions = {}): FakeOpenAIServer {
  let mode: FakeMode = { kind: "ok" };
  let reply: Reply | null = null;
  let failuresLeft = 0;
  let inFlight = 0;
  let decoding = 0;
  let msPerToken = options.msPerToken ?? 0;
  const queue: (() => void)[] = [];
  const state = { maxInFlight: 0, served: 0, busyMs: 0, disconnects: 0 };
  const requests: FakeOpenAIServer["requests"] = [];
  const models = options.models ?? [options.model ?? "fake-model"];
  const model = models[0]!;
  /** Bumped by kill(): work started before it never answers. */
  let epoch = 0;

  async function slot(): Promise<() => void> {
    const cap = options.maxConcurrent ?? Number.POSITIVE_INFINITY;
    if (decoding >= cap) await new Promise<void>((resolve) => queue.push(resolve));
    else decoding++;
    return () => {
      const next = queue.shift();
      if (next) next();
      else decoding--;
    };
  }

  async function handle(req: Request): Promise<Response> {
    const path = new URL(req.url).pathname;
    const body = req.method === "POST" ? ((await req.json()) as Record<string, unknown>) : {};
    requests.push({ path, body });
    if (options.apiKey && req.headers.get("authorization") !== `Bearer ${options.apiKey}`)
      return Response.json(
        { error: { message: "bad key", type: "invalid_request_error", param: null, code: "invalid_api_key" } },
        { status: 401 },
      );
    if (options.delayMs) await Bun.sleep(options.delayMs);
    if (mode.kind === "hang") await Bun.sleep(30_000);
    if (path === "/v1/models")
      return Response.json({ object: "list", data: models.map((id) => ({ id, object: "model" })) });
    if (mode.kind === "fail-then-ok" && failuresLeft > 0) {
      failuresLeft--;
      return new Response("overloaded", { status: mode.status ?? 503 });
    }
    if (mode.kind === "status") return Response.json({ error: { message: "nope" } }, { status: mode.status });
    if (mode.kind === "garbage")
      return new Response("<html>not an API</html>", { headers: { "content-type": "text/html" } });
    if (mode.kind === "wrong-shape") return Response.json({ result: "hello" });
    if (mode.kind === "slow") await Bun.sleep(mode.delayMs);
    const chat = path === "/v1/chat/completions";
    if (!chat && path !== "/v1/completions") return new Response("not found", { status: 404 });
    if (options.checkModel && !models.includes(String(body.model)))
      return Response.json(
        {
          error: {
            message: `The model \`${body.model}\` does not exist.`,
            type: "NotFoundError",
            param: null,
            code: 404,
          },
        },
        { status: 404 },
      );
    const prompt = chat ? JSON.stringify(body.messages) : String(body.prompt);
    const n = mode.kind === "too-few-choices" ? 0 : Number(body.n ?? 1);
    const maxTokens = Number(body.max_tokens ?? 16);
    const choices = Array.from({ length: n }, (_, i) => {
      const full = (reply ?? completionText)(prompt, i, body);
      const words = full.split(/(?<= )/);
      const kept = words.slice(0, maxTokens);
      const text = kept.join("");
      const finish_reason = kept.length < words.length ? "length" : "stop";
      const tokens = kept.map((_, t) => `token_id:${100 + t}`);
      const logprobs = kept.map((_, t) => -0.5 - t / 100);
      return {
        tokens: kept.length,
        choice: chat
          ? {
              index: i,
              message: { role: "assistant", content: text },
              finish_reason,
              logprobs: { content: tokens.map((token, t) => ({ token, logprob: logprobs[t] })) },
            }
          : { index: i, text, finish_reason, logprobs: { tokens, token_logprobs: logprobs } },
      };
    });
    const started = epoch;
    const done = await slot();
    try {
      const work = msPerToken * Math.max(0, ...choices.map((c) => c.tokens));
      if (work > 0) await Bun.sleep(work);
      if (epoch !== started) return new Response("killed", { status: 503 });
      state.busyMs += work;
    } finally {
      done();
    }
    state.served++;
    return Response.json({
      id: "cmpl-fake",
      object: chat ? "chat.completion" : "text_completion",
      model,
      ...(options.fingerprint ? { system_fingerprint: options.fingerprint } : {}),
      choices: choices.map((c) => c.choice).reverse(),
    });
  }

  const serve = (port: number) =>
    Bun.serve({
      hostname: "127.0.0.1",
      port,
      async fetch(req) {
        req.signal.addEventListener("abort", () => state.disconnects++, { once: true });
        inFlight++;
        state.maxInFlight = Math.max(state.maxInFlight, inFlight);
        try {
          return await handle(req);
        } finally {
          inFlight--;
        }
      },
    });

  let server = serve(options.port ?? 0);
  const port = server.port!;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    get maxInFlight() {
      return state.maxInFlight;
    },
    get disconnects() {
      return state.disconnects;
    },
    get inFlight() {
      return inFlight;
    },
    get served() {
      return state.served;
    },
    get busyMs() {
      return state.busyMs;
    },
    setMode(m) {
      mode = m;
      failuresLeft = m.kind === "fail-then-ok" ? m.failures : 0;
    },
    setReply(r) {
      reply = r;
    },
    setMsPerToken(ms) {
      msPerToken = ms;
    },
    async kill() {
      epoch++;
      await server.stop(true);
    },
    restart() {
      server = serve(port);
    },
    async stop() {
      await server.stop(true);
    },
  };
}
