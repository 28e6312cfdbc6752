import { createHash } from "node:crypto";
import { chunkText, type TokenCounter } from "./chunk.ts";
import {
  checkText,
  contentHash,
  cosine,
  MinHashIndex,
  minhashSignature,
  MINHASH_PERMUTATIONS,
  type Blocklist,
  type RejectionReason,
} from "./curate.ts";
import type { Embedder } from "./embed.ts";
import type { CorpusSettings } from "./settings.ts";
import type { SourceItem } from "./sources.ts";
import type { RejectionRow, SegmentRow } from "./store.ts";

/**
 * What the corpus already holds, asked in batches about the documents at hand: an ingest's cost follows
 * the new documents, not the corpus size (each answer is one filtered scan or lookup in LanceDB).
 */
export interface KnownCorpus {
  /** The stored content hash of each of these document ids the corpus holds. */
  docHashes(ids: readonly string[]): Promise<Map<string, string>>;
  /** A stored segment id for each of these segment content hashes the corpus holds. */
  segmentsByHash(hashes: readonly string[]): Promise<Map<string, string>>;
  /** The stored segments whose MinHash shares an LSH band with one of these signatures. */
  minhashCandidates(signatures: readonly Int32Array[]): Promise<{ id: string; minhash: Int32Array }[]>;
  /** Which of these rejection ids are stored already (a re-ingest must not count a rejection twice). */
  rejectionIds(ids: readonly string[]): Promise<Set<string>>;
  /** Most similar stored segment by cosine (only used when near-duplicates are judged by cosine). */
  nearestStored?: (vector: Float32Array) => Promise<{ id: string; similarity: number } | null>;
}

/** Documents read before the corpus is asked about them: a few queries per group, not per document. */
const GROUP_DOCUMENTS = 64;
const GROUP_CHARS = 4_000_000;

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
 * the caller commits the plan at once, so an interrupted ingest leaves no trace. Documents are taken
 * in groups; the corpus is asked about each group's ids, hashes and MinHash bands at once, then the
 * group is judged document by document, in input order, against the corpus and the run so far.
 */
export async function planIngest(
  items: AsyncIterable<SourceItem> | Iterable<SourceItem>,
  deps: IngestDeps,
  cb: IngestCallbacks = {},
): Promise<IngestPlan> {
  const { settings, counter, known } = deps;
  const curation = settings.curation;
  const byMinhash = curation.near_duplicates.enabled && curation.near_duplicates.method === "minhash";
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
  // What this run has taken so far (the corpus is asked about the rest).
  const runDocs = new Map<string, string>();
  const runHashes = new Map<string, string>();
  const runMinhash = new MinHashIndex();
  const runRejections = new Set<string>();
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
    // Re-ingesting the same input must not count the same rejection twice (stored ones are dropped at the end).
    if (runRejections.has(id)) return;
    runRejections.add(id);
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

  type Entry =
    | { kind: "reject"; item: Extract<SourceItem, { kind: "reject" }> }
    | { kind: "doc"; item: Extract<SourceItem, { kind: "doc" }>; text: string; docHash: string; docId: string };

  const judgeGroup = async (group: Entry[]) => {
    const docs = group.filter((e) => e.kind === "doc");
    const stored = await known.docHashes([...new Set(docs.map((d) => d.docId).filter((id) => !runDocs.has(id)))]);
    // First pass: which documents are new, and their segments, cut and checked.
    const segmentsOf = new Map<Entry, { seg: SegmentRow; verdict: ReturnType<typeof checkText> }[]>();
    const groupDocs = new Map<string, string>();
    for (const e of docs) {
      const seen = runDocs.get(e.docId) ?? groupDocs.get(e.docId) ?? stored.get(e.docId);
      if (seen !== undefined) continue;
      groupDocs.set(e.docId, e.docHash);
      const metadata = JSON.stringify(e.item.doc.metadata);
      const segs = chunkText(e.text, counter, {
        maxTokens: settings.segment_tokens,
        overlapTokens: settings.overlap_tokens,
      }).map((chunk) => {
        const seg: SegmentRow = {
          id: `${e.docId}:${chunk.position}`,
          doc_id: e.docId,
          source: e.item.doc.source,
          position: chunk.position,
          line: e.item.doc.line,
          char_start: chunk.char_start,
          char_end: chunk.char_end,
          text: chunk.text,
          hash: contentHash(chunk.text),
          doc_hash: e.docHash,
          tokens: chunk.tokens,
          ingested_at: deps.now,
          corpus_version: deps.version,
          ingest_id: deps.ingestId,
          metadata,
          minhash: new Int32Array(MINHASH_PERMUTATIONS),
          vector: new Float32Array(0),
        };
        const verdict = checkText(chunk.text, chunk.tokens, curation, deps.blocklist);
        if (!verdict) seg.minhash = minhashSignature(chunk.text);
        return { seg, verdict };
      });
      segmentsOf.set(e, segs);
    }
    const candidates = [...segmentsOf.values()].flat().filter((s) => !s.verdict);
    const storedHashes = curation.exact_duplicates
      ? await known.segmentsByHash([...new Set(candidates.map((s) => s.seg.hash))])
      : new Map<string, string>();
    const storedMinhash = new MinHashIndex();
    if (byMinhash && candidates.length)
      for (const c of await known.minhashCandidates(candidates.map((s) => s.seg.minhash)))
        storedMinhash.add(c.id, c.minhash);

    // Second pass, in input order: every verdict and event as if the documents came one by one.
    for (const e of group) {
      progress.bytes += e.item.bytes;
      if (e.kind === "reject") {
        const it = e.item;
        reject(
          {
            reason: it.reason,
            level: "document",
            source: it.source,
            line: it.line,
            doc_id: null,
            position: null,
            detail: it.detail,
          },
          null,
        );
        continue;
      }
      plan.documents_read++;
      progress.documents++;
      const previous = runDocs.get(e.docId) ?? stored.get(e.docId);
      if (previous !== undefined) {
        if (previous === e.docHash) plan.unchanged++;
        else
          reject(
            {
              reason: "id_conflict",
              level: "document",
              source: e.item.doc.source,
              line: e.item.doc.line,
              doc_id: e.docId,
              position: null,
              detail: `document id ${e.docId} already holds different content`,
            },
            e.docHash,
          );
        continue;
      }
      runDocs.set(e.docId, e.docHash);
      for (const { seg, verdict } of segmentsOf.get(e) ?? []) {
        if (verdict) {
          reject(segmentEvent(seg, verdict.reason, verdict.detail), seg.hash);
          continue;
        }
        const same = runHashes.get(seg.hash) ?? storedHashes.get(seg.hash);
        if (curation.exact_duplicates && same !== undefined) {
          reject(segmentEvent(seg, "exact_duplicate", `same content as ${same}`), seg.hash);
          continue;
        }
        if (byMinhash) {
          const threshold = curation.near_duplicates.threshold;
          const a = storedMinhash.query(seg.minhash, threshold);
          const b = runMinhash.query(seg.minhash, threshold);
          const near = a && b ? (b.similarity > a.similarity ? b : a) : (a ?? b);
          if (near) {
            reject(
              segmentEvent(seg, "near_duplicate", `estimated Jaccard ${near.similarity.toFixed(3)} with ${near.id}`),
              seg.hash,
            );
            continue;
          }
        }
        runHashes.set(seg.hash, seg.id);
        runMinhash.add(seg.id, seg.minhash);
        pending.push(seg);
        if (pending.length >= settings.embed_batch_size) await flush();
      }
      cb.onProgress?.({ ...progress });
    }
  };

  let group: Entry[] = [];
  let groupDocs = 0;
  let groupChars = 0;
  for await (const item of items) {
    if (item.kind === "reject") group.push({ kind: "reject", item });
    else {
      const text = item.doc.text.replace(/^\uFEFF/, "");
      const docHash = contentHash(text);
      const docId =
        item.doc.id ?? `d${createHash("sha256").update(`${item.doc.source}\n${docHash}`).digest("hex").slice(0, 24)}`;
      group.push({ kind: "doc", item, text, docHash, docId });
      groupDocs++;
      groupChars += text.length;
    }
    if (groupDocs >= GROUP_DOCUMENTS || groupChars >= GROUP_CHARS) {
      await judgeGroup(group);
      group = [];
      groupDocs = 0;
      groupChars = 0;
    }
  }
  if (group.length) await judgeGroup(group);
  await flush();
  const storedRejections = await known.rejectionIds(plan.rejections.map((r) => r.id));
  plan.rejections = plan.rejections.filter((r) => !storedRejections.has(r.id));
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
