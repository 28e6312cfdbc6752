import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import { startFakeOpenAI } from "../../test/fakes/openai-server.ts";
import { Cancelled } from "../errors.ts";
import { OpenAIPolicy } from "./openai.ts";
import { PolicyError } from "./types.ts";

const server = startFakeOpenAI();
afterAll(() => server.stop());
beforeEach(() => {
  server.setMode({ kind: "ok" });
  server.setReply(null);
  server.requests.length = 0;
});

const fast = { retries: 2, backoffMs: 5, timeoutMs: 2000 };

async function failure(p: Promise<unknown>): Promise<PolicyError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(PolicyError);
    return e as PolicyError;
  }
  throw new Error("expected a PolicyError");
}

describe("OpenAIPolicy against a fake server", () => {
  test("completions: n choices in index order with token ids and log-probs", async () => {
    const policy = new OpenAIPolicy({ baseUrl: server.url, ...fast });
    const [r] = await policy.generate(["What is 2+2?"], {
      n: 3,
      temperature: 0.7,
      topP: 0.9,
      maxTokens: 50,
      seed: 7,
      stop: ["\n\n"],
    });
    expect(r!.completions.map((c) => c.text)).toEqual([0, 1, 2].map((i) => `answer ${i} to 12 chars: \\boxed{${i}}`));
    const c = r!.completions[0]!;
    expect(c.tokenIds).toEqual([100, 101, 102, 103, 104, 105]);
    expect(c.logprobs!.length).toBe(6);
    expect(c.finishReason).toBe("stop");
    const sent = server.requests.find((q) => q.path === "/v1/completions")!.body;
    expect(sent).toMatchObject({
      model: "fake-model",
      n: 3,
      temperature: 0.7,
      top_p: 0.9,
      max_tokens: 50,
      seed: 7,
      stop: ["\n\n"],
      logprobs: 1,
    });
  });

  test("chat endpoint sends messages and reads message content", async () => {
    const policy = new OpenAIPolicy({ baseUrl: `${server.url}/v1/`, endpoint: "chat", model: "m", ...fast });
    const [r] = await policy.generate([[{ role: "user", content: "hi" }]], { n: 2, maxTokens: 2 });
    expect(r!.completions[1]!.text).toBe("answer 1 ");
    expect(r!.completions[1]!.finishReason).toBe("length");
    expect(r!.completions[1]!.tokenIds).toEqual([100, 101]);
    expect(server.requests.at(-1)!.body.messages).toEqual([{ role: "user", content: "hi" }]);
  });

  test("the concurrency limit caps requests in flight", async () => {
    const slow = startFakeOpenAI({ delayMs: 30 });
    try {
      const policy = new OpenAIPolicy({ baseUrl: slow.url, model: "m", concurrency: 3, ...fast });
      const results = await policy.generate(Array.from({ length: 10 }, (_, i) => `p${i}`));
      expect(results.length).toBe(10);
      expect(slow.maxInFlight).toBe(3);
    } finally {
      await slow.stop();
    }
  });

  test("retries 503s with back-off, then succeeds", async () => {
    server.setMode({ kind: "fail-then-ok", failures: 2 });
    const policy = new OpenAIPolicy({ baseUrl: server.url, model: "m", ...fast });
    const [r] = await policy.generate(["x"]);
    expect(r!.completions.length).toBe(1);
    expect(server.requests.filter((q) => q.path === "/v1/completions").length).toBe(3);
  });

  test("gives up after the retries with a clear error", async () => {
    server.setMode({ kind: "status", status: 500 });
    const e = await failure(new OpenAIPolicy({ baseUrl: server.url, model: "m", ...fast }).generate(["x"]));
    expect(e.kind).toBe("unavailable");
    expect(e.message).toContain("answered 500");
    expect(e.message).toContain("after 3 attempts");
  });

  test("a 4xx is not retried", async () => {
    server.setMode({ kind: "status", status: 400 });
    const e = await failure(new OpenAIPolicy({ baseUrl: server.url, model: "m", ...fast }).generate(["x"]));
    expect(e.kind).toBe("invalid_request");
    expect(server.requests.length).toBe(1);
  });

  test("garbage, a wrong shape and missing choices are bad responses", async () => {
    const policy = new OpenAIPolicy({ baseUrl: server.url, model: "m", ...fast });
    server.setMode({ kind: "garbage" });
    expect((await failure(policy.generate(["x"]))).message).toContain("not JSON");
    server.setMode({ kind: "wrong-shape" });
    expect((await failure(policy.generate(["x"]))).kind).toBe("bad_response");
    server.setMode({ kind: "too-few-choices" });
    expect((await failure(policy.generate(["x"], { n: 2 }))).message).toContain("asked for 2 completions, got 0");
  });

  test("a server that is down is reported as unreachable", async () => {
    const down = startFakeOpenAI();
    const url = down.url;
    await down.stop();
    const e = await failure(new OpenAIPolicy({ baseUrl: url, ...fast }).generate(["x"]));
    expect(e.kind).toBe("unavailable");
    expect(e.message).toContain("unreachable");
  });

  test("a server that is too slow times out", async () => {
    server.setMode({ kind: "slow", delayMs: 300 });
    const e = await failure(
      new OpenAIPolicy({ baseUrl: server.url, model: "m", retries: 1, backoffMs: 1, timeoutMs: 50 }).generate(["x"]),
    );
    expect(e.kind).toBe("timeout");
  });

  test("a cancelled call aborts its requests in flight and sends no more", async () => {
    const policy = new OpenAIPolicy({ baseUrl: server.url, ...fast, concurrency: 1 });
    await policy.generate(["warm"], { maxTokens: 2 }); // the model lookup, answered
    const before = server.disconnects;
    server.setMode({ kind: "slow", delayMs: 3000 });
    const gone = new AbortController();
    const t0 = performance.now();
    const call = policy.generate(["a", "b", "c"], { maxTokens: 4, signal: gone.signal });
    await Bun.sleep(100);
    gone.abort();
    expect(call).rejects.toBeInstanceOf(Cancelled);
    await call.catch(() => {});
    expect(performance.now() - t0).toBeLessThan(1500);
    await Bun.sleep(50);
    // One request was in flight (concurrency 1) and was hung up on; the two queued ones never left.
    expect(server.disconnects - before).toBe(1);
    expect(server.requests.filter((r) => r.path === "/v1/completions").length).toBe(2);
  });
});
