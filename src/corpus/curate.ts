import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import type { CorpusSettings } from "./settings.ts";

/** Why a document or segment was kept out of the corpus. Every rejection carries one. */
export const REJECTION_REASONS = [
  "empty",
  "invalid_utf8",
  "binary",
  "malformed_row",
  "too_long",
  "too_short",
  "non_text",
  "blocklisted",
  "exact_duplicate",
  "near_duplicate",
  "id_conflict",
] as const;
export type RejectionReason = (typeof REJECTION_REASONS)[number];

export interface Verdict {
  reason: RejectionReason;
  detail: string;
}

/** SHA-256 of the text with Unicode and whitespace normalised, so trivial re-encodings hash alike. */
export function contentHash(text: string): string {
  return createHash("sha256").update(normalizeForHash(text)).digest("hex");
}

function normalizeForHash(text: string): string {
  return text.normalize("NFC").replace(/\s+/g, " ").trim();
}

/** Detects binary content in raw bytes: NUL bytes, or many C0 control characters. */
export function looksBinary(bytes: Uint8Array): boolean {
  const n = Math.min(bytes.length, 65_536);
  let control = 0;
  for (let i = 0; i < n; i++) {
    const b = bytes[i]!;
    if (b === 0) return true;
    if (b < 32 && b !== 9 && b !== 10 && b !== 13 && b !== 12) control++;
  }
  return n > 0 && control / n > 0.1;
}

/** Rules that need only the text of one segment; null when it passes them all. */
export function checkText(
  text: string,
  tokens: number,
  curation: CorpusSettings["curation"],
  blocklist: Blocklist | null,
): Verdict | null {
  if (curation.length.enabled) {
    const { min_tokens, min_chars } = curation.length;
    if (tokens < min_tokens) return { reason: "too_short", detail: `${tokens} tokens < min_tokens ${min_tokens}` };
    if (text.trim().length < min_chars)
      return { reason: "too_short", detail: `${text.trim().length} chars < min_chars ${min_chars}` };
  }
  if (curation.non_text.enabled) {
    const detail = nonTextDetail(text, curation.non_text.min_alpha_ratio, curation.non_text.max_markup_ratio);
    if (detail) return { reason: "non_text", detail };
  }
  if (curation.blocklist.enabled && blocklist) {
    const term = blocklist.match(text);
    if (term !== null) return { reason: "blocklisted", detail: `contains blocklisted term "${term}"` };
  }
  return null;
}

function nonTextDetail(text: string, minAlpha: number, maxMarkup: number): string | null {
  if (text.length === 0) return "empty text";
  let control = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c < 32 && c !== 9 && c !== 10 && c !== 13) || c === 0xfffd) control++;
  }
  if (control / text.length > 0.01) return `${pct(control / text.length)} control or replacement characters`;
  let markup = 0;
  for (const m of text.matchAll(/<[^<>\n]{1,500}>/g)) markup += m[0].length;
  if (markup / text.length > maxMarkup) return `${pct(markup / text.length)} markup > ${pct(maxMarkup)}`;
  const alpha = text.match(/[\p{L}\s]/gu)?.length ?? 0;
  if (alpha / text.length < minAlpha)
    return `${pct(alpha / text.length)} letters < ${pct(minAlpha)} (mostly numbers or symbols)`;
  return null;
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

export interface Blocklist {
  terms: string[];
  /** The first blocklisted term found (whole words, case-insensitive), or null. */
  match(text: string): string | null;
}

export function parseBlocklist(content: string): Blocklist {
  const terms = [
    ...new Set(
      content
        .split(/\r?\n/)
        .map((l) => l.replace(/#.*$/, "").trim().toLowerCase())
        .filter((l) => l.length > 0),
    ),
  ];
  if (terms.length === 0) return { terms, match: () => null };
  const escaped = terms.map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/\s+/g, "\\s+"));
  const re = new RegExp(`(?<![\\p{L}\\p{N}])(?:${escaped.join("|")})(?![\\p{L}\\p{N}])`, "iu");
  return {
    terms,
    match(text) {
      const m = re.exec(text);
      return m ? m[0].toLowerCase().replace(/\s+/g, " ") : null;
    },
  };
}

export function loadBlocklist(file: string): Blocklist {
  return parseBlocklist(readFileSync(file, "utf8"));
}

// ---- MinHash near-duplicate detection ----

export const MINHASH_PERMUTATIONS = 128;
const BANDS = 16;
const ROWS = MINHASH_PERMUTATIONS / BANDS;
const SHINGLE_WORDS = 5;

const SEEDS = (() => {
  const seeds = new Uint32Array(MINHASH_PERMUTATIONS);
  let s = 0x9e3779b9;
  for (let i = 0; i < seeds.length; i++) {
    s = fmix32((s + 0x6d2b79f5) >>> 0);
    seeds[i] = s;
  }
  return seeds;
})();

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** MinHash signature over lower-cased word 5-shingles. */
export function minhashSignature(text: string): Int32Array {
  const words = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  const shingles = new Set<number>();
  if (words.length <= SHINGLE_WORDS) shingles.add(fnv1a(words.join(" ")));
  else
    for (let i = 0; i + SHINGLE_WORDS <= words.length; i++)
      shingles.add(fnv1a(words.slice(i, i + SHINGLE_WORDS).join(" ")));
  const sig = new Uint32Array(MINHASH_PERMUTATIONS).fill(0xffffffff);
  for (const sh of shingles) {
    for (let p = 0; p < MINHASH_PERMUTATIONS; p++) {
      const v = fmix32((sh ^ SEEDS[p]!) >>> 0);
      if (v < sig[p]!) sig[p] = v;
    }
  }
  return new Int32Array(sig.buffer);
}

export function estimatedJaccard(a: Int32Array, b: Int32Array): number {
  let same = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) same++;
  return same / a.length;
}

/** LSH over MinHash bands: finds an indexed signature at or above a Jaccard threshold without a full scan. */
export class MinHashIndex {
  private readonly buckets = new Map<string, number[]>();
  private readonly ids: string[] = [];
  private readonly sigs: Int32Array[] = [];

  add(id: string, sig: Int32Array): void {
    const n = this.ids.length;
    this.ids.push(id);
    this.sigs.push(sig);
    for (const key of bandKeys(sig)) {
      const bucket = this.buckets.get(key);
      if (bucket) bucket.push(n);
      else this.buckets.set(key, [n]);
    }
  }

  /** The most similar indexed id at or above the threshold, or null. */
  query(sig: Int32Array, threshold: number): { id: string; similarity: number } | null {
    let best: { id: string; similarity: number } | null = null;
    const seen = new Set<number>();
    for (const key of bandKeys(sig)) {
      for (const n of this.buckets.get(key) ?? []) {
        if (seen.has(n)) continue;
        seen.add(n);
        const similarity = estimatedJaccard(sig, this.sigs[n]!);
        if (similarity >= threshold && (!best || similarity > best.similarity)) best = { id: this.ids[n]!, similarity };
      }
    }
    return best;
  }

  get size(): number {
    return this.ids.length;
  }
}

/** Bands of the MinHash LSH; a stored segment has one row per band in the corpus's band table. */
export const MINHASH_BANDS = BANDS;

/**
 * The signature's LSH band keys as 64-bit integers (band index folded in), as the corpus stores them:
 * two signatures share a key only if they agree on a whole band (up to a 2^-64 collision, which the
 * estimated-Jaccard check that follows absorbs).
 */
export function bandKeys64(sig: Int32Array): BigInt64Array {
  const keys = new BigInt64Array(BANDS);
  for (let b = 0; b < BANDS; b++) {
    let h1 = (0x9747b28c ^ b) >>> 0;
    let h2 = (0x85ebca6b ^ Math.imul(b, 31)) >>> 0;
    for (let k = 0; k < ROWS; k++) {
      const v = sig[b * ROWS + k]!;
      h1 = fmix32((h1 ^ v) >>> 0);
      h2 = fmix32((h2 + Math.imul(v, 0x27d4eb2d)) >>> 0);
    }
    keys[b] = BigInt.asIntN(64, (BigInt(h1) << 32n) | BigInt(h2));
  }
  return keys;
}

function bandKeys(sig: Int32Array): string[] {
  const keys: string[] = [];
  for (let b = 0; b < BANDS; b++)
    keys.push(`${b}:${Array.prototype.join.call(sig.subarray(b * ROWS, (b + 1) * ROWS), ",")}`);
  return keys;
}

export function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0,
    na = 0,
    nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}
