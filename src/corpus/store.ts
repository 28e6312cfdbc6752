import * as lancedb from "@lancedb/lancedb";
import * as arrow from "apache-arrow";
import { bandKeys64, MINHASH_BANDS, MINHASH_PERMUTATIONS } from "./curate.ts";

/** One stored segment, provenance included. */
export interface SegmentRow {
  id: string;
  doc_id: string;
  source: string;
  position: number;
  /** 1-based line of the JSON Lines row the document came from, else null. */
  line: number | null;
  char_start: number;
  char_end: number;
  text: string;
  hash: string;
  doc_hash: string;
  tokens: number;
  ingested_at: string;
  corpus_version: number;
  ingest_id: string;
  metadata: string;
  minhash: Int32Array;
  vector: Float32Array;
}

export interface RejectionRow {
  id: string;
  ingest_id: string;
  reason: string;
  level: "document" | "segment";
  source: string;
  doc_id: string | null;
  position: number | null;
  line: number | null;
  detail: string;
  hash: string | null;
  at: string;
}

export interface IngestRow {
  ingest_id: string;
  corpus_version: number;
  started_at: string;
  finished_at: string;
  sources: string;
  documents: number;
  segments_added: number;
  rejected: number;
  settings: string;
  encoder: string;
  tokenizer: string;
}

const utf8 = () => new arrow.Utf8();
const i32 = () => new arrow.Int32();
const field = (name: string, type: arrow.DataType, nullable = false) => new arrow.Field(name, type, nullable);

export function segmentSchema(dim: number): arrow.Schema {
  return new arrow.Schema([
    field("id", utf8()),
    field("doc_id", utf8()),
    field("source", utf8()),
    field("position", i32()),
    field("line", i32(), true),
    field("char_start", i32()),
    field("char_end", i32()),
    field("text", utf8()),
    field("hash", utf8()),
    field("doc_hash", utf8()),
    field("tokens", i32()),
    field("ingested_at", utf8()),
    field("corpus_version", i32()),
    field("ingest_id", utf8()),
    field("metadata", utf8()),
    field("minhash", new arrow.FixedSizeList(MINHASH_PERMUTATIONS, field("item", i32(), true))),
    field("vector", new arrow.FixedSizeList(dim, field("item", new arrow.Float32(), true))),
  ]);
}

export const rejectionSchema = new arrow.Schema([
  field("id", utf8()),
  field("ingest_id", utf8()),
  field("reason", utf8()),
  field("level", utf8()),
  field("source", utf8()),
  field("doc_id", utf8(), true),
  field("position", i32(), true),
  field("line", i32(), true),
  field("detail", utf8()),
  field("hash", utf8(), true),
  field("at", utf8()),
]);

export const ingestSchema = new arrow.Schema([
  field("ingest_id", utf8()),
  field("corpus_version", i32()),
  field("started_at", utf8()),
  field("finished_at", utf8()),
  field("sources", utf8()),
  field("documents", i32()),
  field("segments_added", i32()),
  field("rejected", i32()),
  field("settings", utf8()),
  field("encoder", utf8()),
  field("tokenizer", utf8()),
]);

/**
 * The MinHash LSH of the stored segments, one row per (segment, band): a new segment's near-duplicate
 * candidates are the rows sharing one of its band keys, found by a filtered scan, so an ingest never
 * loads every signature (src/corpus/curate.ts).
 */
export const BANDS_TABLE = "minhash_bands";

export interface BandRow {
  band: bigint;
  id: string;
  corpus_version: number;
}

export const bandSchema = new arrow.Schema([
  field("band", new arrow.Int64()),
  field("id", utf8()),
  field("corpus_version", i32()),
]);

/** The band rows of some segments. */
export function bandRows(segments: readonly { id: string; minhash: Int32Array; corpus_version: number }[]): BandRow[] {
  const rows: BandRow[] = [];
  for (const s of segments)
    for (const band of bandKeys64(s.minhash)) rows.push({ band, id: s.id, corpus_version: s.corpus_version });
  return rows;
}

/**
 * Makes the band table match the segments: created from them when absent (a corpus from before the
 * table existed, once), rebuilt when its row count is not MINHASH_BANDS per segment (written by a
 * version that did not keep it). Call under the ingest lock.
 */
export async function ensureBandTable(tables: Tables): Promise<lancedb.Table> {
  const segments = await tables.segments.countRows();
  if (tables.bands && (await tables.bands.countRows()) === segments * MINHASH_BANDS) return tables.bands;
  const stored = await readColumns<{ id: string; minhash: Int32Array; corpus_version: number }>(tables.segments, [
    "id",
    "minhash",
    "corpus_version",
  ]);
  // One commit either way: the table appears (or is replaced) whole.
  tables.bands = await tables.db.createTable(BANDS_TABLE, toArrowTable(bandSchema, bandRows(stored)), {
    mode: tables.bands ? "overwrite" : "create",
  });
  return tables.bands;
}

/** Builds one Arrow table straight from column arrays (faster than row objects, and exact types). */
export function toArrowTable<R>(schema: arrow.Schema, rows: readonly R[]): arrow.Table {
  const n = rows.length;
  const children = schema.fields.map((f) =>
    columnData(
      f,
      rows.map((r) => (r as Record<string, unknown>)[f.name]),
    ),
  );
  const struct = arrow.makeData({ type: new arrow.Struct(schema.fields), length: n, nullCount: 0, children });
  return new arrow.Table([new arrow.RecordBatch(schema, struct)]);
}

function columnData(f: arrow.Field, values: unknown[]): arrow.Data {
  const t = f.type;
  if (t instanceof arrow.FixedSizeList) {
    const size = t.listSize;
    const child = t.children[0]!.type;
    const flat =
      child instanceof arrow.Float32 ? new Float32Array(values.length * size) : new Int32Array(values.length * size);
    values.forEach((v, i) => {
      const arr = v as Float32Array | Int32Array;
      if (arr.length !== size) throw new Error(`column ${f.name}: expected ${size} values, got ${arr.length}`);
      flat.set(arr, i * size);
    });
    const childData = arrow.makeData({ type: child, length: flat.length, nullCount: 0, data: flat } as never);
    return arrow.makeData({ type: t, length: values.length, nullCount: 0, child: childData });
  }
  if (t instanceof arrow.Int64 && !f.nullable) {
    return arrow.makeData({
      type: t,
      length: values.length,
      nullCount: 0,
      data: BigInt64Array.from(values as bigint[]),
    });
  }
  return arrow.vectorFromArray(values as never[], t).data[0]!;
}

export interface Tables {
  db: lancedb.Connection;
  segments: lancedb.Table;
  rejections: lancedb.Table;
  ingests: lancedb.Table;
  /** The MinHash band table; null until the first ingest creates it (`ensureBandTable`). */
  bands: lancedb.Table | null;
  dim: number;
}

/**
 * Opens the three corpus tables. With `dim` they are created when absent; without it a folder
 * holding no corpus yet gives null (reads need no encoder). Strong read consistency, so a server
 * sees an ingest that a CLI process made in the same folder.
 */
export async function openTables(dir: string, dim?: number): Promise<Tables | null> {
  const db = await lancedb.connect(dir, { readConsistencyInterval: 0 });
  const names = new Set(await db.tableNames());
  if (!names.has("segments") && dim === undefined) {
    db.close();
    return null;
  }
  const open = (name: string, schema: arrow.Schema) =>
    names.has(name) ? db.openTable(name) : db.createEmptyTable(name, schema, { mode: "create", existOk: true });
  const segments = await open("segments", segmentSchema(dim ?? 0));
  const vec = (await segments.schema()).fields.find((f) => f.name === "vector")?.type;
  const storedDim = vec && arrow.DataType.isFixedSizeList(vec) ? vec.listSize : -1;
  if (dim !== undefined && storedDim !== dim) {
    db.close();
    throw new DimensionMismatchError(
      `the corpus in ${dir} holds ${storedDim}-d vectors but the encoder gives ${dim}-d: use the encoder it was built with, or another data dir`,
    );
  }
  return {
    db,
    segments,
    rejections: await open("rejections", rejectionSchema),
    ingests: await open("ingests", ingestSchema),
    bands: names.has(BANDS_TABLE) ? await db.openTable(BANDS_TABLE) : null,
    dim: storedDim,
  };
}

export class DimensionMismatchError extends Error {}

/**
 * When an ingest folds its rows into the indexes: once the rows no index holds yet reach this share of
 * the corpus (or OPTIMIZE_MIN_ROWS, whichever is more). optimize() costs time in proportion to the
 * whole corpus (it merges the full-text index), so running it after every ingest made an ingest's cost
 * follow the corpus size; run at a fixed share, its cost per new row is constant, and searches scan at
 * most that share of rows outside the indexes.
 */
export const OPTIMIZE_SHARE = 0.05;
export const OPTIMIZE_MIN_ROWS = 1000;

/**
 * Full-text index from the first row; an ANN index once the table reaches `vectorIndexMinRows`
 * (below that an exact scan is fast and exact); then optimize(), which folds new rows into the
 * indexes and compacts the small fragments each ingest adds (unindexed rows are brute-forced on every
 * query): `always`, `never`, or `when-due` (past OPTIMIZE_SHARE of the rows, the ingests' choice).
 */
export async function ensureIndexes(
  tables: Tables,
  vectorIndexMinRows: number,
  optimize: "always" | "when-due" | "never",
): Promise<void> {
  const rows = await tables.segments.countRows();
  if (rows === 0) return;
  const indices = await tables.segments.listIndices();
  const text = indices.find((i) => i.columns.includes("text"));
  if (!text) {
    await tables.segments.createIndex("text", { config: lancedb.Index.fts({ withPosition: false }) });
  }
  if (rows >= vectorIndexMinRows && !indices.some((i) => i.columns.includes("vector"))) {
    await tables.segments.createIndex("vector", { config: lancedb.Index.ivfPq(vectorIndexOptions(rows, tables.dim)) });
  }
  if (optimize === "never") return;
  if (optimize === "when-due" && text) {
    const unindexed = (await tables.segments.indexStats(text.name))?.numUnindexedRows ?? rows;
    if (unindexed < Math.max(OPTIMIZE_MIN_ROWS, rows * OPTIMIZE_SHARE)) return;
  }
  await tables.segments.optimize();
  await tables.bands?.optimize();
}

/** Explicit IVF_PQ sizing: lancedb 0.39's default builds 12 partitions on 100k rows (not √rows), so nprobes cannot trade recall for speed. */
export function vectorIndexOptions(rows: number, dim: number) {
  const subVectorDims = dim % 4 === 0 ? 4 : dim % 2 === 0 ? 2 : 1;
  return {
    numPartitions: Math.max(1, Math.min(1024, Math.round(Math.sqrt(rows)))),
    numSubVectors: dim / subVectorDims,
    distanceType: "cosine" as const,
  };
}

/** SQL string literal for a LanceDB filter. */
export function sqlString(v: string): string {
  return `'${v.replace(/'/g, "''")}'`;
}

/** Reads selected columns of all rows matching an optional filter as plain objects. */
export async function readColumns<T>(table: lancedb.Table, columns: string[], where?: string): Promise<T[]> {
  let q = table.query().select(columns);
  if (where) q = q.where(where);
  const out: T[] = [];
  for (const batch of (await q.toArrow()).batches) {
    const cols = columns.map((c) => batch.getChild(c)!);
    for (let i = 0; i < batch.numRows; i++) {
      const row: Record<string, unknown> = {};
      columns.forEach((c, j) => {
        const v = cols[j]!.get(i);
        // Duck-typed: LanceDB may hand back vectors from its own copy of apache-arrow.
        row[c] = v && typeof (v as { toArray?: unknown }).toArray === "function" ? (v as arrow.Vector).toArray() : v;
      });
      out.push(row as T);
    }
  }
  return out;
}
