import * as lancedb from "@lancedb/lancedb";
import { sqlString, type Tables } from "./store.ts";

export const SEARCH_MODES = ["vector", "fts", "hybrid"] as const;
export type SearchMode = (typeof SEARCH_MODES)[number];

/** Provenance filters: equality on stored columns, or a source prefix (a folder). */
export interface SearchFilter {
  source?: string;
  source_prefix?: string;
  doc_id?: string;
  ingest_id?: string;
  corpus_version?: number;
}

export interface SearchHit {
  id: string;
  doc_id: string;
  source: string;
  position: number;
  text: string;
  tokens: number;
  corpus_version: number;
  metadata: Record<string, unknown>;
  /** Higher is better: cosine similarity (vector), BM25 (fts), RRF (hybrid). */
  score: number;
  vector_rank?: number;
  fts_rank?: number;
}

const COLUMNS = ["id", "doc_id", "source", "position", "text", "tokens", "corpus_version", "metadata"];
const RRF_K = 60;

/** ANN knobs (measured in bench/corpus.ts): enough probes and re-ranking for recall@10 ≥ 0.95. */
export const VECTOR_QUERY = { nprobes: 20, refineFactor: 10 };

export function whereClause(f: SearchFilter = {}): string | undefined {
  const parts: string[] = [];
  if (f.source !== undefined) parts.push(`source = ${sqlString(f.source)}`);
  if (f.source_prefix !== undefined) parts.push(`starts_with(source, ${sqlString(f.source_prefix)})`);
  if (f.doc_id !== undefined) parts.push(`doc_id = ${sqlString(f.doc_id)}`);
  if (f.ingest_id !== undefined) parts.push(`ingest_id = ${sqlString(f.ingest_id)}`);
  if (f.corpus_version !== undefined) parts.push(`corpus_version = ${Math.trunc(f.corpus_version)}`);
  return parts.length ? parts.join(" AND ") : undefined;
}

export async function hasVectorIndex(tables: Tables): Promise<boolean> {
  return (await tables.segments.listIndices()).some((i) => i.columns.includes("vector"));
}

export async function vectorSearch(
  tables: Tables,
  vector: Float32Array,
  k: number,
  filter?: SearchFilter,
  indexed?: boolean,
): Promise<SearchHit[]> {
  let q = tables.segments
    .vectorSearch(vector)
    .distanceType("cosine")
    .select([...COLUMNS, "_distance"])
    .limit(k);
  const where = whereClause(filter);
  if (where) q = q.where(where);
  if (indexed ?? (await hasVectorIndex(tables)))
    q = q.nprobes(VECTOR_QUERY.nprobes).refineFactor(VECTOR_QUERY.refineFactor);
  else q = q.bypassVectorIndex();
  return (await q.toArray()).map((r, i) => ({ ...hit(r), score: 1 - Number(r._distance), vector_rank: i + 1 }));
}

export async function ftsSearch(tables: Tables, query: string, k: number, filter?: SearchFilter): Promise<SearchHit[]> {
  if (query.trim() === "") return [];
  let q = tables.segments
    .query()
    .fullTextSearch(new lancedb.MatchQuery(query, "text"))
    .select([...COLUMNS, "_score"])
    .limit(k);
  const where = whereClause(filter);
  if (where) q = q.where(where);
  return (await q.toArray()).map((r, i) => ({ ...hit(r), score: Number(r._score), fts_rank: i + 1 }));
}

/** Reciprocal-rank fusion (k = 60) of ranked lists; ties keep the first list's order. */
export function rrfFuse(lists: SearchHit[][], k: number): SearchHit[] {
  const fused = new Map<string, SearchHit>();
  for (const list of lists) {
    list.forEach((h, rank) => {
      const prev = fused.get(h.id);
      const add = 1 / (RRF_K + rank + 1);
      if (prev) {
        prev.score += add;
        prev.vector_rank ??= h.vector_rank;
        prev.fts_rank ??= h.fts_rank;
      } else fused.set(h.id, { ...h, score: add });
    });
  }
  return [...fused.values()].sort((a, b) => b.score - a.score).slice(0, k);
}

export async function hybridSearch(
  tables: Tables,
  query: string,
  vector: Float32Array,
  k: number,
  filter?: SearchFilter,
  indexed?: boolean,
): Promise<SearchHit[]> {
  const depth = Math.max(k * 2, 20);
  const [v, f] = await Promise.all([
    vectorSearch(tables, vector, depth, filter, indexed),
    ftsSearch(tables, query, depth, filter),
  ]);
  return rrfFuse([v, f], k);
}

function hit(r: Record<string, unknown>): Omit<SearchHit, "score"> {
  let metadata: Record<string, unknown> = {};
  try {
    metadata = JSON.parse(String(r.metadata ?? "{}"));
  } catch {
    // Stored by this module as JSON; an unreadable value is shown as empty rather than failing a search.
  }
  return {
    id: String(r.id),
    doc_id: String(r.doc_id),
    source: String(r.source),
    position: Number(r.position),
    text: String(r.text),
    tokens: Number(r.tokens),
    corpus_version: Number(r.corpus_version),
    metadata,
  };
}
