import { randomBytes } from "node:crypto";
import type * as lancedb from "@lancedb/lancedb";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_ENCODER, DEFAULT_LM, ensureModel } from "../../models/index.ts";
import { bandKeys64, loadBlocklist, type Blocklist } from "./curate.ts";
import { loadEncoder, loadTokenCounter, type Embedder, type NamedTokenCounter } from "./embed.ts";
import { planIngest, type IngestCallbacks, type KnownCorpus } from "./ingest.ts";
import { StorageReadOnly } from "../errors.ts";
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
  bandRows,
  bandSchema,
  ensureBandTable,
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
    try {
      mkdirSync(dir, { recursive: true });
    } catch (e) {
      // A read-only data dir still serves reads (stats, search, sample); an ingest will say why it cannot write.
      if (!StorageReadOnly.from(e, dir)) throw e;
    }
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
        // Busy: that ingest recovers when it commits. Read-only: recovery cannot write; rows a killed ingest
        // left (if any) stay until the corpus is next opened writable.
        if (!(e instanceof LockBusyError) && !(e instanceof StorageReadOnly)) throw e;
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
      const bands = await ensureBandTable(tables);
      const version = (await committedVersion(tables)) + 1;
      const ingestId = `ing-${started.toISOString().replace(/[-:.]/g, "").slice(0, 15)}-${randomBytes(4).toString("hex")}`;
      const known = knownCorpus(tables, bands);
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
        if (plan.segments.length) await bands.add(toArrowTable(bandSchema, bandRows(plan.segments)));
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
        await ensureIndexes(tables, this.settings.vector_index_min_rows, "when-due");
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

  /** The id/hash/provenance columns of every table, re-read only when a table version moved. */
  private async catalog(): Promise<Catalog> {
    this.tables ??= await openTables(join(corpusDir(this.dataDir), "lancedb"));
    const t = this.tables;
    if (!t) return { versions: "", segments: [], rejections: [], ingests: [] };
    const versions = `${await t.segments.version()}/${await t.rejections.version()}/${await t.ingests.version()}`;
    if (this.cached?.versions === versions) return this.cached;
    const rows = await readColumns<CatalogSegment>(t.segments, [
      "id",
      "doc_id",
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
      segments: rows,
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

/** The corpus version of the last ingest run recorded (0 for none); the ingests table is one row per run. */
async function committedVersion(tables: Tables): Promise<number> {
  const runs = await readColumns<{ corpus_version: number }>(tables.ingests, ["corpus_version"]);
  return runs.reduce((m, r) => Math.max(m, r.corpus_version), 0);
}

/** An IN list of SQL string literals. */
const inList = (values: readonly string[]) => values.map(sqlString).join(", ");

/**
 * What curation asks of the stored corpus, one filtered scan per question and group of documents
 * (never a read of every row): an ingest costs what its documents cost.
 */
function knownCorpus(tables: Tables, bands: lancedb.Table): KnownCorpus {
  return {
    async docHashes(ids) {
      if (ids.length === 0) return new Map();
      const rows = await readColumns<{ doc_id: string; doc_hash: string }>(
        tables.segments,
        ["doc_id", "doc_hash"],
        `doc_id IN (${inList(ids)})`,
      );
      return new Map(rows.map((r) => [r.doc_id, r.doc_hash]));
    },
    async segmentsByHash(hashes) {
      if (hashes.length === 0) return new Map();
      const rows = await readColumns<{ hash: string; id: string }>(
        tables.segments,
        ["hash", "id"],
        `hash IN (${inList(hashes)})`,
      );
      return new Map(rows.map((r) => [r.hash, r.id]));
    },
    async minhashCandidates(signatures) {
      const keys = new Set<bigint>();
      for (const sig of signatures) for (const k of bandKeys64(sig)) keys.add(k);
      if (keys.size === 0) return [];
      const hits = await readColumns<{ id: string }>(bands, ["id"], `band IN (${[...keys].join(", ")})`);
      const ids = [...new Set(hits.map((h) => h.id))];
      if (ids.length === 0) return [];
      return readColumns<{ id: string; minhash: Int32Array }>(
        tables.segments,
        ["id", "minhash"],
        `id IN (${inList(ids)})`,
      );
    },
    async rejectionIds(ids) {
      if (ids.length === 0) return new Set();
      const rows = await readColumns<{ id: string }>(tables.rejections, ["id"], `id IN (${inList(ids)})`);
      return new Set(rows.map((r) => r.id));
    },
    nearestStored: async (vector) => {
      if ((await tables.segments.countRows()) === 0) return null;
      const [best] = await vectorSearch(tables, vector, 1);
      return best ? { id: best.id, similarity: best.score } : null;
    },
  };
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
  if (tables.bands && (await tables.bands.countRows(`corpus_version > ${committed}`)) > 0)
    await tables.bands.delete(`corpus_version > ${committed}`);
  // Also completes the indexes of a run killed after its commit.
  await ensureIndexes(tables, settings.vector_index_min_rows, orphanSegments > 0 ? "always" : "never");
}
