import { afterAll, describe, expect, test } from "bun:test";
import { createApp } from "../../src/app.ts";
import { OpenAIPolicy } from "../../src/policy/openai.ts";
import { ScriptedPolicy } from "../../src/policy/scripted.ts";
import type { Policy } from "../../src/policy/types.ts";
import { testContext } from "../../test/helpers.ts";

function appWith(policy: Policy | null) {
  const ctx = testContext();
  if (policy) void ctx.lazy("policy", async () => policy);
  return { app: createApp(ctx), ctx };
}

const post = (app: ReturnType<typeof createApp>, body: unknown) =>
  app.request("/v1/reasoner/solve", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });

const opened: { close(): Promise<void> }[] = [];
afterAll(async () => {
  for (const c of opened) await c.close();
});

describe("POST /v1/reasoner/solve", () => {
  test("k rollouts, each extracted and verified, with the pass rate; the prompt has no document", async () => {
    const policy = new ScriptedPolicy((_p, { sample }) =>
      sample % 2 === 0 ? "2 and 2 make 4, so \\boxed{4}" : "I think \\boxed{5}",
    );
    const { app, ctx } = appWith(policy);
    opened.push(ctx);
    const res = await post(app, { question: "What is 2+2?", k: 4, answer: "4", answer_type: "integer" });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { rollouts: { extracted: string; correct: boolean }[]; pass_rate: number };
    expect(body.rollouts.map((r) => [r.extracted, r.correct])).toEqual([
      ["4", true],
      ["5", false],
      ["4", true],
      ["5", false],
    ]);
    expect(body.pass_rate).toBe(0.5);
    expect(policy.seen[0]).toContain("What is 2+2?");
    expect(policy.seen[0]).toContain("\\boxed{}");
  });

  test("MCQ: options are shown, letters are asked for, and the letter decides", async () => {
    const policy = new ScriptedPolicy((_p, { sample }) => (sample === 0 ? "\\boxed{B}" : "\\boxed{A}"));
    const { app, ctx } = appWith(policy);
    opened.push(ctx);
    const options = { A: "Rhine", B: "Danube", C: "Elbe", D: "Oder" };
    const res = await post(app, { question: "Which river flows through Vienna?", options, k: 2, answer: "B" });
    const body = (await res.json()) as { rollouts: { correct: boolean }[]; pass_rate: number };
    expect(body.rollouts.map((r) => r.correct)).toEqual([true, false]);
    expect(policy.seen[0]).toContain("B) Danube");
    expect(policy.seen[0]).toContain("letter");
  });

  test("without a gold answer: extraction only, no pass rate", async () => {
    const { app, ctx } = appWith(ScriptedPolicy.fromList(["so \\boxed{x^2}", "no box here"]));
    opened.push(ctx);
    const body = (await (await post(app, { question: "q", k: 2 })).json()) as {
      rollouts: Record<string, unknown>[];
      pass_rate?: number;
    };
    expect(body.rollouts[0]).toMatchObject({ extracted: "x^2", finish_reason: "stop" });
    expect(body.rollouts[0]!.correct).toBeUndefined();
    expect(body.rollouts[1]!.extracted).toBeNull();
    expect(body.pass_rate).toBeUndefined();
  });

  test("bad requests are 400 problems", async () => {
    const { app, ctx } = appWith(ScriptedPolicy.fromList(["x"]));
    opened.push(ctx);
    for (const bad of [
      {},
      { question: "" },
      { question: "q", answer: "4" },
      { question: "q", answer: "4", answer_type: "Boolean" },
      { question: "q", k: 0 },
    ]) {
      const res = await post(app, bad);
      expect(res.status).toBe(400);
      expect(res.headers.get("content-type")).toContain("application/problem+json");
    }
  });

  test("unknown keys are refused with a 400 naming each, not silently ignored", async () => {
    const policy = ScriptedPolicy.fromList(["\\boxed{4}"]);
    const { app, ctx } = appWith(policy);
    opened.push(ctx);
    const res = await post(app, { question: "q", k: 1, max_new_tokens: 1e9 });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { errors: { field: string; message: string }[] };
    expect(body.errors).toEqual([{ field: "max_new_tokens", message: expect.stringContaining("unknown field") }]);
    expect(body.errors[0]!.message).toContain("max_tokens");
    const nested = await post(app, { question: "q", options: { A: "1", B: "2", C: "3", D: "4", E: "5" } });
    expect(((await nested.json()) as typeof body).errors.map((e) => e.field)).toEqual(["options.E"]);
    expect(policy.seen).toEqual([]);
  });

  test("stream: token events, then the result", async () => {
    const { app, ctx } = appWith(ScriptedPolicy.fromList(["\\boxed{4}"]));
    opened.push(ctx);
    const res = await post(app, { question: "2+2?", k: 2, answer: "4", answer_type: "Integer", stream: true });
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const text = await res.text();
    const events = [...text.matchAll(/event: (\w+)\ndata: (.*)\n/g)].map((m) => [m[1], JSON.parse(m[2]!)]);
    expect(events.slice(0, 2)).toEqual([
      ["token", { rollout: 0, text: "\\boxed{4}" }],
      ["token", { rollout: 1, text: "\\boxed{4}" }],
    ]);
    expect(events[2]![0]).toBe("result");
    expect(events[2]![1].pass_rate).toBe(1);
  });

  test("a policy server that is down gives a 503 problem, streaming or not (nothing was sent yet)", async () => {
    const { app, ctx } = appWith(new OpenAIPolicy({ baseUrl: "http://127.0.0.1:9", retries: 0, timeoutMs: 1000 }));
    opened.push(ctx);
    for (const stream of [false, true]) {
      const res = await post(app, { question: "q", k: 1, stream });
      expect(res.status).toBe(503);
      expect(res.headers.get("content-type")).toContain("application/problem+json");
      expect(((await res.json()) as { detail: string }).detail).toContain("unreachable");
    }
  });

  test("a failure after the first token ends the stream with an error event", async () => {
    const policy = new ScriptedPolicy(() => "\\boxed{1}");
    const failing = Object.assign(Object.create(policy) as ScriptedPolicy, {
      async generate(...args: Parameters<ScriptedPolicy["generate"]>) {
        await policy.generate(...args); // its tokens are out
        throw new Error("decoder crashed after the first token");
      },
    });
    const { app, ctx } = appWith(failing);
    opened.push(ctx);
    const res = await post(app, { question: "q", k: 1, stream: true });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain("event: token");
    expect(text).toContain("event: error");
    expect(text).toContain('"status":500');
  });

  test("the real built model answers end to end, streaming included", async () => {
    const { app, ctx } = appWith(null);
    opened.push(ctx);
    const res = await post(app, {
      question: "What is 2+2?",
      k: 2,
      answer: "4",
      answer_type: "Integer",
      max_tokens: 16,
      seed: 1,
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      rollouts: { text: string; correct: boolean; finish_reason: string }[];
      pass_rate: number;
    };
    expect(body.rollouts.length).toBe(2);
    expect(typeof body.rollouts[0]!.correct).toBe("boolean");
    expect(body.pass_rate).toBeGreaterThanOrEqual(0);
    const streamed = await (
      await post(app, { question: "What is 2+2?", k: 1, max_tokens: 8, seed: 1, stream: true })
    ).text();
    const tokens = [...streamed.matchAll(/event: token\ndata: (.*)\n/g)].map((m) => JSON.parse(m[1]!).text).join("");
    const result = JSON.parse(/event: result\ndata: (.*)\n/.exec(streamed)![1]!);
    expect(tokens).toBe(result.rollouts[0].text);
    // A question over the model's context is refused with its real status before the first byte, streaming too.
    const long = "seven apples and three pears ".repeat(400);
    for (const stream of [false, true]) {
      const over = await post(app, { question: long, k: 1, max_tokens: 8, stream });
      expect(over.status).toBe(400);
      expect(over.headers.get("content-type")).toContain("application/problem+json");
      expect(((await over.json()) as { detail: string }).detail).toContain("context");
    }
  });
});
