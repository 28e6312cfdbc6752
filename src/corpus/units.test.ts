import { beforeAll, describe, expect, test } from "bun:test";
import fc from "fast-check";
import { approximateTokenCounter, chunkText, type TokenCounter } from "./chunk.ts";
import {
  checkText,
  contentHash,
  estimatedJaccard,
  looksBinary,
  MinHashIndex,
  minhashSignature,
  parseBlocklist,
} from "./curate.ts";
import { loadTokenCounter } from "./embed.ts";
import { corpusContentHash } from "./manifest.ts";
import { createSampler, drawSample, SamplerStateMismatch } from "./sampler.ts";
import { rrfFuse, whereClause, type SearchHit } from "./search.ts";
import { defaultCorpusSettings, loadCorpusSettings, CorpusSettingsError } from "./settings.ts";
import { generateSampleDocuments } from "./synthetic.ts";
import { corpusDataDir } from "../../test/corpus/helpers.ts";

let lm: TokenCounter;
beforeAll(async () => {
  const { dir } = corpusDataDir();
  lm = await loadTokenCounter(`${dir}/models/spice-lm-tiny`);
});

describe("chunking", () => {
  const para = (i: number) => `Paragraph ${i} talks about the harbour, the mill and ${i * 7} sacks of grain.`;
  const text = Array.from({ length: 40 }, (_, i) => para(i)).join("\n\n");

  test("segments stay within the token budget (real LM tokenizer) and are exact slices", () => {
    const chunks = chunkText(text, lm, { maxTokens: 64 });
    expect(chunks.length).toBeGreaterThan(5);
    for (const c of chunks) {
      expect(c.tokens).toBeLessThanOrEqual(64);
      expect(lm.count(c.text)).toBe(c.tokens);
      expect(text.slice(c.char_start, c.char_end)).toBe(c.text);
    }
    expect(chunks.map((c) => c.position)).toEqual(chunks.map((_, i) => i));
  });

  test("paragraph-aware: no paragraph is split when each fits", () => {
    for (const c of chunkText(text, lm, { maxTokens: 64 })) {
      expect(c.text.startsWith("Paragraph")).toBe(true);
      expect(c.text.endsWith("grain.")).toBe(true);
    }
  });

  test("without overlap the segments tile the text; with overlap they repeat trailing paragraphs", () => {
    const plain = chunkText(text, lm, { maxTokens: 64 });
    expect(plain.map((c) => c.text).join("\n\n")).toBe(text);
    const over = chunkText(text, lm, { maxTokens: 64, overlapTokens: 32 });
    expect(over.length).toBeGreaterThan(plain.length);
    for (let i = 1; i < over.length; i++) expect(over[i]!.char_start).toBeLessThan(over[i - 1]!.char_end);
    expect(over.at(-1)!.char_end).toBe(text.length);
  });

  test("a short document is one segment; the default budget is the paper’s 5,992", () => {
    expect(defaultCorpusSettings().segment_tokens).toBe(5992);
    expect(chunkText("  Just one sentence.  ", lm, { maxTokens: 5992 })).toEqual([
      { text: "Just one sentence.", position: 0, char_start: 2, char_end: 20, tokens: lm.count("Just one sentence.") },
    ]);
    expect(chunkText(" \n\n ", lm, { maxTokens: 10 })).toEqual([]);
  });

  test("an unbroken run (no whitespace) is cut by characters, never past the budget", () => {
    const run = "x".repeat(5000) + "😀".repeat(300);
    const chunks = chunkText(run, lm, { maxTokens: 100 });
    expect(chunks.map((c) => c.text).join("")).toBe(run);
    for (const c of chunks) expect(lm.count(c.text)).toBeLessThanOrEqual(100);
  });

  test("property: every segment fits and offsets are exact, for any budget and text", () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ minLength: 0, maxLength: 80 }), { maxLength: 12 }),
        fc.integer({ min: 4, max: 60 }),
        fc.integer({ min: 0, max: 20 }),
        (paras, max, overlap) => {
          const t = paras.join("\n\n");
          for (const c of chunkText(t, approximateTokenCounter, { maxTokens: max, overlapTokens: overlap })) {
            expect(approximateTokenCounter.count(c.text)).toBeLessThanOrEqual(max);
            expect(t.slice(c.char_start, c.char_end)).toBe(c.text);
          }
        },
      ),
      { seed: 5, numRuns: 200 },
    );
  });
});

describe("curation rules", () => {
  const cur = defaultCorpusSettings().curation;
  const good = "The bakery sold 240 loaves on Monday and 310 on Tuesday, so it sold 550 loaves in the two days.";

  test("content hash ignores whitespace and Unicode normal form differences only", () => {
    expect(contentHash("a  b\n c")).toBe(contentHash("a b c"));
    expect(contentHash("caf\u00e9")).toBe(contentHash("cafe\u0301"));
    expect(contentHash("a b c")).not.toBe(contentHash("a b d"));
  });

  test("too short, non-text (numbers, markup, control characters) and blocklisted text are rejected with a reason", () => {
    expect(checkText(good, 30, cur, null)).toBeNull();
    expect(checkText(good, 3, cur, null)?.reason).toBe("too_short");
    expect(checkText("short but many tokens", 30, cur, null)?.reason).toBe("too_short");
    expect(
      checkText("3.14159 2.71828 1.41421 1.73205 0.57721 4.66920 2.50290 1.61803 ".repeat(3), 60, cur, null)?.reason,
    ).toBe("non_text");
    expect(
      checkText('<div class="a"><span>x</span></div><div class="b"><span>y</span></div> words here', 40, cur, null)
        ?.reason,
    ).toBe("non_text");
    expect(checkText(`${good}\u0001\u0002\u0003\u0004\u0005\u0006`, 40, cur, null)?.reason).toBe("non_text");
    const bl = parseBlocklist("# comment\nloaves\nfoo bar\n\n");
    expect(bl.terms).toEqual(["loaves", "foo bar"]);
    expect(checkText(good, 30, cur, bl)).toEqual({
      reason: "blocklisted",
      detail: 'contains blocklisted term "loaves"',
    });
    expect(bl.match("a FOO  bar b")).toBe("foo bar");
    expect(bl.match("loavesome")).toBeNull();
    const off = loadCorpusSettings(null, {
      curation: { length: { enabled: false }, non_text: { enabled: false }, blocklist: { enabled: false } },
    }).curation;
    expect(checkText("1 2 3", 1, off, bl)).toBeNull();
  });

  test("binary detection on raw bytes", () => {
    expect(looksBinary(new Uint8Array([72, 105, 0, 1]))).toBe(true);
    expect(looksBinary(new TextEncoder().encode("plain text\n\twith tabs"))).toBe(false);
  });

  test("MinHash: near-duplicates are found through LSH, distinct texts are not", () => {
    const docs = generateSampleDocuments(60, 3).map((d) => d.text);
    const index = new MinHashIndex();
    for (const [i, t] of docs.entries()) index.add(`d${i}`, minhashSignature(t));
    const edited = `${docs[7]!.replace(/\.$/, "!")} Indeed.`;
    const hit = index.query(minhashSignature(edited), 0.8);
    expect(hit?.id).toBe("d7");
    expect(hit!.similarity).toBeGreaterThan(0.8);
    expect(
      index.query(
        minhashSignature("An entirely unrelated sentence about violins, deserts and the colour of tea."),
        0.5,
      ),
    ).toBeNull();
    expect(estimatedJaccard(minhashSignature(docs[0]!), minhashSignature(docs[0]!))).toBe(1);
  });
});

describe("sampler", () => {
  const ids = Array.from({ length: 50 }, (_, i) => `s${i}`);

  test("uniform without replacement within an epoch, then a new permutation", () => {
    const s = createSampler({ ids, seed: 3 });
    const first = s.next(50);
    expect(new Set(first).size).toBe(50);
    expect(s.epoch).toBe(0);
    const second = s.next(50);
    expect(new Set(second).size).toBe(50);
    expect(second).not.toEqual(first);
    expect(s.epoch).toBe(1);
  });

  test("state round-trips through JSON: a restored sampler continues exactly", () => {
    const a = createSampler({ ids, seed: "run-1" });
    a.next(17);
    const saved = JSON.parse(JSON.stringify(a.state()));
    const b = createSampler({ ids: [...ids].reverse(), seed: "ignored", state: saved });
    expect(b.next(40)).toEqual(a.next(40));
  });

  test("a state over another corpus starts a new epoch, or throws when asked", () => {
    const a = createSampler({ ids, seed: 1 });
    a.next(5);
    const moved = createSampler({ ids: [...ids, "new"], seed: 1, state: a.state() });
    expect(moved.epoch).toBe(1);
    expect(moved.state().cursor).toBe(0);
    expect(() => createSampler({ ids: ids.slice(1), seed: 1, state: a.state(), onCorpusChange: "throw" })).toThrow(
      SamplerStateMismatch,
    );
    expect(() => createSampler({ ids, seed: 1, state: { nonsense: true } })).toThrow();
  });

  test("seeded draw: n distinct, repeatable, different seeds differ, capped at the corpus", () => {
    expect(drawSample(ids, 10, "x")).toEqual(drawSample([...ids].reverse(), 10, "x"));
    expect(new Set(drawSample(ids, 10, "x")).size).toBe(10);
    expect(drawSample(ids, 10, "x")).not.toEqual(drawSample(ids, 10, "y"));
    expect(drawSample(ids, 500, 1).length).toBe(50);
    expect(drawSample([], 3, 1)).toEqual([]);
  });

  test("uniformity: over many seeds every id is drawn about equally often", () => {
    const counts = new Map<string, number>();
    for (let seed = 0; seed < 2000; seed++)
      for (const id of drawSample(ids, 5, seed)) counts.set(id, (counts.get(id) ?? 0) + 1);
    const expected = (2000 * 5) / ids.length;
    for (const id of ids) expect(Math.abs(counts.get(id)! - expected)).toBeLessThan(expected * 0.35);
  });
});

describe("search helpers and settings", () => {
  const h = (id: string, extra: Partial<SearchHit> = {}): SearchHit => ({
    id,
    doc_id: id,
    source: "s",
    position: 0,
    text: id,
    tokens: 1,
    corpus_version: 1,
    metadata: {},
    score: 0,
    ...extra,
  });

  test("reciprocal-rank fusion rewards agreement between the lists", () => {
    const fused = rrfFuse(
      [
        [h("a", { vector_rank: 1 }), h("b", { vector_rank: 2 }), h("c", { vector_rank: 3 })],
        [h("c", { fts_rank: 1 }), h("d", { fts_rank: 2 })],
      ],
      3,
    );
    expect(fused.map((x) => x.id)).toEqual(["c", "a", "b"]);
    expect(fused[0]!.score).toBeCloseTo(1 / 63 + 1 / 61, 10);
    expect(fused[0]).toMatchObject({ vector_rank: 3, fts_rank: 1 });
  });

  test("filters become escaped SQL", () => {
    expect(whereClause({})).toBeUndefined();
    expect(whereClause({ source: "it's", corpus_version: 2 })).toBe("source = 'it''s' AND corpus_version = 2");
    expect(whereClause({ source_prefix: "data/" })).toBe("starts_with(source, 'data/')");
  });

  test("settings: file + overrides validated, with a clear error", () => {
    expect(
      loadCorpusSettings(null, { segment_tokens: 100, curation: { near_duplicates: { method: "cosine" } } }),
    ).toMatchObject({
      segment_tokens: 100,
      curation: { near_duplicates: { enabled: true, method: "cosine", threshold: 0.85 } },
    });
    expect(() => loadCorpusSettings(null, { segment_tokens: 2 })).toThrow(CorpusSettingsError);
    expect(() => loadCorpusSettings(null, { bogus: 1 })).toThrow(/invalid corpus settings/);
    expect(() => loadCorpusSettings("/nonexistent/settings.json")).toThrow(/cannot read/);
  });

  test("the manifest content hash is order-independent and content-sensitive", () => {
    const a = { id: "a", doc_id: "a", source: "s", hash: "h1", tokens: 1, corpus_version: 1 };
    const b = { id: "b", doc_id: "b", source: "s", hash: "h2", tokens: 1, corpus_version: 2 };
    expect(corpusContentHash([a, b])).toBe(corpusContentHash([b, a]));
    expect(corpusContentHash([a, b])).not.toBe(corpusContentHash([a, { ...b, hash: "h3" }]));
  });

  test("the sample corpus generator is seeded and has at least 100 documents of each kind in rotation", () => {
    const docs = generateSampleDocuments(120, 1);
    expect(docs).toEqual(generateSampleDocuments(120, 1));
    expect(new Set(docs.map((d) => d.metadata.kind))).toEqual(new Set(["word_problem", "science", "history"]));
    expect(generateSampleDocuments(5, 2)).not.toEqual(generateSampleDocuments(5, 1));
  });
});
