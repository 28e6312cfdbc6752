import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Corpus } from "./corpus.ts";
import { ensureSampleCorpus, getCorpus, corpusManifest, ingestPaths, LockBusyError } from "./index.ts";
import { REPO_ROOT, testContext } from "../../test/helpers.ts";
import { corpusDataDir, docs, freshDirs, openTestCorpus, prose, PROSE_FIXTURE_DIR } from "../../test/corpus/helpers.ts";

// Real encoder + LanceDB work on 2 shared cores: allow it, still catch hangs.
setDefaultTimeout(30_000);
const dd = corpusDataDir();
afterAll(() => dd.cleanup());
const freshDir = freshDirs(dd.dir);

describe("ingest, idempotency, provenance and search (prose fixture, real encoder, real LanceDB)", () => {
  let corpus: Corpus;
  let dir: string;
  beforeAll(async () => {
    dir = freshDir();
    corpus = await openTestCorpus(dir);
  });
  afterAll(() => corpus.close());

  test("a committed corpus file ingests completely with provenance on every segment", async () => {
    const summary = await ingestPaths(corpus, [PROSE_FIXTURE_DIR]);
    expect(summary).toMatchObject({
      committed: true,
      corpus_version: 1,
      documents_read: 120,
      documents_added: 120,
      segments_added: 120,
      rejected_total: 0,
    });
    const stats = await corpus.stats();
    expect(stats).toMatchObject({
      documents: 120,
      segments: 120,
      rejected: {},
      corpus_version: 1,
      vector_index: "exact",
    });
    const [seg] = await corpus.segments(["sample-0001:0"]);
    expect(seg).toMatchObject({ doc_id: "sample-0001", position: 0, line: 1, char_start: 0, corpus_version: 1 });
    expect(seg!.source).toEndWith("test/corpus/fixtures/prose/corpus.jsonl");
    expect(seg!.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(Date.parse(seg!.ingested_at)).toBeGreaterThan(0);
    expect(seg!.metadata).toMatchObject({ kind: "word_problem" });
  });

  test("re-ingesting the same content changes nothing (same content hash, same version)", async () => {
    const before = await corpus.manifest();
    const again = await ingestPaths(corpus, [PROSE_FIXTURE_DIR]);
    expect(again).toMatchObject({
      committed: false,
      unchanged: 120,
      segments_added: 0,
      corpus_version: 1,
      ingest_id: null,
    });
    const after = await corpus.manifest();
    expect(after.content_hash).toBe(before.content_hash);
    expect(after.ingest_runs.length).toBe(1);
  });

  test("vector, full-text and hybrid search, with provenance filters", async () => {
    const fts = await corpus.search("atomic number protons", { mode: "fts", k: 5 });
    expect(fts.length).toBe(5);
    for (const h of fts) expect(h.text.toLowerCase()).toContain("proton");
    const vec = await corpus.search("atomic number protons", { mode: "vector", k: 5 });
    expect(vec.length).toBe(5);
    expect(vec[0]!.score).toBeGreaterThanOrEqual(vec[4]!.score);
    const [self] = await corpus.segments(["sample-0002:0"]);
    expect((await corpus.search(self!.text, { mode: "vector", k: 1 }))[0]!.id).toBe("sample-0002:0");
    const hybrid = await corpus.search("atomic number protons", { mode: "hybrid", k: 5 });
    expect(hybrid.length).toBe(5);
    expect(
      hybrid.some((h) => h.fts_rank !== undefined && h.vector_rank !== undefined) || hybrid.every((h) => h.score > 0),
    ).toBe(true);
    expect(await corpus.search("protons", { mode: "fts", k: 5, filter: { source: "nowhere" } })).toEqual([]);
    const byDoc = await corpus.search("protons", { mode: "vector", k: 5, filter: { doc_id: "sample-0002" } });
    expect(byDoc.map((h) => h.id)).toEqual(["sample-0002:0"]);
  });

  test("seeded draws and the epoch sampler over the stored corpus", async () => {
    const a = await corpus.sample(10, 42);
    expect(new Set(a.map((s) => s.id)).size).toBe(10);
    expect((await corpus.sample(10, 42)).map((s) => s.id)).toEqual(a.map((s) => s.id));
    expect((await corpus.sample(500, 1)).length).toBe(120);
    const sampler = await corpus.createSampler({ seed: 9 });
    const first = sampler.next(70);
    const resumed = await corpus.createSampler({ seed: 9, state: JSON.parse(JSON.stringify(sampler.state())) });
    const rest = resumed.next(50);
    expect(new Set([...first, ...rest]).size).toBe(120);
  });
});

describe("curation: every rejection is counted with its reason", () => {
  test("exact and near duplicates, too short, non-text, blocklist, id conflicts", async () => {
    const dir = freshDir();
    const blocklist = join(dir, "blocklist.txt");
    writeFileSync(blocklist, "forbidden phrase\n");
    const corpus = await openTestCorpus(dir, { curation: { blocklist: { file: blocklist } } });
    const base = prose(1);
    const summary = await corpus.ingest(
      docs([
        { id: "a", text: base },
        { id: "b", text: `  ${base.replace(/ /g, "  ")}  ` },
        { id: "c", text: `${base.replace(/\.$/, "")} river mill grain.` },
        { id: "d", text: "Too short." },
        { id: "e", text: "12 34 56 78 90 11 22 33 44 55 66 77 88 99 10 20 30 40 50 60 70 80 90 13 14 15" },
        { id: "f", text: `${prose(2)} This mentions a Forbidden  phrase in passing.` },
        { id: "g", text: prose(3) },
      ]),
      { sources: ["test"] },
    );
    expect(summary.segments_added).toBe(2);
    expect(summary.rejected).toEqual({
      exact_duplicate: 1,
      near_duplicate: 1,
      too_short: 1,
      non_text: 1,
      blocklisted: 1,
    });
    const conflict = await corpus.ingest(
      docs([
        { id: "a", text: prose(4) },
        { id: "g", text: prose(3) },
      ]),
      { sources: ["test"] },
    );
    expect(conflict).toMatchObject({ rejected: { id_conflict: 1 }, unchanged: 1, segments_added: 0 });
    const stats = await corpus.stats();
    expect(stats.rejected).toEqual({
      blocklisted: 1,
      exact_duplicate: 1,
      id_conflict: 1,
      near_duplicate: 1,
      non_text: 1,
      too_short: 1,
    });
    // The same bad input again is not counted twice.
    await corpus.ingest(docs([{ id: "a", text: prose(4) }]), { sources: ["test"] });
    expect((await corpus.stats()).rejected_total).toBe(6);
    await corpus.close();
  });

  test("cosine near-duplicates use the embeddings; switching rules off lets text through", async () => {
    const dir = freshDir();
    const corpus = await openTestCorpus(dir, {
      curation: { exact_duplicates: false, near_duplicates: { method: "cosine", threshold: 0.999 } },
    });
    const s1 = await corpus.ingest(docs([{ id: "x", text: prose(7) }]), { sources: ["t"] });
    const s2 = await corpus.ingest(
      docs([
        { id: "y", text: prose(7) },
        { id: "z", text: prose(8) },
      ]),
      { sources: ["t"] },
    );
    expect(s1.segments_added).toBe(1);
    expect(s2).toMatchObject({ segments_added: 1, rejected: { near_duplicate: 1 } });
    await corpus.close();
    const open = await openTestCorpus(freshDir(), {
      curation: { exact_duplicates: false, near_duplicates: { enabled: false }, length: { enabled: false } },
    });
    const s3 = await open.ingest(
      docs([
        { id: "p", text: prose(9) },
        { id: "q", text: prose(9) },
        { id: "r", text: "Tiny." },
      ]),
      { sources: ["t"] },
    );
    expect(s3).toMatchObject({ segments_added: 3, rejected_total: 0 });
    await open.close();
  });
});

describe("bad input leaves the store consistent, with a clear message", () => {
  test("empty, binary, invalid UTF-8, a 50 MB single line, a malformed row: reported, the rest ingested", async () => {
    const dir = freshDir();
    const input = join(dir, "input");
    mkdirSync(input);
    writeFileSync(join(input, "empty.txt"), "");
    writeFileSync(join(input, "binary.txt"), new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 13, 1, 2, 3]));
    writeFileSync(
      join(input, "latin1.md"),
      new Uint8Array([...new TextEncoder().encode(`${prose(20)} caf`), 0xe9, 0x21]),
    );
    writeFileSync(join(input, "huge.txt"), "a".repeat(50 * 1024 * 1024));
    writeFileSync(
      join(input, "rows.jsonl"),
      [
        JSON.stringify({ id: "r1", text: prose(21) }),
        '{"id": "r2", "text": ',
        JSON.stringify({ id: "r3", text: prose(22), metadata: { k: 1 } }),
        `{"id":"r4","text":"${"b".repeat(50 * 1024 * 1024)}"}`,
        JSON.stringify({ id: "r5", text: 42 }),
        JSON.stringify({ id: "r6", text: prose(23) }),
      ].join("\n"),
    );
    writeFileSync(join(input, "good.md"), prose(24));
    const corpus = await openTestCorpus(dir);
    const events: { reason: string; source: string; line: number | null }[] = [];
    const summary = await ingestPaths(corpus, [input], { onRejection: (r) => events.push(r) });
    expect(summary.rejected).toEqual({ binary: 1, empty: 1, invalid_utf8: 1, malformed_row: 2, too_long: 2 });
    expect(summary.segments_added).toBe(4);
    const rows = (s: string) => events.filter((e) => e.source.endsWith(s)).map((e) => [e.line, e.reason]);
    expect(rows("rows.jsonl")).toEqual([
      [2, "malformed_row"],
      [4, "too_long"],
      [5, "malformed_row"],
    ]);
    expect(rows("huge.txt")).toEqual([[null, "too_long"]]);
    expect((await corpus.segments(["r6:0"]))[0]!.line).toBe(6);
    expect(await corpus.stats()).toMatchObject({ segments: 4, rejected_total: 7 });
    await corpus.close();
  });

  test("two ingests at once: the second fails clearly or waits for the first", async () => {
    const corpus = await openTestCorpus(freshDir());
    const first = corpus.ingest(docs([{ id: "w1", text: prose(30) }]), { sources: ["t"] });
    await Bun.sleep(5);
    await expect(corpus.ingest(docs([{ id: "w2", text: prose(31) }]), { sources: ["t"] })).rejects.toThrow(
      LockBusyError,
    );
    let waited = false;
    const second = await corpus.ingest(docs([{ id: "w3", text: prose(32) }]), {
      sources: ["t"],
      lockTimeoutMs: 30_000,
      onWait: () => (waited = true),
    });
    expect((await first).segments_added).toBe(1);
    expect(second.segments_added).toBe(1);
    expect(waited).toBe(true);
    expect((await corpus.stats()).segments).toBe(2);
    await corpus.close();
  });

  for (const when of ["after-commit", "mid-plan"] as const) {
    test(`an ingest killed ${when} leaves no half-written segments and no stuck lock`, async () => {
      const dir = freshDir();
      const corpus = await openTestCorpus(dir);
      await corpus.ingest(docs([{ id: "keep", text: prose(40) }]), { sources: ["t"] });
      const before = await corpus.manifest();
      await corpus.close();
      const child = Bun.spawnSync(
        ["bun", join(REPO_ROOT, "test", "corpus", "fixtures", "crash-ingest.ts"), dir, when, "12"],
        { stderr: "pipe", stdout: "pipe" },
      );
      expect(child.signalCode).toBe("SIGKILL");
      expect(existsSync(join(dir, "corpus", "ingest.lock"))).toBe(true);
      const reopened = await openTestCorpus(dir);
      const after = await reopened.manifest();
      expect(after.segments).toBe(1);
      expect(after.content_hash).toBe(before.content_hash);
      expect(after.rejected_total).toBe(0);
      const next = await reopened.ingest(docs([{ id: "next", text: prose(41) }]), { sources: ["t"] });
      expect(next).toMatchObject({ committed: true, corpus_version: 2, segments_added: 1 });
      await reopened.close();
    });
  }
});

describe("indexes, manifest and the app context", () => {
  test("past the size threshold an IVF_PQ index is built and vector search still finds the segment", async () => {
    const corpus = await openTestCorpus(freshDir(), { vector_index_min_rows: 256 });
    await ingestPaths(corpus, [PROSE_FIXTURE_DIR]);
    expect((await corpus.stats()).vector_index).toBe("exact");
    await corpus.ingest(docs(Array.from({ length: 140 }, (_, i) => ({ text: prose(500 + i) }))), { sources: ["t"] });
    expect((await corpus.stats()).vector_index).toBe("ivf_pq");
    const [seg] = await corpus.segments(["sample-0050:0"]);
    expect((await corpus.search(seg!.text, { mode: "vector", k: 3 })).map((h) => h.id)).toContain("sample-0050:0");
    await corpus.close();
  });

  test("ensureSampleCorpus ingests once; corpusManifest ties a run to the exact corpus", async () => {
    const ctx = testContext();
    try {
      for (const m of ["spice-encoder-tiny", "spice-lm-tiny"]) {
        mkdirSync(join(ctx.dataDir, "models"), { recursive: true });
        Bun.spawnSync(["ln", "-s", join(dd.dir, "models", m), join(ctx.dataDir, "models", m)]);
      }
      const first = await ensureSampleCorpus(ctx);
      expect(first?.segments_added).toBe(120);
      expect(await ensureSampleCorpus(ctx)).toBeNull();
      const m = await corpusManifest(ctx);
      expect(m.content_hash).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(m).toMatchObject({ documents: 120, segments: 120, rejected: {}, manifest_version: 1 });
      expect(m.per_source).toHaveLength(1);
      expect(m.ingest_runs[0]).toMatchObject({ corpus_version: 1, segments_added: 120 });
      expect((m.ingest_runs[0]!.settings as { segment_tokens: number }).segment_tokens).toBe(5992);
      expect(m.encoder).toStartWith("spice-encoder-tiny@");
      expect(m.tokenizer).toStartWith("spice-lm-tiny@");
      expect(await getCorpus(ctx)).toBe(await getCorpus(ctx));
    } finally {
      await ctx.close();
    }
  });
});
