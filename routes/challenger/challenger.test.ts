import { afterAll, describe, expect, test } from "bun:test";
import { createApp } from "../../src/app.ts";
import { ScriptedPolicy } from "../../src/policy/scripted.ts";
import type { Policy } from "../../src/policy/types.ts";
import { testContext } from "../../test/helpers.ts";

const DOC = "The Danube flows through Vienna, Budapest and Belgrade before reaching the Black Sea.";
const MCQ = JSON.stringify({
  question: "Which river flows through Vienna?",
  options: { A: "Rhine", B: "Danube", C: "Elbe", D: "Oder" },
  answer: "B",
});

const opened: { close(): Promise<void> }[] = [];
afterAll(async () => {
  for (const c of opened) await c.close();
});

function appWith(policy: Policy | null) {
  const ctx = testContext();
  opened.push(ctx);
  if (policy) void ctx.lazy("policy", async () => policy);
  return createApp(ctx);
}

const post = (app: ReturnType<typeof createApp>, body: unknown) =>
  app.request("/v1/challenger/generate", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });

describe("POST /v1/challenger/generate", () => {
  test("a document in, the group out with validity and reasons", async () => {
    const app = appWith(
      new ScriptedPolicy((p, { sample }) =>
        p.includes("Step 1 of 2") ? (sample === 0 ? '{"task_type": "mcq"}' : "{bad") : MCQ,
      ),
    );
    const res = await post(app, { document: DOC, n: 3 });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, any>;
    expect(body).toMatchObject({ doc_id: null, attempts: 3, rounds: 1, skipped: false, truncated: false });
    expect(body.tasks[0]).toMatchObject({
      valid: true,
      task_type: "mcq",
      answer: "B",
      answer_type: "MCQ",
      options: { B: "Danube" },
    });
    expect(body.tasks[1]).toMatchObject({ valid: false, raw: "{bad" });
    expect(body.tasks[1].error).toStartWith("selection: malformed JSON");
  });

  test("task_type and max_attempts are honoured; a skipped document says so", async () => {
    const policy = new ScriptedPolicy(() => "not json");
    const app = appWith(policy);
    const body = (await (await post(app, { document: DOC, n: 2, task_type: "mcq", max_attempts: 5 })).json()) as Record<
      string,
      any
    >;
    expect(body).toMatchObject({ attempts: 5, rounds: 3, skipped: true });
    expect(body.tasks.length).toBe(1);
    expect(policy.seen.every((p) => p.includes("multiple-choice"))).toBe(true);
  });

  test("exactly one document source is required", async () => {
    const app = appWith(ScriptedPolicy.fromList(["{}"]));
    for (const bad of [
      {},
      { document: DOC, sample: true },
      { document: DOC, doc_id: "x" },
      { document: "" },
      { document: DOC, n: 0 },
    ]) {
      const res = await post(app, bad);
      expect(res.status).toBe(400);
      expect(res.headers.get("content-type")).toContain("application/problem+json");
    }
  });

  test("unknown keys are refused with a 400 naming each, before the policy is asked", async () => {
    const policy = ScriptedPolicy.fromList(["{}"]);
    const app = appWith(policy);
    const res = await post(app, { document: DOC, n: 1, max_new_tokens: 1e9, task: "mcq" });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { errors: { field: string; message: string }[] };
    expect(body.errors.map((e) => e.field).sort()).toEqual(["max_new_tokens", "task"]);
    expect(body.errors[0]!.message).toContain("unknown field");
    expect(policy.seen).toEqual([]);
  });

  test("corpus modes: an unknown segment is 404, an empty corpus cannot be sampled", async () => {
    const app = appWith(ScriptedPolicy.fromList(["{}"]));
    expect((await post(app, { doc_id: "no-such-segment" })).status).toBe(404);
    expect((await post(app, { sample: true, seed: 1 })).status).toBe(409);
  });

  test("the real built model runs the whole path over HTTP", async () => {
    const app = appWith(null);
    const res = await post(app, { document: DOC, n: 2, max_attempts: 2, max_tokens: 32, seed: 3 });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, any>;
    expect(body.attempts).toBe(2);
    expect(body.tasks.length).toBe(2);
    for (const t of body.tasks) if (!t.valid) expect(t.error.length).toBeGreaterThan(0);
  });
});
