import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_ENCODER, DEFAULT_LM, ensureModel } from "../../models/index.ts";
import { loadBlocklist, MinHashIndex, type Blocklist } from "./curate.ts";
import { loadEncoder, loadTokenCounter, type Embedder, type NamedTokenCounter } from "./embed.ts";
import { planIngest, type IngestCallbacks, type KnownCorpus } from "./ingest.ts";
import { acquireLock, tryLock, LockBusyError } from "./lock.ts";
import {
  computeManifest,
  computeStats,
  type CatalogIngest,
  type CatalogSegment,
  type CorpusManifest,
  type CorpusStats,
} from "./manifest.ts";
import { createSampler, drawSample, type Sampler, type SamplerOptions } from "./sampler.ts";
import {
  ftsSearch,
  hasVectorIndex,
  hybridSearch,
  vectorSearch,
  type SearchFilter,
  type SearchHit,
  type SearchMode,
} from "./search.ts";
import { defaultCorpusSettings, type CorpusSettings } from "./settings.ts";
import type { SourceItem } from "./sources.ts";
import {
  ensureIndexes,
  ingestSchema,
  openTables,
  readColumns,
  rejectionSchema,
  segmentSchema,
  sqlString,
  toArrowTable,
  type IngestRow,
  type SegmentRow,
  type Tables,
} from "./store.ts";

export interface OpenCorpusOptions {
  dataDir: string;
  settings?: CorpusSettings;
  /** The policy model folder (SPICE_MODEL); its tokenizer counts segment tokens unless settings.tokenizer is set. */
  policyModel?: string;
  /** Injected instead of loading from settings (tests, benchmarks). */
  embedder?: Embedder;
  counter?: NamedTokenCounter;
}

export interface IngestOptions extends IngestCallbacks {
  /** Labels of what is being ingested, recorded in the ingest run. */
  sources: string[];
  /** How long to wait for another ingest to finish (0: fail at once with LockBusyError). */
  lockTimeoutMs?: number;
  onWait?: (e: LockBusyError) => void;
  /** Called between the segment commit and the bookkeeping writes (crash tests). */
  afterSegmentsCommitted?: () => void;
}

export interface IngestSummary {
  ingest_id: string | null;
  corpus_version: number;
  committed: boolean;
  documents_read: number;
  documents_added: number;
  unchanged: number;
  segments_added: number;
  rejected: Record<string, number>;
  rejected_total: number;
  duration_ms: number;
}

/** A segment as readers see it: the stored row without curation internals, metadata parsed. */
export type Segment = Omit<SegmentRow, "doc_hash" | "ingest_id" | "metadata" | "minhash" | "vector"> & {
  metadata: Record<string, unknown>;
};

interface Catalog {
  versions: string;
  segments: CatalogSegment[];
  docHashes: Map<string, string>;
  rejections: { id: string; reason: string; source: string }[];
  ingests: CatalogIngest[];
}

export { LockBusyError };

/** The corpus environment: one LanceDB folder under the data dir, its tables opened once. */
export class Corpus {
  private tables: Tables | null;
  private cached: Catalog | null = null;
  private embedderP: Promise<Embedder> | null;
  private counterP: Promise<NamedTokenCounter> | null;
  private blocklist: Blocklist | null | undefined;

  private constructor(
    readonly dataDir: string,
    readonly settings: CorpusSettings,
    tables: Tables | null,
    private readonly opts: OpenCorpusOptions,
  ) {
    this.tables = tables;
    this.embedderP = opts.embedder ? Promise.resolve(opts.embedder) : null;
    this.counterP = opts.counter ? Promise.resolve(opts.counter) : null;
  }

  static async open(opts: OpenCorpusOptions): Promise<Corpus> {
    const dir = corpusDir(opts.dataDir);
    mkdirSync(dir, { recursive: true });
    const corpus = new Corpus(
      opts.dataDir,
      opts.settings ?? defaultCorpusSettings(),
      await openTables(join(dir, "lancedb")),
      opts,
    );
    // An ingest killed between its writes leaves rows no ingest run owns: drop them now unless one is running.
    if (corpus.tables) {
      try {
        const lock = tryLock(corpus.lockPath);
        try {
          await recover(corpus.tables, corpus.settings);
        } finally {
          lock.release();
        }
      } catch (e) {
        if (!(e instanceof LockBusyError)) throw e;
      }
    }
    return corpus;
  }

  get lockPath(): string {
    return join(corpusDir(this.dataDir), "ingest.lock");
  }

  embedder(): Promise<Embedder> {
    this.embedderP ??= loadEncoder(
      this.settings.encoder ?? ensureModel(this.dataDir, DEFAULT_ENCODER),
      this.settings.embed_batch_size,
    );
    return this.embedderP;
  }

  tokenCounter(): Promise<NamedTokenCounter> {
    this.counterP ??= loadTokenCounter(
      this.settings.tokenizer ?? this.opts.policyModel ?? ensureModel(this.dataDir, DEFAULT_LM),
    );
    return this.counterP;
  }

  /** Curates, chunks, embeds and commits documents; one ingest at a time across processes. */
  async ingest(items: AsyncIterable<SourceItem> | Iterable<SourceItem>, opts: IngestOptions): Promise<IngestSummary> {
    const started = new Date();
    const lock = await acquireLock(this.lockPath, opts.lockTimeoutMs ?? 0, opts.onWait);
    try {
      const [embedder, counter] = await Promise.all([this.embedder(), this.tokenCounter()]);
      this.tables ??= await openTables(join(corpusDir(this.dataDir), "lancedb"), embedder.dim);
      const tables = this.tables!;
      if (tables.dim !== embedder.dim) {
        throw new Error(
          `the corpus holds ${tables.dim}-d vectors but encoder ${embedder.id} gives ${embedder.dim}-d: use the encoder it was built with, or another data dir`,
        );
      }
      await recover(tables, this.settings);
      const cat = await this.catalog();
      const version = cat.ingests.reduce((m, i) => Math.max(m, i.corpus_version), 0) + 1;
      const ingestId = `ing-${started.toISOString().replace(/[-:.]/g, "").slice(0, 15)}-${randomBytes(4).toString("hex")}`;
      const known = await this.knownCorpus(tables, cat);
      const plan = await planIngest(
        items,
        {
          settings: this.settings,
          counter,
          embedder,
          blocklist: this.loadBlocklist(),
          known,
          ingestId,
          version,
          now: started.toISOString(),
        },
        opts,
      );
      const committed = plan.segments.length > 0 || plan.rejections.length > 0;
      if (committed) {
        // The segment add is one LanceDB transaction; the ingest row written last marks the run complete.
        if (plan.segments.length) await tables.segments.add(toArrowTable(segmentSchema(tables.dim), plan.segments));
        opts.afterSegmentsCommitted?.();
        if (plan.rejections.length) await tables.rejections.add(toArrowTable(rejectionSchema, plan.rejections));
        const row: IngestRow = {
          ingest_id: ingestId,
          corpus_version: version,
          started_at: started.toISOString(),
          finished_at: new Date().toISOString(),
          sources: JSON.stringify(opts.sources),
          documents: plan.documents_added,
          segments_added: plan.segments.length,
          rejected: plan.rejections.length,
          settings: JSON.stringify(this.settings),
          encoder: embedder.id,
          tokenizer: counter.id,
        };
        await tables.ingests.add(toArrowTable(ingestSchema, [row]));
        await ensureIndexes(tables, this.settings.vector_index_min_rows, true);
      }
      const rejected = plan.rejected as Record<string, number>;
      return {
        ingest_id: committed ? ingestId : null,
        corpus_version: committed ? version : version - 1,
        committed,
        documents_read: plan.documents_read,
        documents_added: plan.documents_added,
        unchanged: plan.unchanged,
        segments_added: plan.segments.length,
        rejected,
        rejected_total: Object.values(rejected).reduce((a, b) => a + b, 0),
        duration_ms: Date.now() - started.getTime(),
      };
    } finally {
      lock.release();
    }
  }

  async stats(): Promise<CorpusStats & { vector_index: "ivf_pq" | "exact" }> {
    const cat = await this.catalog();
    return {
      ...computeStats(cat.segments, cat.rejections, cat.ingests),
      vector_index: this.tables && (await hasVectorIndex(this.tables)) ? "ivf_pq" : "exact",
    };
  }

  async manifest(): Promise<CorpusManifest> {
    const cat = await this.catalog();
    return computeManifest(cat.segments, cat.rejections, cat.ingests, this.settings);
  }

  async segmentIds(): Promise<string[]> {
    return (await this.catalog()).segments.map((s) => s.id);
  }

  /** Segments by id, in the order asked. */
  async segments(ids: readonly string[]): Promise<Segment[]> {
    if (!this.tables || ids.length === 0) return [];
    const rows = await readColumns<Record<string, unknown>>(
      this.tables.segments,
      [
        "id",
        "doc_id",
        "source",
        "position",
        "line",
        "char_start",
        "char_end",
        "text",
        "hash",
        "tokens",
        "ingested_at",
        "corpus_version",
        "metadata",
      ],
      `id IN (${ids.map(sqlString).join(", ")})`,
    );
    const byId = new Map(rows.map((r) => [String(r.id), r]));
    return ids.flatMap((id) => {
      const r = byId.get(id);
      return r
        ? [{ ...(r as unknown as Segment), metadata: JSON.parse(String(r.metadata)) as Record<string, unknown> }]
        : [];
    });
  }

  /** A pure seeded draw of n distinct segments (all when n exceeds the corpus); moves no sampler. */
  async sample(n: number, seed: number | string): Promise<Segment[]> {
    return this.segments(drawSample(await this.segmentIds(), n, seed));
  }

  /** The challenger's epoch sampler over the current segments; pass a saved `state` to continue it. */
  async createSampler(opts: Omit<SamplerOptions, "ids">): Promise<Sampler> {
    return createSampler({ ...opts, ids: await this.segmentIds() });
  }

  async search(
    query: string,
    opts: { k?: number; mode?: SearchMode; filter?: SearchFilter } = {},
  ): Promise<SearchHit[]> {
    const k = opts.k ?? 10;
    const mode = opts.mode ?? "hybrid";
    if (!this.tables || (await this.tables.segments.countRows()) === 0) return [];
    if (mode === "fts") return ftsSearch(this.tables, query, k, opts.filter);
    const embedder = await this.embedder();
    const [vector] = await embedder.embed([query]);
    return mode === "vector"
      ? vectorSearch(this.tables, vector!, k, opts.filter)
      : hybridSearch(this.tables, query, vector!, k, opts.filter);
  }

  async close(): Promise<void> {
    if (this.embedderP && !this.opts.embedder) await (await this.embedderP.catch(() => null))?.dispose();
    this.tables?.db.close();
    this.tables = null;
  }

  private loadBlocklist(): Blocklist | null {
    if (this.blocklist === undefined) {
      const file = this.settings.curation.blocklist.file;
      this.blocklist = file ? loadBlocklist(file) : null;
    }
    return this.blocklist;
  }

  private async knownCorpus(tables: Tables, cat: Catalog): Promise<KnownCorpus> {
    const near = this.settings.curation.near_duplicates;
    let minhash: MinHashIndex | null = null;
    if (near.enabled && near.method === "minhash") {
      minhash = new MinHashIndex();
      for (const r of await readColumns<{ id: string; minhash: Int32Array }>(tables.segments, ["id", "minhash"]))
        minhash.add(r.id, r.minhash);
    }
    return {
      docHashes: new Map(cat.docHashes),
      segmentByHash: new Map(cat.segments.map((s) => [s.hash, s.id])),
      rejectionIds: new Set(cat.rejections.map((r) => r.id)),
      minhash,
      nearestStored: async (vector) => {
        if ((await tables.segments.countRows()) === 0) return null;
        const [best] = await vectorSearch(tables, vector, 1);
        return best ? { id: best.id, similarity: best.score } : null;
      },
    };
  }

  /** The id/hash/provenance columns of every table, re-read only when a table version moved. */
  private async catalog(): Promise<Catalog> {
    this.tables ??= await openTables(join(corpusDir(this.dataDir), "lancedb"));
    const t = this.tables;
    if (!t) return { versions: "", segments: [], docHashes: new Map(), rejections: [], ingests: [] };
    const versions = `${await t.segments.version()}/${await t.rejections.version()}/${await t.ingests.version()}`;
    if (this.cached?.versions === versions) return this.cached;
    const rows = await readColumns<CatalogSegment & { doc_hash: string }>(t.segments, [
      "id",
      "doc_id",
      "doc_hash",
      "source",
      "hash",
      "tokens",
      "corpus_version",
    ]);
    const ingests = (
      await readColumns<IngestRow>(
        t.ingests,
        ingestSchema.fields.map((f) => f.name),
      )
    ).map((r) => ({
      ...r,
      sources: JSON.parse(r.sources) as string[],
      settings: JSON.parse(r.settings) as unknown,
    }));
    this.cached = {
      versions,
      segments: rows.map(({ doc_hash: _, ...s }) => s),
      docHashes: new Map(rows.map((r) => [r.doc_id, r.doc_hash])),
      rejections: await readColumns(t.rejections, ["id", "reason", "source"]),
      ingests,
    };
    return this.cached;
  }
}

export function corpusDir(dataDir: string): string {
  return join(dataDir, "corpus");
}

export function openCorpus(opts: OpenCorpusOptions): Promise<Corpus> {
  return Corpus.open(opts);
}

/** Rows written by an ingest that never recorded its run (killed midway) are removed. Call under the ingest lock. */
async function recover(tables: Tables, settings: CorpusSettings): Promise<void> {
  const runs = await readColumns<{ ingest_id: string; corpus_version: number }>(tables.ingests, [
    "ingest_id",
    "corpus_version",
  ]);
  const committed = runs.reduce((m, r) => Math.max(m, r.corpus_version), 0);
  const orphanSegments = await tables.segments.countRows(`corpus_version > ${committed}`);
  if (orphanSegments > 0) await tables.segments.delete(`corpus_version > ${committed}`);
  const owned = runs.length ? `ingest_id NOT IN (${runs.map((r) => sqlString(r.ingest_id)).join(", ")})` : "true";
  if ((await tables.rejections.countRows(owned)) > 0) await tables.rejections.delete(owned);
  // Also completes the indexes of a run killed after its commit.
  await ensureIndexes(tables, settings.vector_index_min_rows, orphanSegments > 0);
}
