import { createHash } from "node:crypto";
import type { CorpusSettings } from "./settings.ts";

export interface CatalogSegment {
  id: string;
  doc_id: string;
  source: string;
  hash: string;
  tokens: number;
  corpus_version: number;
}

export interface CatalogIngest {
  ingest_id: string;
  corpus_version: number;
  started_at: string;
  finished_at: string;
  sources: string[];
  documents: number;
  segments_added: number;
  rejected: number;
  settings: unknown;
  encoder: string;
  tokenizer: string;
}

export interface CorpusStats {
  corpus_version: number;
  documents: number;
  segments: number;
  tokens: number;
  sources: number;
  rejected: Record<string, number>;
  rejected_total: number;
  ingests: number;
}

export interface CorpusManifest extends CorpusStats {
  manifest_version: 1;
  /** sha256 over the sorted (segment id, segment content hash) pairs: the identity of the corpus content. */
  content_hash: string;
  encoder: string | null;
  tokenizer: string | null;
  /** The curation and chunking settings in force now; each ingest records its own below. */
  filters: Pick<CorpusSettings, "segment_tokens" | "overlap_tokens" | "max_document_chars" | "curation">;
  per_source: { source: string; documents: number; segments: number; tokens: number; rejected: number }[];
  ingest_runs: CatalogIngest[];
}

export function corpusContentHash(segments: readonly CatalogSegment[]): string {
  const h = createHash("sha256");
  for (const s of [...segments].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)))
    h.update(`${s.id}\t${s.hash}\n`);
  return `sha256:${h.digest("hex")}`;
}

export function computeStats(
  segments: readonly CatalogSegment[],
  rejections: readonly { reason: string }[],
  ingests: readonly CatalogIngest[],
): CorpusStats {
  const rejected: Record<string, number> = {};
  for (const r of rejections) rejected[r.reason] = (rejected[r.reason] ?? 0) + 1;
  return {
    corpus_version: ingests.reduce((m, i) => Math.max(m, i.corpus_version), 0),
    documents: new Set(segments.map((s) => s.doc_id)).size,
    segments: segments.length,
    tokens: segments.reduce((n, s) => n + s.tokens, 0),
    sources: new Set(segments.map((s) => s.source)).size,
    rejected: sortKeys(rejected),
    rejected_total: rejections.length,
    ingests: ingests.length,
  };
}

export function computeManifest(
  segments: readonly CatalogSegment[],
  rejections: readonly { reason: string; source: string }[],
  ingests: readonly CatalogIngest[],
  settings: CorpusSettings,
): CorpusManifest {
  const bySource = new Map<string, { docs: Set<string>; segments: number; tokens: number; rejected: number }>();
  const entry = (source: string) => {
    let e = bySource.get(source);
    if (!e) {
      e = { docs: new Set(), segments: 0, tokens: 0, rejected: 0 };
      bySource.set(source, e);
    }
    return e;
  };
  for (const s of segments) {
    const e = entry(s.source);
    e.docs.add(s.doc_id);
    e.segments++;
    e.tokens += s.tokens;
  }
  for (const r of rejections) entry(r.source).rejected++;
  const runs = [...ingests].sort((a, b) => a.corpus_version - b.corpus_version);
  const last = runs.at(-1);
  return {
    manifest_version: 1,
    content_hash: corpusContentHash(segments),
    ...computeStats(segments, rejections, ingests),
    encoder: last?.encoder ?? null,
    tokenizer: last?.tokenizer ?? null,
    filters: {
      segment_tokens: settings.segment_tokens,
      overlap_tokens: settings.overlap_tokens,
      max_document_chars: settings.max_document_chars,
      curation: settings.curation,
    },
    per_source: [...bySource.entries()]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([source, e]) => ({
        source,
        documents: e.docs.size,
        segments: e.segments,
        tokens: e.tokens,
        rejected: e.rejected,
      })),
    ingest_runs: runs,
  };
}

function sortKeys(o: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1)));
}
