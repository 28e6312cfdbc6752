import { afterAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { createApp } from "../../src/app.ts";
import { REPO_ROOT, testContext } from "../../test/helpers.ts";

const ctx = testContext();
const app = createApp(ctx);
afterAll(() => ctx.close());

const post = (body: unknown) =>
  app.request("/openrlhf/reward", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });

const PROMPT =
  "<|im_start|>user\nWhat is 2+2? Put the answer in \\boxed{}, e.g. \\boxed{A}.<|im_end|>\n<|im_start|>assistant\n";

describe("POST /openrlhf/reward (spice serve)", () => {
  test("one sample: {query, prompts, labels} → {rewards, scores, extra_logs}, the response cut out of the query", async () => {
    const res = await post({ query: [`${PROMPT}2+2 is \\boxed{4}.<|im_end|>`], prompts: [PROMPT], labels: ["4"] });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      rewards: [1],
      scores: [1],
      extra_logs: { correct: [1], has_answer: [1], prompt_found: [1] },
    });
    // Without its prompt the response has no box: the prompt's example \boxed{A} must not be read as the answer.
    const bare = await post({ query: `${PROMPT}I do not know.`, prompts: PROMPT, labels: "A" });
    expect(await bare.json()).toMatchObject({ rewards: [0], extra_logs: { has_answer: [0], prompt_found: [1] } });
  });

  test("a batch keeps order; JSON labels carry the answer type and MCQ options", async () => {
    const res = await post({
      query: [
        `${PROMPT}\\boxed{\\frac{1}{2}}`,
        `${PROMPT}\\boxed{0.5}`,
        `${PROMPT}It is 17, so \\boxed{B}`,
        `${PROMPT}\\boxed{17}`,
        `${PROMPT}\\boxed{paris}`,
        "a decoded query whose prompt tokens changed \\boxed{3}",
      ],
      prompts: [PROMPT, PROMPT, PROMPT, PROMPT, PROMPT, "a decoded query whose prompt differs"],
      labels: [
        '{"answer": "0.5", "answer_type": "Expression"}',
        '{"answer": 0.5}',
        '{"answer": "B", "answer_type": "MCQ"}',
        '{"answer": "B", "options": {"A": "15", "B": "17", "C": "9", "D": "3"}}',
        "Paris",
        '{"answer": "3", "answer_type": "integer"}',
      ],
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { rewards: number[]; extra_logs: { prompt_found: number[] } };
    expect(body.rewards).toEqual([1, 1, 1, 1, 1, 1]);
    expect(body.extra_logs.prompt_found).toEqual([1, 1, 1, 1, 1, 0]);
    const wrong = await post({
      query: [`${PROMPT}\\boxed{5}`, `${PROMPT}\\boxed{4}`],
      prompts: [PROMPT, PROMPT],
      labels: ["4", "4"],
    });
    expect(((await wrong.json()) as { rewards: number[] }).rewards).toEqual([0, 1]);
  });

  test("bad labels and mismatched lengths are 400 problem+json naming the row", async () => {
    const cases: [unknown, string][] = [
      [{ query: ["a", "b"], prompts: ["", ""], labels: ["1", '{"answer_type": "Integer"}'] }, "labels[1]"],
      [{ query: ["a"], labels: ['{"answer": "1", "answer_type": "Float"}'] }, "labels[0]"],
      [{ query: ["a"], labels: ['{"answer": "B", "options": {"A": "x"}}'] }, "labels[0]"],
      [{ query: ["a", "b"], labels: ["1"] }, "labels[1]"],
      [{ query: ["a", "b"], prompts: ["x"], labels: ["1", "2"] }, "prompts[1]"],
    ];
    for (const [body, field] of cases) {
      const res = await post(body);
      expect(res.status).toBe(400);
      expect(res.headers.get("content-type")).toContain("application/problem+json");
      expect(((await res.json()) as { detail: string }).detail).toContain(field);
    }
    for (const body of [{ query: [1], labels: ["1"] }, { labels: ["1"] }, "{nope"])
      expect((await post(body)).status).toBe(400);
  });

  test("listed in the OpenAPI document; outside /v1, so no bearer token is asked", async () => {
    const doc = (await (await app.request("/openapi.json")).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toContain("/openrlhf/reward");
    const guarded = testContext({ apiToken: "a-long-enough-token-1234" });
    try {
      const res = await createApp(guarded).request("/openrlhf/reward", {
        method: "POST",
        body: JSON.stringify({ query: ["\\boxed{1}"], labels: ["1"] }),
        headers: { "content-type": "application/json" },
      });
      expect(res.status).toBe(200);
    } finally {
      await guarded.close();
    }
  });

  test("the route's module graph uses no Bun or Node API (it is mounted as is by an edge build)", () => {
    const seen = new Set<string>();
    const offenders: string[] = [];
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const src = readFileSync(file, "utf8");
      if (/\bBun\.|from\s+["'](bun|node):|require\(/.test(src)) offenders.push(relative(REPO_ROOT, file));
      for (const m of src.matchAll(/^\s*(?:import|export)[^"']*?from\s+["'](\.[^"']+)["']/gm))
        visit(join(dirname(file), m[1]!));
    };
    visit(join(REPO_ROOT, "routes/openrlhf/index.ts"));
    expect(seen.size).toBeGreaterThan(10);
    expect(offenders).toEqual([]);
  });
});
