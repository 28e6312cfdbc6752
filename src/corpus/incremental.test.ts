/**
 * Issue 17 item 11: an ingest's cost follows its documents, not the corpus. The stored corpus is
 * asked about the documents at hand (ids, hashes, MinHash bands) instead of being read whole, and
 * the indexes are folded in at a fixed share of new rows instead of after every ingest.
 */
import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";
import { corpusDataDir, docs, freshDirs, openTestCorpus, prose } from "../../test/corpus/helpers.ts";
import { corpusDir, type Corpus } from "./corpus.ts";
import { contentHash, MINHASH_BANDS, minhashSignature } from "./curate.ts";
import { ftsSearch } from "./search.ts";
import {
  BANDS_TABLE,
  bandRows,
  bandSchema,
  ensureIndexes,
  ingestSchema,
  OPTIMIZE_MIN_ROWS,
  openTables,
  segmentSchema,
  toArrowTable,
  type SegmentRow,
  type Tables,
} from "./store.ts";
import { clusteredVectors } from "./synthetic.ts";

setDefaultTimeout(60_000);
const dd = corpusDataDir();
afterAll(() => dd.cleanup());
const freshDir = freshDirs(dd.dir);

const DIM = 64; // the built encoder's

/** One stored segment (a document of one segment), as a committed ingest would leave it. */
function storedRow(id: string, text: string, hash: string, vector: SegmentRow["vector"], source: string): SegmentRow {
  return {
    id: `${id}:0`,
    doc_id: id,
    source,
    position: 0,
    line: null,
    char_start: 0,
    char_end: text.length,
    text,
    hash,
    doc_hash: hash,
    tokens: 60,
    ingested_at: "",
    corpus_version: 1,
    ingest_id: "stored",
    metadata: "{}",
    minhash: minhashSignature(text),
    vector,
  };
}

/** Stored segments written straight into the tables (as a committed ingest would leave them), bands included. */
async function writeStored(tables: Tables, texts: string[], withBands = true): Promise<void> {
  const vectors = clusteredVectors(texts.length, DIM, 8, 1);
  const rows = texts.map((text, i) => storedRow(`s${i}`, text, contentHash(text), vectors[i]!, "stored"));
  await tables.segments.add(toArrowTable(segmentSchema(DIM), rows));
  if (withBands) await tables.db.createTable(BANDS_TABLE, toArrowTable(bandSchema, bandRows(rows)));
  const run = { ingest_id: "stored", corpus_version: 1, started_at: "", finished_at: "", sources: "[]" };
  const more = { documents: rows.length, segments_added: rows.length, rejected: 0, settings: "{}" };
  await tables.ingests.add(toArrowTable(ingestSchema, [{ ...run, ...more, encoder: "e", tokenizer: "t" }]));
  await ensureIndexes(tables, 20_000, "always");
}

/** Counts the rows every query of the corpus's segment table hands back. */
function countRowsRead(corpus: Corpus): { rows: number } {
  const tables = (corpus as unknown as { tables: Tables }).tables;
  const counter = { rows: 0 };
  const query = tables.segments.query.bind(tables.segments);
  tables.segments.query = () => {
    const q = query();
    const toArrow = q.toArrow.bind(q);
    q.toArrow = async (...args: Parameters<typeof toArrow>) => {
      const t = await toArrow(...args);
      counter.rows += t.numRows;
      return t;
    };
    return q;
  };
  return counter;
}

const STORED = 3000;

describe("ingest cost follows the new documents", () => {
  test("an ingest reads the stored rows its documents match, not the corpus; duplicates are still found", async () => {
    const dir = freshDir();
    const tables = (await openTables(join(corpusDir(dir), "lancedb"), DIM))!;
    const texts = Array.from({ length: STORED }, (_, i) => prose(10_000 + i));
    await writeStored(tables, texts);
    tables.db.close();
    const corpus = await openTestCorpus(dir);
    const read = countRowsRead(corpus);
    const summary = await corpus.ingest(
      docs([
        { id: "new", text: prose(1) },
        { id: "near", text: `${texts[1234]!.replace(/\.$/, "")} river mill grain.` },
        { id: "s7", text: texts[7]! },
      ]),
      { sources: ["test"] },
    );
    expect(summary).toMatchObject({ segments_added: 1, unchanged: 1, rejected: { near_duplicate: 1 } });
    // Before: every stored row was read twice (the catalogue, then every MinHash signature).
    expect(read.rows).toBeLessThan(20);
    const events = await corpus.ingest(docs([{ id: "near2", text: `${texts[99]!} copper salt timber.` }]), {
      sources: ["test"],
    });
    expect(events.rejected).toEqual({ near_duplicate: 1 });
    await corpus.close();
  });

  test("a corpus from before the band table gets one on its next ingest, whole", async () => {
    const dir = freshDir();
    const tables = (await openTables(join(corpusDir(dir), "lancedb"), DIM))!;
    const texts = Array.from({ length: 300 }, (_, i) => prose(20_000 + i));
    await writeStored(tables, texts, false);
    tables.db.close();
    const corpus = await openTestCorpus(dir);
    const summary = await corpus.ingest(docs([{ id: "near", text: `${texts[5]!} storm wall school.` }]), {
      sources: ["test"],
    });
    expect(summary.rejected).toEqual({ near_duplicate: 1 });
    await corpus.ingest(docs([{ id: "fresh", text: prose(3) }]), { sources: ["test"] });
    const reopened = (await openTables(join(corpusDir(dir), "lancedb")))!;
    expect(await reopened.bands!.countRows()).toBe(301 * MINHASH_BANDS);
    reopened.db.close();
    await corpus.close();
  });

  test("new rows are folded into the indexes at a share of the corpus, and found by search before that", async () => {
    const dir = freshDir();
    const tables = (await openTables(join(corpusDir(dir), "lancedb"), DIM))!;
    await writeStored(
      tables,
      Array.from({ length: STORED }, (_, i) => prose(30_000 + i)),
    );
    const unindexed = async () => (await tables.segments.indexStats("text_idx"))!.numUnindexedRows;
    const add = async (from: number, count: number, word: string) => {
      const rows = Array.from({ length: count }, (_, i) => `${prose(from + i)} ${word}`);
      const vectors = clusteredVectors(count, DIM, 2, from);
      await tables.segments.add(
        toArrowTable(
          segmentSchema(DIM),
          rows.map((text, i) => storedRow(`n${from + i}`, text, `n${from + i}`, vectors[i]!, "new")),
        ),
      );
    };
    await add(40_000, 10, "zanzibar");
    await ensureIndexes(tables, 20_000, "when-due");
    // Not folded in yet (optimize() costs time in proportion to the whole corpus), and found all the same.
    expect(await unindexed()).toBe(10);
    expect((await ftsSearch(tables, "zanzibar", 20)).length).toBe(10);
    await add(50_000, OPTIMIZE_MIN_ROWS, "quokka");
    await ensureIndexes(tables, 20_000, "when-due");
    expect(await unindexed()).toBe(0);
    tables.db.close();
  });
});
