import { createHash } from "node:crypto";
import { chunkText, type TokenCounter } from "./chunk.ts";
import {
  checkText,
  contentHash,
  cosine,
  minhashSignature,
  MINHASH_PERMUTATIONS,
  type Blocklist,
  type MinHashIndex,
  type RejectionReason,
} from "./curate.ts";
import type { Embedder } from "./embed.ts";
import type { CorpusSettings } from "./settings.ts";
import type { SourceItem } from "./sources.ts";
import type { RejectionRow, SegmentRow } from "./store.ts";

/** What the corpus already holds, as far as curation needs to know. */
export interface KnownCorpus {
  docHashes: Map<string, string>;
  segmentByHash: Map<string, string>;
  rejectionIds: Set<string>;
  minhash: MinHashIndex | null;
  /** Most similar stored segment by cosine (only used when near-duplicates are judged by cosine). */
  nearestStored?: (vector: Float32Array) => Promise<{ id: string; similarity: number } | null>;
}

export interface IngestDeps {
  settings: CorpusSettings;
  counter: TokenCounter;
  embedder: Embedder;
  blocklist: Blocklist | null;
  known: KnownCorpus;
  ingestId: string;
  version: number;
  now: string;
}

export interface IngestProgress {
  documents: number;
  segments: number;
  rejected: number;
  bytes: number;
  /** Known for files and folders (stdin and HTTP have no size up front). */
  total_bytes?: number;
}

export interface RejectionEvent {
  reason: RejectionReason;
  level: "document" | "segment";
  source: string;
  line: number | null;
  doc_id: string | null;
  position: number | null;
  detail: string;
}

export interface IngestPlan {
  segments: SegmentRow[];
  rejections: RejectionRow[];
  documents_read: number;
  documents_added: number;
  unchanged: number;
  rejected: Partial<Record<RejectionReason, number>>;
}

export interface IngestCallbacks {
  onProgress?: (p: IngestProgress) => void;
  onRejection?: (r: RejectionEvent) => void;
}

/**
 * Reads, curates, chunks and embeds documents into rows ready to commit. It writes nothing:
 * the caller commits the plan at once, so an interrupted ingest leaves no trace.
 */
export async function planIngest(
  items: AsyncIterable<SourceItem> | Iterable<SourceItem>,
  deps: IngestDeps,
  cb: IngestCallbacks = {},
): Promise<IngestPlan> {
  const { settings, counter, known } = deps;
  const curation = settings.curation;
  const plan: IngestPlan = {
    segments: [],
    rejections: [],
    documents_read: 0,
    documents_added: 0,
    unchanged: 0,
    rejected: {},
  };
  const progress: IngestProgress = { documents: 0, segments: 0, rejected: 0, bytes: 0 };
  const addedDocs = new Set<string>();
  const acceptedVectors: { id: string; vector: Float32Array }[] = [];
  let pending: SegmentRow[] = [];

  const reject = (ev: RejectionEvent, hash: string | null) => {
    plan.rejected[ev.reason] = (plan.rejected[ev.reason] ?? 0) + 1;
    progress.rejected++;
    cb.onRejection?.(ev);
    const id = createHash("sha256")
      .update([ev.reason, ev.level, ev.source, ev.doc_id, ev.position, ev.line, hash, ev.detail].join("\u0000"))
      .digest("hex")
      .slice(0, 32);
    // Re-ingesting the same input must not count the same rejection twice.
    if (known.rejectionIds.has(id)) return;
    known.rejectionIds.add(id);
    plan.rejections.push({ id, ingest_id: deps.ingestId, at: deps.now, hash, ...ev });
  };

  const flush = async () => {
    if (pending.length === 0) return;
    const batch = pending;
    pending = [];
    const vectors = await deps.embedder.embed(batch.map((s) => s.text));
    for (let i = 0; i < batch.length; i++) {
      const seg = batch[i]!;
      seg.vector = vectors[i]!;
      if (curation.near_duplicates.enabled && curation.near_duplicates.method === "cosine") {
        const near = await nearestByCosine(seg.vector, acceptedVectors, known);
        if (near && near.similarity >= curation.near_duplicates.threshold) {
          reject(segmentEvent(seg, "near_duplicate", `cosine ${near.similarity.toFixed(4)} with ${near.id}`), seg.hash);
          continue;
        }
        acceptedVectors.push({ id: seg.id, vector: seg.vector });
      }
      plan.segments.push(seg);
      addedDocs.add(seg.doc_id);
      progress.segments++;
    }
    cb.onProgress?.({ ...progress });
  };

  for await (const item of items) {
    progress.bytes += item.bytes;
    if (item.kind === "reject") {
      reject(
        {
          reason: item.reason,
          level: "document",
          source: item.source,
          line: item.line,
          doc_id: null,
          position: null,
          detail: item.detail,
        },
        null,
      );
      continue;
    }
    plan.documents_read++;
    progress.documents++;
    const doc = item.doc;
    const text = doc.text.replace(/^\uFEFF/, "");
    const docHash = contentHash(text);
    const docId = doc.id ?? `d${createHash("sha256").update(`${doc.source}\n${docHash}`).digest("hex").slice(0, 24)}`;
    const stored = known.docHashes.get(docId);
    if (stored !== undefined) {
      if (stored === docHash) plan.unchanged++;
      else
        reject(
          {
            reason: "id_conflict",
            level: "document",
            source: doc.source,
            line: doc.line,
            doc_id: docId,
            position: null,
            detail: `document id ${docId} already holds different content`,
          },
          docHash,
        );
      continue;
    }
    known.docHashes.set(docId, docHash);
    const metadata = JSON.stringify(doc.metadata);
    for (const chunk of chunkText(text, counter, {
      maxTokens: settings.segment_tokens,
      overlapTokens: settings.overlap_tokens,
    })) {
      const hash = contentHash(chunk.text);
      const seg: SegmentRow = {
        id: `${docId}:${chunk.position}`,
        doc_id: docId,
        source: doc.source,
        position: chunk.position,
        line: doc.line,
        char_start: chunk.char_start,
        char_end: chunk.char_end,
        text: chunk.text,
        hash,
        doc_hash: docHash,
        tokens: chunk.tokens,
        ingested_at: deps.now,
        corpus_version: deps.version,
        ingest_id: deps.ingestId,
        metadata,
        minhash: new Int32Array(MINHASH_PERMUTATIONS),
        vector: new Float32Array(0),
      };
      const verdict = checkText(chunk.text, chunk.tokens, curation, deps.blocklist);
      if (verdict) {
        reject(segmentEvent(seg, verdict.reason, verdict.detail), hash);
        continue;
      }
      const same = known.segmentByHash.get(hash);
      if (curation.exact_duplicates && same !== undefined) {
        reject(segmentEvent(seg, "exact_duplicate", `same content as ${same}`), hash);
        continue;
      }
      seg.minhash = minhashSignature(chunk.text);
      if (curation.near_duplicates.enabled && curation.near_duplicates.method === "minhash" && known.minhash) {
        const near = known.minhash.query(seg.minhash, curation.near_duplicates.threshold);
        if (near) {
          reject(
            segmentEvent(seg, "near_duplicate", `estimated Jaccard ${near.similarity.toFixed(3)} with ${near.id}`),
            hash,
          );
          continue;
        }
      }
      known.segmentByHash.set(hash, seg.id);
      known.minhash?.add(seg.id, seg.minhash);
      pending.push(seg);
      if (pending.length >= settings.embed_batch_size) await flush();
    }
    cb.onProgress?.({ ...progress });
  }
  await flush();
  plan.documents_added = addedDocs.size;
  return plan;
}

function segmentEvent(seg: SegmentRow, reason: RejectionReason, detail: string): RejectionEvent {
  return {
    reason,
    level: "segment",
    source: seg.source,
    line: seg.line,
    doc_id: seg.doc_id,
    position: seg.position,
    detail,
  };
}

async function nearestByCosine(
  vector: Float32Array,
  accepted: { id: string; vector: Float32Array }[],
  known: KnownCorpus,
): Promise<{ id: string; similarity: number } | null> {
  let best: { id: string; similarity: number } | null = (await known.nearestStored?.(vector)) ?? null;
  for (const a of accepted) {
    const similarity = cosine(vector, a.vector);
    if (!best || similarity > best.similarity) best = { id: a.id, similarity };
  }
  return best;
}
