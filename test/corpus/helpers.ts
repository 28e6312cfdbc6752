import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_ENCODER, DEFAULT_LM, ensureModel } from "../../models/index.ts";
import { openCorpus, type Corpus } from "../../src/corpus/corpus.ts";
import { loadCorpusSettings, type CorpusSettingsInput } from "../../src/corpus/settings.ts";
import type { SourceItem } from "../../src/corpus/sources.ts";

/**
 * 120 short prose documents (word problems, science and history passages; ids sample-0001…): the sample
 * corpus before it became toy-world documents, kept for the corpus tests' search and provenance checks.
 * `bun data/generate-sample.ts --prose --n 120 --seed 1 --out test/corpus/fixtures/prose/corpus.jsonl` writes it.
 */
export const PROSE_FIXTURE_DIR = join(import.meta.dir, "fixtures", "prose");

/** A temp data dir with the real built encoder and LM tokenizer in it. */
export function corpusDataDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "spice-corpus-"));
  ensureModel(dir, DEFAULT_ENCODER);
  ensureModel(dir, DEFAULT_LM);
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Fresh data dirs under `parent` (a corpusDataDir), each sharing its built models through symlinks. */
export function freshDirs(parent: string): () => string {
  let n = 0;
  return () => {
    const dir = join(parent, `c${n++}`);
    mkdirSync(join(dir, "models"), { recursive: true });
    for (const m of [DEFAULT_ENCODER, DEFAULT_LM])
      Bun.spawnSync(["ln", "-s", join(parent, "models", m), join(dir, "models", m)]);
    return dir;
  };
}

export function openTestCorpus(dataDir: string, settings: CorpusSettingsInput = {}): Promise<Corpus> {
  return openCorpus({ dataDir, settings: loadCorpusSettings(null, settings as Record<string, unknown>) });
}

export function docs(
  rows: { id?: string; text: string; source?: string; metadata?: Record<string, unknown> }[],
): SourceItem[] {
  return rows.map((r, i) => ({
    kind: "doc",
    bytes: r.text.length,
    doc: { id: r.id, text: r.text, metadata: r.metadata ?? {}, source: r.source ?? "test", line: i + 1 },
  }));
}

/** Distinct, passable prose: each document is different enough that no curation rule fires. */
export function prose(i: number, words = 60): string {
  const vocab = [
    "river",
    "mill",
    "grain",
    "harbour",
    "bridge",
    "census",
    "charter",
    "orbit",
    "planet",
    "atom",
    "proton",
    "force",
    "market",
    "salt",
    "timber",
    "copper",
    "storm",
    "wall",
    "school",
    "library",
  ];
  let s = (i * 2654435761) >>> 0;
  const out: string[] = [`Document ${i} tells this:`];
  for (let w = 0; w < words; w++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    out.push(vocab[s % vocab.length]!);
    if (w % 9 === 8) out.push(`${(s >>> 8) % 1000}.`);
  }
  return out.join(" ");
}
