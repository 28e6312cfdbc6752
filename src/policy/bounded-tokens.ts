/**
 * Tokenizing text whose size a client chooses, at a cost that follows what the model can take rather
 * than what was sent (a 9 MiB question took 8 s and 1.5 GB to tokenize in full, only to be refused).
 *
 * 1. A bound by characters, before any tokenizing: no token of a tokenizer covers more input characters
 *    than its longest vocabulary entry (`maxCharsPerToken`), so a text longer than `limit` × that bound
 *    cannot fit in `limit` tokens.
 * 2. Under that bound, a long text is counted in slices of at most `SLICE_CHARS` characters with the
 *    event loop free between slices, stopping as soon as the count is surely over the limit.
 * 3. Truncation tokenizes a growing prefix only, so its cost follows the part kept.
 */

/** Characters per slice: one slice tokenizes in a few milliseconds. */
export const SLICE_CHARS = 8192;

/**
 * Tokens a cut between two slices may add to their summed count (a merge the cut prevented, a prefix
 * marker): a slice count minus this per cut is still at most the whole text's count.
 */
export const SLACK_PER_CUT = 4;

/** Tokens kept past the wanted prefix when truncating, so the cut cannot change the tokens kept. */
const TRUNCATE_MARGIN = 32;

/** Lets timers and other requests run between slices. */
export const breathe = () => new Promise<void>((resolve) => setImmediate(resolve));

/** The parts of a `tokenizer.json` that decide how many input characters one token can cover. */
interface TokenizerJson {
  normalizer?: Step | null;
  pre_tokenizer?: Step | null;
  model?: {
    type?: string;
    vocab?: Record<string, number> | unknown;
    unk_token?: string | null;
    fuse_unk?: boolean;
    byte_fallback?: boolean;
  };
  added_tokens?: { content: string; lstrip?: boolean; rstrip?: boolean }[];
}

interface Step {
  type?: string;
  normalizers?: Step[];
  pretokenizers?: Step[];
  behavior?: string;
  pattern?: { String?: string; Regex?: string };
  content?: string;
}

/**
 * How many input characters normalisation can fold into one: 1 for none, a bounded factor for Unicode
 * composition, null where text can vanish (stripping, accents, a regex replace, a char map).
 */
function normalizerFactor(n: Step | null | undefined): number | null {
  if (!n) return 1;
  switch (n.type) {
    case "NFD":
    case "NFKD":
    case "Lowercase":
    case "Prepend":
      return 1;
    case "NFC":
    case "NFKC":
      // Canonical composition folds a base and its marks; four code units per output one is generous.
      return 4;
    case "Replace": {
      const from = n.pattern?.String;
      if (from === undefined || !n.content) return null;
      return Math.max(1, Math.ceil(from.length / n.content.length));
    }
    case "Sequence": {
      let f = 1;
      for (const step of n.normalizers ?? []) {
        const g = normalizerFactor(step);
        if (g === null) return null;
        f *= g;
      }
      return f;
    }
    default:
      return null;
  }
}

/** Whether pre-tokenisation keeps every character (no whitespace splitting that drops the spaces). */
function preTokenizerKeeps(p: Step | null | undefined): boolean {
  if (!p) return true;
  switch (p.type) {
    case "ByteLevel":
    case "Metaspace":
    case "Digits":
    case "Punctuation":
    case "UnicodeScripts":
      return p.behavior !== "Removed";
    case "Split":
      return p.behavior !== "Removed";
    case "Sequence":
      return (p.pretokenizers ?? []).every(preTokenizerKeeps);
    default:
      return false;
  }
}

const hasByteLevel = (p: Step | null | undefined): boolean =>
  !!p && (p.type === "ByteLevel" || (p.pretokenizers ?? []).some(hasByteLevel));

/**
 * An upper bound on the input characters one token can cover, read from a `tokenizer.json`; null when
 * no cheap bound holds (WordPiece and Unigram models, fused unknowns, normalisers or pre-tokenizers that
 * drop text, added tokens that swallow whitespace). Every BPE token is a vocabulary entry, and an entry
 * of n characters consumes at most n input characters (byte-level entries are one character per UTF-8
 * byte; a byte-fallback entry such as `<0xE2>` is one byte).
 */
export function maxCharsPerToken(tokenizer: unknown): number | null {
  const t = tokenizer as TokenizerJson;
  const model = t?.model;
  if (model?.type !== "BPE" || typeof model.vocab !== "object" || model.vocab === null) return null;
  const byteLevel = hasByteLevel(t.pre_tokenizer);
  // Without bytes to fall back on, an unknown character is dropped (no unk) or a run of them fused into one.
  if (!byteLevel && !model.byte_fallback && (model.unk_token == null || model.fuse_unk)) return null;
  if (!preTokenizerKeeps(t.pre_tokenizer)) return null;
  const factor = normalizerFactor(t.normalizer);
  if (factor === null) return null;
  const added = t.added_tokens ?? [];
  if (added.some((a) => a.lstrip || a.rstrip)) return null;
  let longest = 1;
  for (const key of Object.keys(model.vocab)) if (key.length > longest) longest = key.length;
  for (const a of added) if (a.content.length > longest) longest = a.content.length;
  return longest * factor;
}

/** Where to cut `text` near `end`: just before a whitespace that follows a non-space (a word boundary), else at `end`. */
function cutPoint(text: string, start: number, end: number): number {
  if (end >= text.length) return text.length;
  for (let i = end; i > start + (end - start) / 2; i--) {
    if (/\s/.test(text[i]!) && !/\s/.test(text[i - 1]!)) return i;
  }
  // No boundary in the second half of the slice: a hard cut, never between the halves of a surrogate pair.
  const code = text.charCodeAt(end - 1);
  return code >= 0xd800 && code <= 0xdbff ? end - 1 : end;
}

export type TokenVerdict = { fits: true } | { fits: false; chars: number; atLeast: number | null };

/**
 * Whether `text` can fit in `limit` tokens, decided without tokenizing all of a long text: refused by
 * length alone past `limit` × `maxChars` characters, else counted slice by slice (yielding between
 * slices) and refused as soon as the count, less the slack of every cut, passes the limit. `fits: true`
 * means "not surely over": the caller's exact encoding decides.
 */
export async function checkTokenLimit(
  text: string,
  count: (slice: string) => number,
  limit: number,
  maxChars: number | null,
): Promise<TokenVerdict> {
  if (maxChars !== null && text.length > limit * maxChars) return { fits: false, chars: text.length, atLeast: null };
  if (text.length <= SLICE_CHARS) return { fits: true };
  let counted = 0;
  let cuts = 0;
  for (let start = 0; start < text.length; ) {
    const end = cutPoint(text, start, Math.min(text.length, start + SLICE_CHARS));
    counted += count(text.slice(start, end));
    if (end < text.length) cuts++;
    const atLeast = counted - SLACK_PER_CUT * cuts;
    if (atLeast > limit) return { fits: false, chars: text.length, atLeast };
    start = end;
    await breathe();
  }
  return { fits: true };
}

/**
 * The ids of the first `maxTokens` tokens of `text`, or null when the whole text fits. Encodes a prefix
 * that doubles from a typical size until it holds `maxTokens` tokens with a margin (or is the whole
 * text), so a 9 MiB document costs what its kept part costs.
 */
export async function leadingTokens(
  text: string,
  encode: (prefix: string) => number[],
  maxTokens: number,
): Promise<number[] | null> {
  let window = Math.min(text.length, Math.max(SLICE_CHARS, (maxTokens + TRUNCATE_MARGIN) * 8));
  for (;;) {
    const end = cutPoint(text, 0, window);
    const ids = encode(text.slice(0, end));
    if (end >= text.length) return ids.length <= maxTokens ? null : ids.slice(0, maxTokens);
    if (ids.length >= maxTokens + TRUNCATE_MARGIN) return ids.slice(0, maxTokens);
    window = Math.min(text.length, window * 2);
    await breathe();
  }
}
