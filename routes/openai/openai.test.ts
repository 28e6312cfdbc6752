import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { DEFAULT_POLICY } from "../../models/index.ts";
import { createApp } from "../../src/app.ts";
import { getPolicy } from "../../src/policy/index.ts";
import type { TransformersPolicy } from "../../src/policy/transformers.ts";
import type { GenerateOptions, Policy, Prompt } from "../../src/policy/types.ts";
import { testContext } from "../../test/helpers.ts";

/**
 * The official `openai` client against the real app on loopback, with the in-process policy (the
 * built spice-lm-tiny): every answer is checked against what the policy itself samples.
 */

const TOKEN = "openai-test-token-0123";
const ctx = testContext({ apiToken: TOKEN });
const app = createApp(ctx);
const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: app.fetch, idleTimeout: 60 });
const baseURL = `http://127.0.0.1:${server.port}/v1`;
const client = new OpenAI({ baseURL, apiKey: TOKEN, maxRetries: 0 });
let policy: Policy;

beforeAll(async () => {
  policy = await getPolicy(ctx);
});
afterAll(async () => {
  await server.stop(true);
  await ctx.close();
});

// The default policy (the committed trained model) serves under its folder name.
const MODEL = DEFAULT_POLICY;
/** vLLM's extra field, which the client passes through untyped. */
const asIds = { return_tokens_as_token_ids: true } as Record<string, unknown>;
const idsOf = (tokens: string[]) => tokens.map((t) => Number(/^token_id:(\d+)$/.exec(t)![1]));

async function direct(prompt: Prompt, o: GenerateOptions) {
  const [r] = await policy.generate([prompt], o);
  return r!;
}

describe("OpenAI-compatible endpoint (official openai client, real HTTP)", () => {
  test("GET /v1/models lists the served model", async () => {
    const page = await client.models.list();
    expect(page.data.map((m) => m.id)).toEqual([MODEL]);
    expect(page.data[0]).toMatchObject({ object: "model", owned_by: "spice", max_model_len: 1024 });
  });

  test("completions: n = 4 in one batch; logprobs carry the ids and log-probs the policy sampled", async () => {
    const params = { model: MODEL, prompt: "The cat", max_tokens: 12, n: 4, seed: 7, logprobs: 3, ...asIds };
    const batches = (policy as TransformersPolicy).batchSizes;
    const before = batches.length;
    const r = await client.completions.create(params as unknown as OpenAI.CompletionCreateParamsNonStreaming);
    expect(batches.slice(before)).toEqual([4]);
    expect(r.object).toBe("text_completion");
    expect(r.choices.map((c) => c.index)).toEqual([0, 1, 2, 3]);
    const mine = await direct("The cat", { n: 4, maxTokens: 12, seed: 7 });
    for (const [j, c] of r.choices.entries()) {
      const want = mine.completions[j]!;
      expect(c.text).toBe(want.text);
      expect(idsOf(c.logprobs!.tokens!)).toEqual(want.tokenIds!);
      for (const [k, lp] of c.logprobs!.token_logprobs!.entries()) expect(lp).toBeCloseTo(want.logprobs![k]!, 9);
      expect(c.finish_reason).toBe(want.finishReason);
      // Three alternatives per position, plus the sampled token when it is not among them.
      for (const [k, alts] of c.logprobs!.top_logprobs!.entries()) {
        expect(Object.keys(alts).length).toBeGreaterThanOrEqual(3);
        expect(alts[`token_id:${want.tokenIds![k]}`]).toBeCloseTo(want.logprobs![k]!, 9);
      }
    }
    const promptTokens = await policy.countTokens("The cat");
    const generated = mine.completions.reduce((s, c) => s + c.tokenIds!.length, 0);
    expect(r.usage).toEqual({
      prompt_tokens: promptTokens,
      completion_tokens: generated,
      total_tokens: promptTokens + generated,
    });
    const version = await policy.version!();
    expect(r.system_fingerprint).toBe(`fp_${version.weightsHash!.slice(0, 16)}_${version.swaps}`);
  });

  test("a list of prompts: choice index = prompt × n + sample; tokens as text without token ids", async () => {
    const r = await client.completions.create({ model: MODEL, prompt: ["A", "B b"], n: 2, max_tokens: 4, logprobs: 0 });
    expect(r.choices.map((c) => c.index)).toEqual([0, 1, 2, 3]);
    const tokens = r.choices[0]!.logprobs!.tokens!;
    expect(tokens.every((t) => !t.startsWith("token_id:"))).toBe(true);
    expect(r.choices[0]!.logprobs!.text_offset![0]).toBe(0);
  });

  test("seed: the same request repeats exactly, another seed differs", async () => {
    const ask = (seed: number) => client.completions.create({ model: MODEL, prompt: "Once", max_tokens: 16, seed });
    const [a, b, c] = [await ask(3), await ask(3), await ask(4)];
    expect(a.choices[0]!.text).toBe(b.choices[0]!.text);
    expect(a.choices[0]!.text).not.toBe(c.choices[0]!.text);
  });

  test("chat: messages through the policy's rendering, logprobs: true with top_logprobs", async () => {
    const messages = [
      { role: "system" as const, content: "Be brief." },
      { role: "user" as const, content: "What is 2+2?" },
    ];
    const r = await client.chat.completions.create({
      model: MODEL,
      messages,
      max_completion_tokens: 10,
      n: 2,
      seed: 5,
      logprobs: true,
      top_logprobs: 2,
      ...asIds,
    });
    expect(r.object).toBe("chat.completion");
    const mine = await direct(messages, { n: 2, maxTokens: 10, seed: 5 });
    for (const [j, c] of r.choices.entries()) {
      expect(c.message).toMatchObject({ role: "assistant", content: mine.completions[j]!.text });
      const content = c.logprobs!.content!;
      expect(idsOf(content.map((t) => t.token))).toEqual(mine.completions[j]!.tokenIds!);
      for (const t of content) expect(t.top_logprobs).toHaveLength(2);
    }
  });

  test("streaming completions: the chunks add up to the unstreamed answer; usage last, then [DONE]", async () => {
    const params = { model: MODEL, prompt: "The dog", max_tokens: 20, n: 2, seed: 11, logprobs: 1, ...asIds };
    const whole = await client.completions.create(params as unknown as OpenAI.CompletionCreateParamsNonStreaming);
    const stream = await client.completions.create({
      ...params,
      stream: true,
      stream_options: { include_usage: true },
    } as unknown as OpenAI.CompletionCreateParamsStreaming);
    const text = ["", ""];
    const ids: number[][] = [[], []];
    const finish: (string | null)[] = [null, null];
    let last: OpenAI.Completion | null = null;
    for await (const chunk of stream) {
      last = chunk;
      for (const c of chunk.choices) {
        text[c.index] += c.text;
        if (c.logprobs?.tokens) ids[c.index]!.push(...idsOf(c.logprobs.tokens));
        if (c.finish_reason) finish[c.index] = c.finish_reason;
      }
    }
    expect(text).toEqual(whole.choices.map((c) => c.text));
    expect(ids).toEqual(whole.choices.map((c) => idsOf(c.logprobs!.tokens!)));
    expect(finish).toEqual(whole.choices.map((c) => c.finish_reason));
    expect(last!.choices).toEqual([]);
    expect(last!.usage).toEqual(whole.usage);
  });

  test("streaming chat: a role chunk, content deltas, a finish reason, raw SSE ending with data: [DONE]", async () => {
    const body = {
      model: MODEL,
      messages: [{ role: "user", content: "Say something." }],
      max_tokens: 12,
      seed: 2,
      stream: true,
    };
    const res = await fetch(`${baseURL}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify(body),
    });
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const events = (await res.text()).split("\n\n").filter((e) => e.startsWith("data: "));
    expect(events.at(-1)).toBe("data: [DONE]");
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e.slice(6)) as OpenAI.ChatCompletionChunk);
    expect(chunks[0]!.choices[0]!.delta).toEqual({ role: "assistant", content: "" });
    expect(chunks.every((c) => c.object === "chat.completion.chunk")).toBe(true);
    const content = chunks.map((c) => c.choices[0]?.delta.content ?? "").join("");
    const whole = await client.chat.completions.create({ ...body, stream: false } as never);
    expect(content).toBe((whole as OpenAI.ChatCompletion).choices[0]!.message.content!);
    expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe("length");
  });

  test("an unknown model is a 404 in OpenAI's shape", async () => {
    const err = await client.completions.create({ model: "gpt-4o", prompt: "x" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    const e = err as InstanceType<typeof OpenAI.NotFoundError>;
    expect(e.status).toBe(404);
    expect(e.code).toBe("model_not_found");
    expect(e.param).toBe("model");
    expect(e.message).toContain("gpt-4o");
  });

  test("a bad field is a 400 naming it; unknown fields are ignored", async () => {
    const bad = await client.chat.completions
      .create({ model: MODEL, messages: [{ role: "user", content: "x" }], temperature: 7 })
      .catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(OpenAI.BadRequestError);
    expect((bad as InstanceType<typeof OpenAI.BadRequestError>).param).toBe("temperature");
    const unsupported = await client.completions
      .create({ model: MODEL, prompt: "x", echo: true })
      .catch((e: unknown) => e);
    expect((unsupported as InstanceType<typeof OpenAI.BadRequestError>).param).toBe("echo");
    const extra = { model: MODEL, prompt: "x", max_tokens: 2, user: "me", some_future_field: { a: 1 } };
    const ok = await client.completions.create(extra as OpenAI.CompletionCreateParamsNonStreaming);
    expect(ok.choices).toHaveLength(1);
    const raw = await fetch(`${baseURL}/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}` },
      body: "{not json",
    });
    expect(raw.status).toBe(400);
    expect(await raw.json()).toMatchObject({ error: { type: "invalid_request_error" } });
  });

  test("a missing or wrong key is a 401 in OpenAI's shape", async () => {
    const wrong = new OpenAI({ baseURL, apiKey: "not-the-token", maxRetries: 0 });
    const err = await wrong.models.list().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.AuthenticationError);
    expect((err as InstanceType<typeof OpenAI.AuthenticationError>).code).toBe("invalid_api_key");
    const none = await fetch(`${baseURL}/completions`, { method: "POST", body: "{}" });
    expect(none.status).toBe(401);
    expect(await none.json()).toMatchObject({ error: { code: "invalid_api_key", message: expect.any(String) } });
    // The toolkit's own routes keep problem+json.
    const own = await fetch(`${baseURL}/trainer/status`);
    expect(own.headers.get("content-type")).toStartWith("application/problem+json");
  });

  test("a body over SPICE_MAX_BODY is a 413 in OpenAI's shape", async () => {
    const small = testContext({ maxBody: 1024 });
    try {
      const res = await createApp(small).request("/v1/completions", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ prompt: "x".repeat(4096) }),
      });
      expect(res.status).toBe(413);
      expect(await res.json()).toMatchObject({ error: { type: "invalid_request_error", message: expect.any(String) } });
    } finally {
      await small.close();
    }
  });

  test("the routes are in the OpenAPI document", async () => {
    const doc = (await (await fetch(`http://127.0.0.1:${server.port}/openapi.json`)).json()) as {
      paths: Record<string, unknown>;
    };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(["/v1/models", "/v1/completions", "/v1/chat/completions"]),
    );
  });
});

describe("cancellation", () => {
  test("a client that goes away aborts the signal handed to generate", async () => {
    // The real policy, watched: the route must hand it a signal that fires when the client disconnects.
    const c2 = testContext();
    const real = await getPolicy(ctx);
    const signals: AbortSignal[] = [];
    const watched: Policy = Object.assign(Object.create(real) as Policy, {
      generate: (prompts: Prompt[], o: GenerateOptions = {}) => {
        if (o.signal) signals.push(o.signal);
        return real.generate(prompts, o);
      },
    });
    void c2.lazy("policy", async () => watched);
    const s2 = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: createApp(c2).fetch });
    try {
      for (const stream of [false, true]) {
        const before = signals.length;
        const gone = new AbortController();
        const req = fetch(`http://127.0.0.1:${s2.port}/v1/completions`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ prompt: "Once upon a time", max_tokens: 400, stream }),
          signal: gone.signal,
        }).then(
          (r) => r.text(),
          () => "",
        );
        const deadline = Date.now() + 10_000;
        while (signals.length === before && Date.now() < deadline) await Bun.sleep(5);
        expect(signals.length).toBe(before + 1);
        expect(signals.at(-1)!.aborted).toBe(false);
        gone.abort();
        await req.catch(() => {});
        while (!signals.at(-1)!.aborted && Date.now() < deadline) await Bun.sleep(5);
        expect(signals.at(-1)!.aborted).toBe(true);
      }
    } finally {
      await s2.stop(true);
      await c2.close();
    }
  }, 30_000);
});
