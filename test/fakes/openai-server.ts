/**
 * A small OpenAI-compatible server on loopback for tests: it answers /v1/models,
 * /v1/completions and /v1/chat/completions with deterministic text, per-token log-probs
 * and vLLM-style `token_id:N` tokens, and can be told to misbehave.
 */

export type FakeMode =
  | { kind: "ok" }
  | { kind: "fail-then-ok"; failures: number; status?: number }
  | { kind: "status"; status: number }
  | { kind: "garbage" }
  | { kind: "wrong-shape" }
  | { kind: "too-few-choices" }
  | { kind: "slow"; delayMs: number };

export type Reply = (prompt: string, choice: number, body: Record<string, unknown>) => string;

export interface FakeOpenAIServer {
  url: string;
  requests: { path: string; body: Record<string, unknown> }[];
  /** Most requests that were in flight at the same time. */
  maxInFlight: number;
  setMode(mode: FakeMode): void;
  /** Makes every completion answer this text instead of the default echo (`body`: the request's JSON). */
  setReply(reply: Reply | null): void;
  stop(): Promise<void>;
}

function completionText(prompt: string, choice: number): string {
  return `answer ${choice} to ${prompt.length} chars: \\boxed{${choice}}`;
}

export function startFakeOpenAI(options: { delayMs?: number; model?: string } = {}): FakeOpenAIServer {
  let mode: FakeMode = { kind: "ok" };
  let reply: Reply | null = null;
  let failuresLeft = 0;
  let inFlight = 0;
  const state = { maxInFlight: 0 };
  const requests: FakeOpenAIServer["requests"] = [];
  const model = options.model ?? "fake-model";

  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const path = new URL(req.url).pathname;
      const body = req.method === "POST" ? ((await req.json()) as Record<string, unknown>) : {};
      requests.push({ path, body });
      inFlight++;
      state.maxInFlight = Math.max(state.maxInFlight, inFlight);
      try {
        if (options.delayMs) await Bun.sleep(options.delayMs);
        if (path === "/v1/models") return Response.json({ object: "list", data: [{ id: model, object: "model" }] });
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
          return chat
            ? {
                index: i,
                message: { role: "assistant", content: text },
                finish_reason,
                logprobs: { content: tokens.map((token, t) => ({ token, logprob: logprobs[t] })) },
              }
            : { index: i, text, finish_reason, logprobs: { tokens, token_logprobs: logprobs } };
        });
        return Response.json({
          id: "cmpl-fake",
          object: chat ? "chat.completion" : "text_completion",
          model,
          choices: choices.reverse(),
        });
      } finally {
        inFlight--;
      }
    },
  });

  return {
    url: `http://127.0.0.1:${server.port}`,
    requests,
    get maxInFlight() {
      return state.maxInFlight;
    },
    setMode(m) {
      mode = m;
      failuresLeft = m.kind === "fail-then-ok" ? m.failures : 0;
    },
    setReply(r) {
      reply = r;
    },
    async stop() {
      await server.stop(true);
    },
  };
}
