import { Validator } from "@seriousme/openapi-schema-validator";
import { afterAll, describe, expect, test } from "bun:test";
import { SHARED_PATHS } from "../routes/shared.ts";
import { testContext } from "../test/helpers.ts";
import { createApp } from "./app.ts";
import { createEdgeApp } from "./app-edge.ts";
import { readEdgeSettings } from "./edge/config.ts";
import type { LogSink } from "./log.ts";

type Doc = {
  paths: Record<string, unknown>;
  components: { schemas: Record<string, unknown> };
  security: unknown[];
};

const silent: LogSink = { info() {}, warn() {}, error() {} };
const TOKEN = "edge-unit-token-0123456789";
const ctx = testContext({ apiToken: TOKEN });
afterAll(() => ctx.close());

const bunApp = createApp(ctx);
const edgeApp = createEdgeApp(readEdgeSettings({ SPICE_API_TOKEN: TOKEN }), silent);
const docOf = async (app: { request(path: string): Response | Promise<Response> }) =>
  (await (await app.request("/openapi.json")).json()) as Doc;

/** Every `#/components/schemas/<name>` a document fragment refers to, and what those refer to in turn. */
function referencedSchemas(fragment: unknown, schemas: Record<string, unknown>, seen = new Set<string>()): Set<string> {
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === "object") {
      for (const [k, x] of Object.entries(v)) {
        if (k === "$ref" && typeof x === "string" && x.startsWith("#/components/schemas/")) {
          const name = x.slice("#/components/schemas/".length);
          if (!seen.has(name)) {
            seen.add(name);
            walk(schemas[name]);
          }
        } else walk(x);
      }
    }
  };
  walk(fragment);
  return seen;
}

describe("the edge app and the Bun app", () => {
  test("expose the same OpenAPI operations for the routes they share, with the same schemas", async () => {
    const [bun, edge] = await Promise.all([docOf(bunApp), docOf(edgeApp)]);
    expect(Object.keys(edge.paths).sort()).toEqual([...SHARED_PATHS].sort());
    for (const path of SHARED_PATHS) {
      expect(bun.paths[path]).toBeDefined();
      expect({ path, item: edge.paths[path] }).toEqual({ path, item: bun.paths[path] });
    }
    const names = referencedSchemas(edge.paths, edge.components.schemas);
    expect(names.size).toBeGreaterThan(10);
    for (const name of names)
      expect({ name, schema: edge.components.schemas[name] }).toEqual({ name, schema: bun.components.schemas[name] });
    // The Bun app serves more (corpus, trainer); the edge app nothing else.
    expect(Object.keys(bun.paths).length).toBeGreaterThan(SHARED_PATHS.length);
    expect(edge.security).toEqual(bun.security);
  });

  test("the edge document is valid OpenAPI 3.1", async () => {
    const result = await new Validator().validate((await docOf(edgeApp)) as Parameters<Validator["validate"]>[0]);
    if (!result.valid) console.error(JSON.stringify(result.errors, null, 2));
    expect(result.valid).toBe(true);
  });
});

describe("createEdgeApp in process", () => {
  const open = createEdgeApp(readEdgeSettings({ SPICE_MAX_BODY: "4096" }), silent);
  const post = (path: string, body: unknown) =>
    open.request(path, { method: "POST", body: JSON.stringify(body), headers: { "content-type": "application/json" } });

  test("verifies without a policy; the roles without SPICE_POLICY_URL are 503 naming it", async () => {
    const v = await post("/v1/verify", { response: "\\boxed{x^2+2x+1}", answer: "(x+1)^2", answer_type: "Expression" });
    expect(await v.json()).toMatchObject({ correct: true, reward: 1 });
    const solve = await post("/v1/reasoner/solve", { question: "2+2?" });
    expect(solve.status).toBe(503);
    expect(((await solve.json()) as { detail: string }).detail).toContain("SPICE_POLICY_URL is not set");
  });

  test("a corpus document (doc_id, sample) is 400 No corpus, checked before the policy is needed", async () => {
    for (const body of [{ doc_id: "seg-1" }, { sample: true, seed: 1 }]) {
      const res = await post("/v1/challenger/generate", body);
      expect(res.status).toBe(400);
      expect(res.headers.get("content-type")).toStartWith("application/problem+json");
      expect(await res.json()).toMatchObject({ title: "No corpus" });
    }
  });

  test("the body limit; ready at once; nothing of spice serve's own", async () => {
    const big = await post("/v1/verify", { response: "x".repeat(5000), answer: "1", answer_type: "Integer" });
    expect(big.status).toBe(413);
    const ready = await open.request("/readyz");
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: "ready" });
    for (const path of ["/v1/corpus/stats", "/metrics", "/docs"]) expect((await open.request(path)).status).toBe(404);
  });
});
