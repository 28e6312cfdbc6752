import { readFileSync } from "node:fs";
import { z } from "zod";

/** Corpus settings: chunking, curation switches and thresholds, embedding and indexing. */
export const CorpusSettingsSchema = z.strictObject({
  /** Most policy-model tokens per segment (the paper's 5,992). */
  segment_tokens: z.number().int().min(16).default(5992),
  /** Tokens of trailing context repeated at the start of the next segment of the same document. */
  overlap_tokens: z.number().int().min(0).default(0),
  /** Documents past this many characters are rejected before tokenisation (guards against a 50 MB line). */
  max_document_chars: z.number().int().min(1).default(5_000_000),
  curation: z
    .strictObject({
      exact_duplicates: z.boolean().default(true),
      near_duplicates: z
        .strictObject({
          enabled: z.boolean().default(true),
          method: z.enum(["minhash", "cosine"]).default("minhash"),
          /** Estimated Jaccard (minhash) or cosine similarity (cosine) at or above which a segment is a near-duplicate. */
          threshold: z.number().gt(0).max(1).default(0.85),
        })
        .prefault({}),
      length: z
        .strictObject({
          enabled: z.boolean().default(true),
          min_tokens: z.number().int().min(0).default(16),
          min_chars: z.number().int().min(0).default(40),
        })
        .prefault({}),
      non_text: z
        .strictObject({
          enabled: z.boolean().default(true),
          /** Least share of letters and spaces among the characters. */
          min_alpha_ratio: z.number().min(0).max(1).default(0.6),
          /** Most share of characters inside <markup> tags. */
          max_markup_ratio: z.number().min(0).max(1).default(0.3),
        })
        .prefault({}),
      blocklist: z
        .strictObject({
          enabled: z.boolean().default(true),
          /** A text file, one term per line (# comments); null = no blocklist. */
          file: z.string().nullable().default(null),
        })
        .prefault({}),
    })
    .prefault({}),
  /** A local sentence-embedding model folder; null = the project's built encoder. */
  encoder: z.string().nullable().default(null),
  /** A local model folder whose tokenizer counts segment tokens; null = the built policy LM. */
  tokenizer: z.string().nullable().default(null),
  embed_batch_size: z.number().int().min(1).max(1024).default(32),
  /** Below this many segments vector search is an exact scan; at or past it an ANN index is built (PQ training needs 256 rows). */
  vector_index_min_rows: z.number().int().min(256).default(20_000),
});

export type CorpusSettings = z.infer<typeof CorpusSettingsSchema>;
export type CorpusSettingsInput = z.input<typeof CorpusSettingsSchema>;

export function defaultCorpusSettings(): CorpusSettings {
  return CorpusSettingsSchema.parse({});
}

/** Deep-merges overrides (e.g. from flags) over a JSON settings file over defaults, then validates. */
export function loadCorpusSettings(file?: string | null, overrides: Record<string, unknown> = {}): CorpusSettings {
  let fromFile: Record<string, unknown> = {};
  if (file) {
    let raw: string;
    try {
      raw = readFileSync(file, "utf8");
    } catch (e) {
      throw new CorpusSettingsError(`cannot read corpus settings file ${file}: ${(e as Error).message}`);
    }
    try {
      fromFile = JSON.parse(raw);
    } catch (e) {
      throw new CorpusSettingsError(`corpus settings file ${file} is not JSON: ${(e as Error).message}`);
    }
  }
  const result = CorpusSettingsSchema.safeParse(deepMerge(fromFile, overrides));
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new CorpusSettingsError(`invalid corpus settings at ${issue.path.join(".") || "(root)"}: ${issue.message}`);
  }
  return result.data;
}

export class CorpusSettingsError extends Error {}

function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) continue;
    const b = out[k];
    out[k] = isPlainObject(v) && isPlainObject(b) ? deepMerge(b, v) : v;
  }
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
