import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { createApp } from "../../src/app.ts";
import { ensureSampleCorpus } from "../../src/corpus/index.ts";
import { testContext } from "../../test/helpers.ts";
import { corpusDataDir, prose } from "../../test/corpus/helpers.ts";

setDefaultTimeout(30_000);
const models = corpusDataDir();
const ctx = testContext();
const app = createApp(ctx);
beforeAll(async () => {
  mkdirSync(join(ctx.dataDir, "models"), { recursive: true });
  for (const m of ["spice-encoder-tiny", "spice-lm-tiny"])
    Bun.spawnSync(["ln", "-s", join(models.dir, "models", m), join(ctx.dataDir, "models", m)]);
  await ensureSampleCorpus(ctx);
});
afterAll(async () => {
  await ctx.close();
  models.cleanup();
});

const get = async (path: string) => {
  const res = await app.request(path);
  return { status: res.status, type: res.headers.get("content-type") ?? "", body: (await res.json()) as any };
};
const post = async (body: string, type = "application/json") => {
  const res = await app.request("/v1/corpus/documents", { method: "POST", headers: { "content-type": type }, body });
  return { status: res.status, type: res.headers.get("content-type") ?? "", body: (await res.json()) as any };
};

describe("/v1/corpus", () => {
  test("GET stats and manifest describe the sample corpus", async () => {
    const stats = await get("/v1/corpus/stats");
    expect(stats.status).toBe(200);
    expect(stats.body).toMatchObject({ documents: 120, segments: 120, rejected: {}, vector_index: "exact" });
    const manifest = await get("/v1/corpus/manifest");
    expect(manifest.body.content_hash).toMatch(/^sha256:/);
    expect(manifest.body.ingest_runs).toHaveLength(1);
  });

  test("GET search in each mode; validation errors are problem+json", async () => {
    for (const mode of ["vector", "fts", "hybrid"]) {
      const r = await get(`/v1/corpus/search?q=${encodeURIComponent("planet orbit moons")}&k=4&mode=${mode}`);
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ mode, k: 4 });
      expect(r.body.hits).toHaveLength(4);
      expect(r.body.hits[0]).toHaveProperty("source");
    }
    const fts = await get("/v1/corpus/search?q=orbit&mode=fts&k=3");
    for (const h of fts.body.hits) expect(h.text).toContain("orbit");
    const filtered = await get("/v1/corpus/search?q=orbit&mode=fts&source=elsewhere");
    expect(filtered.body.hits).toEqual([]);
    for (const bad of ["/v1/corpus/search?k=3", "/v1/corpus/search?q=x&k=0", "/v1/corpus/search?q=x&mode=semantic"]) {
      const r = await get(bad);
      expect(r.status).toBe(400);
      expect(r.type).toContain("application/problem+json");
    }
  });

  test("GET sample is a pure seeded draw of distinct segments", async () => {
    const a = await get("/v1/corpus/sample?n=5&seed=abc");
    expect(a.status).toBe(200);
    expect(a.body.seed).toBe("abc");
    expect(new Set(a.body.segments.map((s: { id: string }) => s.id)).size).toBe(5);
    const b = await get("/v1/corpus/sample?n=5&seed=abc");
    expect(b.body.segments).toEqual(a.body.segments);
    const unseeded = await get("/v1/corpus/sample");
    expect(unseeded.body.segments).toHaveLength(1);
    expect(typeof unseeded.body.seed).toBe("string");
    expect((await get("/v1/corpus/sample?n=0")).status).toBe(400);
  });

  test("POST documents as JSON: bad items reported by index, the rest ingested; re-posting is idempotent", async () => {
    const body = JSON.stringify({
      documents: [
        { id: "h1", text: prose(300), source: "https://example.org/a" },
        { text: 5 },
        { id: "h2", text: prose(301), metadata: { lang: "en" } },
      ],
    });
    const r = await post(body);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ committed: true, segments_added: 2, rejected: { malformed_row: 1 } });
    expect(r.body.rejections[0]).toMatchObject({ reason: "malformed_row", index: 1, line: 2 });
    const again = await post(body);
    expect(again.body).toMatchObject({ committed: false, unchanged: 2, segments_added: 0 });
    const hits = await get(`/v1/corpus/search?q=x&mode=fts&source=${encodeURIComponent("https://example.org/a")}`);
    expect(hits.status).toBe(200);
    const one = await post(JSON.stringify({ id: "h3", text: prose(302) }));
    expect(one.body.segments_added).toBe(1);
  });

  test("POST documents as NDJSON reports the bad line number", async () => {
    const nd = [
      JSON.stringify({ id: "n1", text: prose(310) }),
      "not json",
      JSON.stringify({ id: "n2", text: prose(311) }),
    ].join("\n");
    const r = await post(nd, "application/x-ndjson");
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ segments_added: 2, rejected: { malformed_row: 1 } });
    expect(r.body.rejections[0]).toMatchObject({ line: 2, index: null });
    expect((await get("/v1/corpus/stats")).body.segments).toBe(125);
  });

  test("NDJSON is taken as application/jsonl and application/x-ndjson (with parameters)", async () => {
    for (const [i, type] of ["application/jsonl", "application/x-ndjson; charset=utf-8"].entries()) {
      const nd = `${JSON.stringify({ id: `j${i}`, text: prose(320 + i) })}\n`;
      const r = await post(nd, type);
      expect(r.status).toBe(200);
      expect(r.body.segments_added).toBe(1);
    }
  });

  test("every 400 names the field and what was expected: a wrong type, a bare array, unknown keys", async () => {
    const wrong = await post(JSON.stringify({ text: 5 }));
    expect(wrong.status).toBe(400);
    expect(wrong.body.errors).toEqual([{ field: "text", message: expect.stringContaining("expected string") }]);
    const array = await post(JSON.stringify([{ text: prose(330) }]));
    expect(array.status).toBe(400);
    expect(array.body.errors).toEqual([{ field: "(body)", message: expect.stringContaining('{"documents": [...]}') }]);
    const unknown = await post(JSON.stringify({ text: prose(331), title: "x" }));
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors).toEqual([{ field: "title", message: expect.stringContaining("unknown field") }]);
    const outer = await post(JSON.stringify({ documents: [{ text: prose(332) }], dry_run: true }));
    expect(outer.status).toBe(400);
    expect(outer.body.errors.map((e: { field: string }) => e.field)).toEqual(["dry_run"]);
    // Inside a batch an item with an unknown key is rejected alone, placed by its index.
    const inner = await post(
      JSON.stringify({
        documents: [
          { id: "u1", text: prose(333) },
          { text: "x", lang: "en" },
        ],
      }),
    );
    expect(inner.status).toBe(200);
    expect(inner.body).toMatchObject({ segments_added: 1, rejected: { malformed_row: 1 } });
    expect(inner.body.rejections[0]).toMatchObject({ index: 1, line: 2, detail: expect.stringContaining("lang") });
  });

  test("unknown query parameters are refused, each named", async () => {
    const r = await get("/v1/corpus/search?q=orbit&top_k=3");
    expect(r.status).toBe(400);
    expect(r.body.errors).toEqual([{ field: "top_k", message: expect.stringContaining("unknown field") }]);
  });

  test("POST with a wrong content type or an invalid body is a 4xx problem", async () => {
    const t = await post("hello", "text/plain");
    expect(t.status).toBe(415);
    expect(t.type).toContain("application/problem+json");
    const bad = await post(JSON.stringify({ documents: [] }));
    expect(bad.status).toBe(400);
    expect((await post("{not json")).status).toBe(400);
  });
});
