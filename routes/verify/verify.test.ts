import { afterAll, describe, expect, test } from "bun:test";
import { createApp } from "../../src/app.ts";
import { testContext } from "../../test/helpers.ts";
import { MAX_VERIFY_ITEMS } from "./schema.ts";

const ctx = testContext();
const app = createApp(ctx);
afterAll(() => ctx.close());

const post = (body: unknown) =>
  app.request("/v1/verify", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });

describe("POST /v1/verify", () => {
  test("one item in, one verdict out, with reward and id", async () => {
    const res = await post({
      id: "q1",
      response: "so \\boxed{\\frac{1}{2}}",
      answer: "0.5",
      answer_type: "Expression",
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      id: "q1",
      correct: true,
      reward: 1,
      extracted: "\\frac{1}{2}",
      reason: "equal within 1e-6",
    });
  });

  test("a wrong answer gets reward 0; without an id the item index is the id", async () => {
    const res = await post({ response: "\\boxed{5}", answer: 4, answer_type: "integer" });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { id: number; correct: boolean; reward: number };
    expect(body).toMatchObject({ id: 0, correct: false, reward: 0 });
  });

  test("a batch keeps order; a bad item gets an error row in its place", async () => {
    const res = await post({
      items: [
        { response: "The answer is (B).", answer: "B", answer_type: "mcq" },
        { response: "\\boxed{x}", answer_type: "Expression" },
        { id: 7, response: "\\boxed{rome.}", answer: "Rome", answer_type: "STRING" },
        "not an object",
      ],
    });
    expect(res.status).toBe(200);
    const { items } = (await res.json()) as { items: Record<string, unknown>[] };
    expect(items).toHaveLength(4);
    expect(items[0]).toMatchObject({ id: 0, correct: true, reward: 1 });
    // Error rows: `index` from 0 (the position in items), `line` from 1 like `spice verify`'s line numbers.
    expect(items[1]).toMatchObject({ id: 1, index: 1, line: 2 });
    expect(String(items[1]!.error)).toContain("answer");
    expect(items[2]).toMatchObject({ id: 7, correct: true });
    expect(items[3]).toMatchObject({ id: 3, index: 3, line: 4 });
  });

  test("MCQ options travel with the item (M3)", async () => {
    const res = await post({
      response: "\\boxed{17}",
      answer: "B",
      answer_type: "MCQ",
      options: { A: "15", B: "17", C: "9", D: "3" },
    });
    expect(((await res.json()) as { correct: boolean }).correct).toBe(true);
  });

  test("validation errors are problem+json 400", async () => {
    for (const body of [
      { response: "\\boxed{1}", answer: "1", answer_type: "Float" },
      { answer: "1", answer_type: "Integer" },
      { items: "nope" },
      "{not json",
    ]) {
      const res = await post(body);
      expect(res.status).toBe(400);
      expect(res.headers.get("content-type")).toContain("application/problem+json");
      const problem = (await res.json()) as { status: number; title: string };
      expect(problem.status).toBe(400);
    }
  });

  test("a single item with a wrong type names the field and what was expected (not `(body): Invalid input`)", async () => {
    const res = await post({ response: 5, answer: "1", answer_type: "Integer" });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { detail: string; errors: { field: string; message: string }[] };
    expect(body.errors).toEqual([
      { field: "response", message: "expected the reasoner response as a string, got number" },
    ]);
    expect(body.detail).not.toContain("Invalid input;");
    const missing = (await (await post({ response: "\\boxed{1}", answer_type: "Integer" })).json()) as typeof body;
    expect(missing.errors).toEqual([{ field: "answer", message: expect.stringContaining("required") }]);
    const batch = (await (await post({ items: "nope" })).json()) as typeof body;
    expect(batch.errors).toEqual([{ field: "items", message: expect.stringContaining("expected array") }]);
  });

  test("unknown keys are refused, each named: on the item, on the batch, and on a batch item", async () => {
    const item = { response: "\\boxed{1}", answer: "1", answer_type: "Integer" };
    const one = await post({ ...item, answer_typ: "Integer", max_new_tokens: 1e9 });
    expect(one.status).toBe(400);
    const body = (await one.json()) as { errors: { field: string; message: string }[] };
    expect(body.errors.map((e) => e.field).sort()).toEqual(["answer_typ", "max_new_tokens"]);
    expect(body.errors[0]!.message).toContain("unknown field");
    const top = (await (await post({ items: [item], strict: true })).json()) as typeof body;
    expect(top.errors).toEqual([{ field: "strict", message: expect.stringContaining("unknown field") }]);
    const inner = await post({ items: [item, { ...item, extra: 1 }] });
    expect(inner.status).toBe(200);
    const rows = ((await inner.json()) as { items: Record<string, unknown>[] }).items;
    expect(rows[0]).toMatchObject({ correct: true });
    expect(rows[1]).toMatchObject({ index: 1, line: 2, error: expect.stringContaining("extra: unknown field") });
  });

  test(`more than ${MAX_VERIFY_ITEMS} items is 413 problem+json`, async () => {
    const item = { response: "\\boxed{1}", answer: "1", answer_type: "Integer" };
    const res = await post({ items: Array.from({ length: MAX_VERIFY_ITEMS + 1 }, () => item) });
    expect(res.status).toBe(413);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    const full = await post({ items: Array.from({ length: MAX_VERIFY_ITEMS }, () => item) });
    expect(full.status).toBe(200);
  });

  test("listed in the OpenAPI document", async () => {
    const res = await app.request("/openapi.json");
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toContain("/v1/verify");
  });
});
