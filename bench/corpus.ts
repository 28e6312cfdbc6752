/**
 * Corpus benchmark (issues 5 and 17).
 * 1. Ingest throughput with the built encoder (segments/s), against the encoder alone on the same texts.
 * 2. Search at 100,000 segments: synthetic *clustered* unit vectors with the encoder's dimension
 *    (never isotropic: isotropic vectors make recall@10 noise) and Zipf-like texts, written as Arrow batches
 *    into a corpus as an ingest leaves it (MinHash signatures and bands, an ingest run, the indexes).
 *    Vector (IVF_PQ, as the store builds it past its threshold), full-text and hybrid latency
 *    p50/p99; recall@10 of the index against an exact brute-force scan in TypeScript, and its
 *    speed-up over that scan (and over LanceDB's own flat scan). Target: vector p50 ≤ 10 ms with recall@10 ≥ 0.95.
 * 3. Ingest cost against corpus size: 100 new documents ingested (three times, median) into corpora
 *    of 1k, 10k and 100k segments (the 100k one is section 2's). Baseline: the smallest corpus;
 *    target (issue 17): the largest within 2× of it.
 * `bun bench/corpus.ts [--rows 100000] [--sizes 1000,10000] [--ingest-docs 100]`
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { DEFAULT_ENCODER, DEFAULT_LM, ensureModel } from "../models/index.ts";
import { corpusDir, openCorpus } from "../src/corpus/corpus.ts";
import { contentHash, minhashSignature } from "../src/corpus/curate.ts";
import { loadEncoder } from "../src/corpus/embed.ts";
import { ftsSearch, hybridSearch, vectorSearch } from "../src/corpus/search.ts";
import { defaultCorpusSettings } from "../src/corpus/settings.ts";
import type { SourceItem } from "../src/corpus/sources.ts";
import {
  BANDS_TABLE,
  bandRows,
  bandSchema,
  ensureIndexes,
  ingestSchema,
  openTables,
  segmentSchema,
  toArrowTable,
  vectorIndexOptions,
  type SegmentRow,
  type Tables,
} from "../src/corpus/store.ts";
import { clusteredVectors, generateSampleDocuments, rng } from "../src/corpus/synthetic.ts";

const { values } = parseArgs({
  options: {
    rows: { type: "string", default: "100000" },
    docs: { type: "string", default: "600" },
    sizes: { type: "string", default: "1000,10000" },
    "ingest-docs": { type: "string", default: "100" },
  },
});
const ROWS = Number(values.rows);
const INGEST_DOCS = Number(values.docs);
// Corpus sizes for section 3; the search corpus (ROWS) is always the last.
const SIZES = [...new Set([...values.sizes.split(",").map(Number), ROWS])].sort((a, b) => a - b);
const SCALE_DOCS = Number(values["ingest-docs"]);
const QUERIES = 200;
const WARMUP = 30;
const dataDir = mkdtempSync(join(tmpdir(), "spice-bench-corpus-"));
const log = (s: string) => process.stderr.write(`bench/corpus: ${s}\n`);
const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
const ms = (x: number) => x.toFixed(2);

try {
  // ---- 1. ingest throughput ----
  const encoderDir = ensureModel(dataDir, DEFAULT_ENCODER);
  const lmDir = ensureModel(dataDir, DEFAULT_LM);
  const documents = generateSampleDocuments(INGEST_DOCS, 11);
  const items: SourceItem[] = documents.map((d, i) => ({
    kind: "doc",
    bytes: d.text.length,
    doc: { id: d.id, text: d.text, metadata: d.metadata, source: "bench", line: i + 1 },
  }));
  const corpus = await openCorpus({ dataDir, settings: defaultCorpusSettings() });
  await (await corpus.embedder()).embed(["warm-up"]);
  await (await corpus.tokenCounter()).count("warm-up");
  log(`ingesting ${INGEST_DOCS} documents …`);
  let t = performance.now();
  const summary = await corpus.ingest(items, { sources: ["bench"] });
  const ingestS = (performance.now() - t) / 1000;
  await corpus.close();
  const encoder = await loadEncoder(encoderDir);
  t = performance.now();
  await encoder.embed(documents.map((d) => d.text));
  const embedS = (performance.now() - t) / 1000;
  const dim = encoder.dim;
  await encoder.dispose();

  // ---- 2. search at ROWS segments ----
  log(`writing ${ROWS} synthetic segments (${dim}-d clustered vectors) …`);
  const vocab = Array.from({ length: 5000 }, (_, i) => `w${i.toString(36)}`);
  const searchDir = join(dataDir, `scale-${ROWS}`);
  t = performance.now();
  const { tables, vectors } = await writeSyntheticCorpus(searchDir, ROWS, dim, vocab);
  const writeS = (performance.now() - t) / 1000;
  log("building the full-text and IVF_PQ indexes …");
  t = performance.now();
  await ensureIndexes(tables, defaultCorpusSettings().vector_index_min_rows, "always");
  await tables.bands!.optimize();
  const indexS = (performance.now() - t) / 1000;

  // Queries: a stored vector plus noise (so the exact top-10 is a real neighbourhood), and 2 frequent-ish words.
  const qr = rng(9);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - qr())) * Math.cos(2 * Math.PI * qr());
  const queries = Array.from({ length: QUERIES + WARMUP }, () => {
    const src = vectors[Math.floor(qr() * ROWS)]!;
    const v = Float32Array.from(src, (x) => x + (0.3 / Math.sqrt(dim)) * gauss());
    let n = 0;
    for (const x of v) n += x * x;
    for (let i = 0; i < dim; i++) v[i]! /= Math.sqrt(n);
    return { v, q: `${vocab[Math.floor(qr() * 200)]} ${vocab[Math.floor(qr() * 2000)]}` };
  });

  // Exact brute force in TypeScript: the baseline and the ground truth.
  const flat = new Float32Array(ROWS * dim);
  for (const [i, v] of vectors.entries()) flat.set(v, i * dim);
  // Locals, not module-level consts (top-level-await bindings are slower in hot loops); a
  // fixed-size insertion top-10 that allocates nothing, so the baseline is a fair one.
  const exactTop10 = (q: Float32Array, rows = ROWS, d = dim, m = flat): string[] => {
    const topS = new Float64Array(10).fill(-Infinity);
    const topI = new Int32Array(10).fill(-1);
    for (let i = 0; i < rows; i++) {
      let s = 0;
      const o = i * d;
      for (let j = 0; j < d; j++) s += q[j]! * m[o + j]!;
      if (s <= topS[9]!) continue;
      let p = 9;
      while (p > 0 && topS[p - 1]! < s) {
        topS[p] = topS[p - 1]!;
        topI[p] = topI[p - 1]!;
        p--;
      }
      topS[p] = s;
      topI[p] = i;
    }
    return Array.from(topI, (i) => `b${i}:0`);
  };

  const time = async (f: (i: number) => Promise<unknown> | unknown) => {
    for (let i = 0; i < WARMUP; i++) await f(QUERIES + i);
    const lat: number[] = [];
    for (let i = 0; i < QUERIES; i++) {
      const s = performance.now();
      await f(i);
      lat.push(performance.now() - s);
    }
    return lat;
  };
  log("timing queries …");
  const truth: string[][] = [];
  const brute = await time((i) => {
    const top = exactTop10(queries[i]!.v);
    if (i < QUERIES) truth[i] = top;
  });
  const got: string[][] = [];
  const vec = await time(async (i) => {
    const hits = await vectorSearch(tables, queries[i]!.v, 10, undefined, true);
    if (i < QUERIES) got[i] = hits.map((h) => h.id);
  });
  const lanceFlat = await time((i) => vectorSearch(tables, queries[i]!.v, 10, undefined, false));
  const fts = await time((i) => ftsSearch(tables, queries[i]!.q, 10));
  const hybrid = await time((i) => hybridSearch(tables, queries[i]!.q, queries[i]!.v, 10, undefined, true));
  let hit = 0;
  for (let i = 0; i < QUERIES; i++) hit += got[i]!.filter((id) => truth[i]!.includes(id)).length;
  const recall = hit / (QUERIES * 10);
  tables.db.close();

  // ---- 3. ingest cost against corpus size ----
  const scale: { size: number; seconds: number[]; segments: number }[] = [];
  for (const size of SIZES) {
    const dir = size === ROWS ? searchDir : join(dataDir, `scale-${size}`);
    if (size !== ROWS) {
      log(`writing a corpus of ${size} synthetic segments …`);
      const built = await writeSyntheticCorpus(dir, size, dim, vocab);
      await ensureIndexes(built.tables, defaultCorpusSettings().vector_index_min_rows, "always");
      built.tables.db.close();
    }
    const settings = { ...defaultCorpusSettings(), encoder: encoderDir };
    const c = await openCorpus({ dataDir: dir, settings, policyModel: lmDir });
    await (await c.embedder()).embed(["warm-up"]);
    await (await c.tokenCounter()).count("warm-up");
    const seconds: number[] = [];
    let segments = 0;
    for (let round = 0; round < 3; round++) {
      const docs = generateSampleDocuments(SCALE_DOCS, 1000 + round).map((d, i) => ({
        kind: "doc" as const,
        bytes: d.text.length,
        doc: { id: `new-${round}-${d.id}`, text: d.text, metadata: d.metadata, source: "bench/new", line: i + 1 },
      }));
      log(`ingesting ${SCALE_DOCS} documents into ${size} segments (round ${round + 1}/3) …`);
      const t0 = performance.now();
      segments += (await c.ingest(docs, { sources: ["bench/new"] })).segments_added;
      seconds.push((performance.now() - t0) / 1000);
    }
    await c.close();
    scale.push({ size, seconds, segments });
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const smallest = median(scale[0]!.seconds);
  const largest = median(scale[scale.length - 1]!.seconds);

  const opts = vectorIndexOptions(ROWS, dim);
  const out = [
    `## Corpus (LanceDB ${ROWS.toLocaleString("en-US")} × ${dim}-d, ${QUERIES} sequential queries after ${WARMUP} warm-up)`,
    "",
    "| what | p50 ms | p99 ms | notes |",
    "|---|---|---|---|",
    `| exact brute-force scan, TypeScript (baseline) | ${ms(pct(brute, 50))} | ${ms(pct(brute, 99))} | ground truth for recall |`,
    `| LanceDB flat scan (no index) | ${ms(pct(lanceFlat, 50))} | ${ms(pct(lanceFlat, 99))} | |`,
    `| **vector, IVF_PQ** (${opts.numPartitions} partitions, ${opts.numSubVectors} sub-vectors, nprobes 20, refine 10) | **${ms(pct(vec, 50))}** | ${ms(pct(vec, 99))} | recall@10 **${recall.toFixed(3)}**; ${(pct(brute, 50) / pct(vec, 50)).toFixed(1)}× faster than the brute-force scan, ${(pct(lanceFlat, 50) / pct(vec, 50)).toFixed(1)}× than the flat scan |`,
    `| full-text (BM25) | ${ms(pct(fts, 50))} | ${ms(pct(fts, 99))} | 2-word queries |`,
    `| hybrid (vector + full-text, RRF) | ${ms(pct(hybrid, 50))} | ${ms(pct(hybrid, 99))} | |`,
    "",
    `Target vector p50 ≤ 10 ms with recall@10 ≥ 0.95: **${pct(vec, 50) <= 10 && recall >= 0.95 ? "met" : "not met"}**. Write ${writeS.toFixed(1)} s (${Math.round(ROWS / writeS).toLocaleString("en-US")} rows/s as Arrow batches, MinHash signatures and bands included); index build ${indexS.toFixed(1)} s.`,
    "",
    "| ingest (built encoder, full pipeline) | value |",
    "|---|---|",
    `| documents → segments | ${INGEST_DOCS} → ${summary.segments_added} (${summary.rejected_total} rejected) |`,
    `| ingest throughput | **${(summary.segments_added / ingestS).toFixed(1)} segments/s** (${ingestS.toFixed(2)} s) |`,
    `| encoder alone on the same texts (baseline) | ${(INGEST_DOCS / embedS).toFixed(1)} texts/s (${embedS.toFixed(2)} s) |`,
    `| ingest / encoder-alone throughput | ${(summary.segments_added / ingestS / (INGEST_DOCS / embedS)).toFixed(2)} |`,
    "",
    `| corpus size (segments) | ingest of ${SCALE_DOCS} new documents, median of 3 (s) | all 3 (s) | ratio vs ${scale[0]!.size.toLocaleString("en-US")} |`,
    "|---|---|---|---|",
    ...scale.map(
      (r) =>
        `| ${r.size.toLocaleString("en-US")} | **${median(r.seconds).toFixed(2)}** | ${r.seconds.map((x) => x.toFixed(2)).join(", ")} | ${(median(r.seconds) / smallest).toFixed(2)} |`,
    ),
    "",
    `Target: ingest time within 2× from ${scale[0]!.size.toLocaleString("en-US")} to ${ROWS.toLocaleString("en-US")} segments: **${largest / smallest <= 2 ? "met" : "not met"}** (${(largest / smallest).toFixed(2)}×).`,
  ];
  process.stdout.write(`${out.join("\n")}\n`);
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}

/**
 * A corpus of `n` synthetic segments as an ingest leaves it: clustered vectors, Zipf-like texts with
 * their content hashes and MinHash signatures, the band table and one ingest run (no indexes yet).
 */
async function writeSyntheticCorpus(
  dir: string,
  n: number,
  dim: number,
  vocab: string[],
): Promise<{ tables: Tables; vectors: Float32Array[] }> {
  const tables = (await openTables(join(corpusDir(dir), "lancedb"), dim))!;
  const vectors = clusteredVectors(n, dim, 1000, 3);
  const r = rng(5);
  const word = () => vocab[Math.min(vocab.length - 1, Math.floor(Math.exp(r() * Math.log(vocab.length))) - 1)]!;
  const texts = Array.from({ length: n }, () => Array.from({ length: 30 + Math.floor(r() * 30) }, word).join(" "));
  const bands = [];
  for (let start = 0; start < n; start += 10_000) {
    const rows: SegmentRow[] = [];
    for (let i = start; i < Math.min(n, start + 10_000); i++) {
      const hash = contentHash(texts[i]!);
      rows.push({
        id: `b${i}:0`,
        doc_id: `b${i}`,
        source: `bench/${i % 10}`,
        position: 0,
        line: null,
        char_start: 0,
        char_end: texts[i]!.length,
        text: texts[i]!,
        hash,
        doc_hash: hash,
        tokens: 40,
        ingested_at: "",
        corpus_version: 1,
        ingest_id: "bench",
        metadata: "{}",
        minhash: minhashSignature(texts[i]!),
        vector: vectors[i]!,
      });
    }
    await tables.segments.add(toArrowTable(segmentSchema(dim), rows));
    bands.push(...bandRows(rows));
  }
  tables.bands = await tables.db.createTable(BANDS_TABLE, toArrowTable(bandSchema, bands));
  const run = { ingest_id: "bench", corpus_version: 1, started_at: "", finished_at: "", sources: "[]", documents: n };
  const rest = { segments_added: n, rejected: 0, settings: "{}", encoder: "bench", tokenizer: "bench" };
  await tables.ingests.add(toArrowTable(ingestSchema, [{ ...run, ...rest }]));
  return { tables, vectors };
}
