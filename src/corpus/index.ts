import { existsSync } from "node:fs";
import { join } from "node:path";
import type { AppContext } from "../context.ts";
import { openCorpus, type Corpus, type IngestSummary } from "./corpus.ts";
import type { IngestProgress } from "./ingest.ts";
import type { CorpusManifest } from "./manifest.ts";
import { loadCorpusSettings, type CorpusSettings } from "./settings.ts";
import { expandPaths, readFileSource, sourceLabel } from "./sources.ts";

export { Corpus, LockBusyError, openCorpus, type IngestSummary, type Segment } from "./corpus.ts";
export type { CorpusManifest, CorpusStats } from "./manifest.ts";
export type { Sampler, SamplerState } from "./sampler.ts";
export { SEARCH_MODES, type SearchHit, type SearchMode } from "./search.ts";
export { loadCorpusSettings, type CorpusSettings } from "./settings.ts";

/** The committed sample corpus, ingested on first start when the corpus is empty. */
export const SAMPLE_CORPUS_DIR = join(import.meta.dir, "..", "..", "data", "sample");

/** Optional per-data-dir corpus settings file (chunking, curation, encoder); defaults apply without it. */
export function corpusSettingsPath(dataDir: string): string {
  return join(dataDir, "corpus-settings.json");
}

export function corpusSettingsFor(dataDir: string): CorpusSettings {
  const file = corpusSettingsPath(dataDir);
  return loadCorpusSettings(existsSync(file) ? file : null);
}

/** The process's one corpus store, shared by routes, CLI commands and the trainer. */
export function getCorpus(ctx: AppContext): Promise<Corpus> {
  return ctx.lazy("corpus", async () => {
    const corpus = await openCorpus({
      dataDir: ctx.config.dataDir,
      settings: corpusSettingsFor(ctx.config.dataDir),
      policyModel: ctx.config.model,
    });
    ctx.onClose(() => corpus.close());
    return corpus;
  });
}

/** Files and folders (or `-` for stdin) into the corpus; the paths are the run's recorded sources. */
export async function ingestPaths(
  corpus: Corpus,
  paths: string[],
  opts: Omit<Parameters<Corpus["ingest"]>[1], "sources"> = {},
): Promise<IngestSummary & { skipped_files: string[] }> {
  const { files, skipped, totalBytes } = expandPaths(paths);
  const max = corpus.settings.max_document_chars;
  async function* items() {
    for (const f of files) yield* readFileSource(f, max);
  }
  const onProgress =
    opts.onProgress &&
    ((p: IngestProgress) => opts.onProgress!({ ...p, total_bytes: paths.includes("-") ? undefined : totalBytes }));
  const summary = await corpus.ingest(items(), { ...opts, onProgress, sources: paths.map(sourceLabel) });
  return { ...summary, skipped_files: skipped.map(sourceLabel) };
}

/** Start-up task: ingest data/sample when the data dir's corpus is empty. Returns the summary, or null if nothing was needed. */
export async function ensureSampleCorpus(ctx: AppContext): Promise<IngestSummary | null> {
  const corpus = await getCorpus(ctx);
  if ((await corpus.stats()).segments > 0) return null;
  const summary = await ingestPaths(corpus, [SAMPLE_CORPUS_DIR], { lockTimeoutMs: 60_000 });
  ctx.logger.info(
    { segments: summary.segments_added, corpus_version: summary.corpus_version },
    "sample corpus ingested",
  );
  return summary;
}

/** The transparency manifest a run records; its `content_hash` identifies exactly the corpus used. */
export async function corpusManifest(ctx: AppContext): Promise<CorpusManifest> {
  return (await getCorpus(ctx)).manifest();
}
