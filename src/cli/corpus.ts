import { type Command, Option } from "commander";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { corpusDir, openCorpus, type Corpus } from "../corpus/corpus.ts";
import { corpusSettingsPath, ingestPaths } from "../corpus/index.ts";
import type { IngestProgress } from "../corpus/ingest.ts";
import { SEARCH_MODES, type SearchMode } from "../corpus/search.ts";
import { CorpusSettingsError, loadCorpusSettings } from "../corpus/settings.ts";
import { SourceError } from "../corpus/sources.ts";
import { Progress } from "./progress.ts";
import { commandConfig, fail, floatArg, intArg, printJson } from "./util.ts";

type SettingsFlags = {
  settings?: string;
  segmentTokens?: number;
  overlap?: number;
  nearDup?: "minhash" | "cosine" | "off";
  nearDupThreshold?: number;
  blocklist?: string;
  encoder?: string;
};

/** Rejections that mean a row or file could not be read at all (not curation outcomes): `--strict` counts them. */
const UNREADABLE = new Set(["malformed_row", "invalid_utf8", "binary"]);

/** `spice corpus …`: ingest, search, sample, stats, manifest. */
export function registerCorpus(program: Command): Command {
  const corpus = program
    .command("corpus")
    .description("the corpus environment: ingest, curate, search and sample documents (LanceDB)");

  withSettings(corpus.command("ingest"))
    .description(
      "ingest .txt/.md/.jsonl files, folders (recursively) or - for stdin; bad rows are reported with their line and skipped",
    )
    .argument("<paths...>", "files, folders, or - for stdin")
    .option("--no-wait", "fail at once if another ingest holds the lock (default: wait for it)")
    .option("--strict", "exit 1 when any row or file cannot be read (the rest are still ingested)", false)
    .option("--json", "print the summary as JSON")
    .addHelpText(
      "after",
      "\nExit 2 when no document at all could be read (every row malformed, say); with --strict, exit 1 when\n" +
        "any could not. Curation rejections (duplicates, too short, ...) are outcomes, not bad rows.",
    )
    .action(
      async (
        paths: string[],
        flags: SettingsFlags & { wait: boolean; json?: boolean; strict: boolean },
        cmd: Command,
      ) => {
        const c = await open(cmd, flags);
        const bar = progressBar();
        let unreadable = 0;
        try {
          const summary = await ingestPaths(c, paths, {
            lockTimeoutMs: flags.wait ? 24 * 3600_000 : 0,
            onWait: (e) => process.stderr.write(`spice: waiting: ${e.message}\n`),
            onProgress: bar.update,
            onRejection: (r) => {
              if (UNREADABLE.has(r.reason)) unreadable++;
              if (r.level === "document")
                bar.note(`spice: ${r.source}${r.line ? `:${r.line}` : ""}: ${r.reason}: ${r.detail}`);
            },
          });
          bar.done();
          if (flags.json) printJson(summary);
          else {
            const rej =
              Object.entries(summary.rejected)
                .map(([k, v]) => `${k} ${v}`)
                .join(", ") || "none";
            process.stdout.write(
              `${summary.committed ? `corpus version ${summary.corpus_version}` : "nothing new"}: ${summary.documents_added} documents, ${summary.segments_added} segments added; ${summary.unchanged} unchanged; rejected: ${rej}\n`,
            );
          }
          for (const f of summary.skipped_files)
            process.stderr.write(`spice: skipped ${f} (not .txt, .md or .jsonl)\n`);
          if (summary.documents_read === 0 && unreadable > 0) {
            await c.close();
            fail(`no usable document: all ${unreadable} rows or files could not be read`);
          }
          if (flags.strict && unreadable > 0) {
            await c.close();
            process.stderr.write(`spice: --strict: ${unreadable} rows or files could not be read\n`);
            process.exit(1);
          }
        } catch (e) {
          bar.done();
          if (e instanceof SourceError) fail(e.message);
          // A busy lock (LockBusyError) reaches main(), which answers it from the error table (exit 1).
          throw e;
        } finally {
          await c.close();
        }
      },
    );

  withSettings(corpus.command("search"))
    .description("top-k segments for a query")
    .argument("<query>", "the query text")
    .option("--k <k>", "how many segments", intArg("--k", 1, 100), 10)
    .addOption(
      new Option("--mode <mode>", "vector, full-text or hybrid (reciprocal-rank fusion)")
        .choices(SEARCH_MODES)
        .default("hybrid"),
    )
    .option("--source <source>", "only segments from this source")
    .option("--source-prefix <prefix>", "only segments whose source starts with this")
    .option("--json", "print the hits as JSON")
    .action(
      async (
        query: string,
        flags: SettingsFlags & { k: number; mode: SearchMode; source?: string; sourcePrefix?: string; json?: boolean },
        cmd: Command,
      ) => {
        const c = await open(cmd, flags);
        try {
          const hits = await c.search(query, {
            k: flags.k,
            mode: flags.mode,
            filter: { source: flags.source, source_prefix: flags.sourcePrefix },
          });
          if (flags.json) printJson({ query, mode: flags.mode, k: flags.k, hits });
          else
            for (const h of hits)
              process.stdout.write(`${h.score.toFixed(4)}\t${h.id}\t${h.source}\t${oneLine(h.text, 100)}\n`);
        } finally {
          await c.close();
        }
      },
    );

  withSettings(corpus.command("sample"))
    .description("a seeded uniform draw of n distinct segments (without replacement while n <= the corpus)")
    .option("--n <n>", "how many segments", intArg("--n", 1, 100_000), 1)
    .option("--seed <seed>", "the seed (same seed and corpus, same draw)", "0")
    .option(
      "--advance",
      "continue the persisted epoch sampler in <data-dir>/corpus/sampler.json instead of a pure draw",
    )
    .option("--json", "print the segments as JSON")
    .action(
      async (flags: SettingsFlags & { n: number; seed: string; advance?: boolean; json?: boolean }, cmd: Command) => {
        const c = await open(cmd, flags);
        try {
          const segments = flags.advance ? await advance(c, flags.n, flags.seed) : await c.sample(flags.n, flags.seed);
          if (flags.json) printJson({ seed: flags.seed, n: segments.length, segments });
          else for (const s of segments) process.stdout.write(`${s.id}\t${s.source}\t${oneLine(s.text, 100)}\n`);
        } finally {
          await c.close();
        }
      },
    );

  withSettings(corpus.command("stats"))
    .description("documents, segments, tokens and rejections by reason")
    .option("--json", "print as JSON")
    .action(async (flags: SettingsFlags & { json?: boolean }, cmd: Command) => {
      const c = await open(cmd, flags);
      try {
        const s = await c.stats();
        if (flags.json) printJson(s);
        else {
          process.stdout.write(
            `corpus version ${s.corpus_version}: ${s.documents} documents, ${s.segments} segments, ${s.tokens} tokens, ${s.sources} sources, vector index: ${s.vector_index}\n`,
          );
          process.stdout.write(
            `rejected ${s.rejected_total}${Object.entries(s.rejected)
              .map(([k, v]) => `\n  ${k}: ${v}`)
              .join("")}\n`,
          );
        }
      } finally {
        await c.close();
      }
    });

  withSettings(corpus.command("manifest"))
    .description(
      "the transparency manifest (JSON): per-source counts, filters, rejections by reason, ingest runs, content hash",
    )
    .option("--out <file>", "write it to a file instead of stdout")
    .action(async (flags: SettingsFlags & { out?: string }, cmd: Command) => {
      const c = await open(cmd, flags);
      try {
        const m = await c.manifest();
        if (flags.out) {
          writeFileSync(flags.out, `${JSON.stringify(m, null, 2)}\n`);
          process.stderr.write(`spice: wrote ${flags.out} (${m.content_hash})\n`);
        } else printJson(m);
      } finally {
        await c.close();
      }
    });
  return corpus;
}

function withSettings(cmd: Command): Command {
  return cmd
    .option("--settings <file>", "corpus settings JSON [default: <data-dir>/corpus-settings.json when present]")
    .option("--segment-tokens <n>", "most tokens per segment (default 5992)", intArg("--segment-tokens", 16))
    .option("--overlap <n>", "tokens of overlap between consecutive segments (default 0)", intArg("--overlap", 0))
    .addOption(new Option("--near-dup <method>", "near-duplicate rule").choices(["minhash", "cosine", "off"]))
    .option(
      "--near-dup-threshold <x>",
      "similarity at or above which a segment is a near-duplicate",
      floatArg("--near-dup-threshold", 0, 1),
    )
    .option("--blocklist <file>", "file of blocked terms, one per line")
    .option("--encoder <dir>", "a local sentence-embedding model folder (default: the built encoder)");
}

async function open(cmd: Command, f: SettingsFlags): Promise<Corpus> {
  const config = commandConfig(cmd);
  const file =
    f.settings ?? (existsSync(corpusSettingsPath(config.dataDir)) ? corpusSettingsPath(config.dataDir) : null);
  try {
    const settings = loadCorpusSettings(file, {
      segment_tokens: f.segmentTokens,
      overlap_tokens: f.overlap,
      encoder: f.encoder,
      curation: {
        near_duplicates:
          f.nearDup === undefined && f.nearDupThreshold === undefined
            ? undefined
            : {
                ...(f.nearDup === "off" ? { enabled: false } : f.nearDup ? { enabled: true, method: f.nearDup } : {}),
                ...(f.nearDupThreshold !== undefined ? { threshold: f.nearDupThreshold } : {}),
              },
        blocklist: f.blocklist ? { enabled: true, file: f.blocklist } : undefined,
      },
    });
    if (settings.curation.blocklist.file && !existsSync(settings.curation.blocklist.file))
      fail(`blocklist file not found: ${settings.curation.blocklist.file}`);
    if (settings.encoder && !existsSync(join(settings.encoder, "config.json")))
      fail(`encoder folder has no config.json: ${settings.encoder}`);
    return await openCorpus({ dataDir: config.dataDir, settings, policyModel: config.model });
  } catch (e) {
    if (e instanceof CorpusSettingsError) fail(e.message);
    throw e;
  }
}

/** The CLI's persisted epoch sampler: each call continues where the last one stopped. */
async function advance(c: Corpus, n: number, seed: string) {
  const path = join(corpusDir(c.dataDir), "sampler.json");
  const state = existsSync(path) ? JSON.parse(readFileSync(path, "utf8")) : undefined;
  const sampler = await c.createSampler({ seed, state: state?.seed === seed ? state : undefined });
  const segments = await c.segments(sampler.next(n));
  mkdirSync(corpusDir(c.dataDir), { recursive: true });
  writeFileSync(`${path}.tmp`, JSON.stringify(sampler.state()));
  renameSync(`${path}.tmp`, path);
  return segments;
}

function oneLine(s: string, max: number): string {
  const t = s.replace(/\s+/g, " ").trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

/** The ingest's progress on stderr: a bar with ETA over the input's bytes (counts only for stdin). */
function progressBar() {
  const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;
  let bar: Progress | null = null;
  return {
    update(p: IngestProgress) {
      bar ??= new Progress("ingest", p.total_bytes ?? null, { unit: mb });
      bar.update(
        p.bytes,
        `${p.documents} documents, ${p.segments} segments, ${p.rejected} rejected`,
        p.total_bytes ?? null,
      );
    },
    note(line: string) {
      if (bar) bar.log(line);
      else process.stderr.write(`${line}\n`);
    },
    done() {
      bar?.finish();
    },
  };
}
