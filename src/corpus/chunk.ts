/** Counts tokens the way the policy model does; chunking depends only on this. */
export interface TokenCounter {
  count(text: string): number;
}

export interface Chunk {
  text: string;
  /** 0-based index of the segment within its document. */
  position: number;
  /** Character offsets of the segment in the document text (overlap included). */
  char_start: number;
  char_end: number;
  tokens: number;
}

export interface ChunkOptions {
  maxTokens: number;
  overlapTokens?: number;
}

interface Span {
  start: number;
  end: number;
  tokens: number;
}

/**
 * Splits a document into segments of at most `maxTokens` tokens. Paragraph-aware: it packs whole
 * paragraphs, and only splits a paragraph (at sentences, then words, then characters) when the
 * paragraph alone is too long. Every segment is an exact slice of the input, so its offsets are provenance.
 */
export function chunkText(text: string, counter: TokenCounter, opts: ChunkOptions): Chunk[] {
  const max = opts.maxTokens;
  const overlap = Math.min(opts.overlapTokens ?? 0, Math.floor(max / 2));
  if (max < 1) throw new RangeError("maxTokens must be at least 1");
  if (text.trim() === "") return [];
  if (counter.count(text) <= max) {
    const start = text.length - text.trimStart().length;
    const end = trimEnd(text, text.length, start);
    return [
      {
        text: text.slice(start, end),
        position: 0,
        char_start: start,
        char_end: end,
        tokens: counter.count(text.slice(start, end)),
      },
    ];
  }

  const units: Span[] = [];
  for (const para of splitBy(text, 0, text.length, /\n[ \t]*\n\s*/g)) pushUnit(text, para, counter, max, units);

  const chunks: Chunk[] = [];
  let i = 0;
  while (i < units.length) {
    let j = i;
    let sum = 0;
    while (j < units.length && (j === i || sum + units[j]!.tokens <= max)) sum += units[j++]!.tokens;
    // Unit sums are an estimate (BPE can merge across a boundary): trust only a real count.
    const start = units[i]!.start;
    let end = trimEnd(text, units[j - 1]!.end, start);
    let tokens = counter.count(text.slice(start, end));
    while (tokens > max && j - 1 > i) {
      j--;
      end = trimEnd(text, units[j - 1]!.end, start);
      tokens = counter.count(text.slice(start, end));
    }
    chunks.push({ text: text.slice(start, end), position: chunks.length, char_start: start, char_end: end, tokens });
    if (j >= units.length) break;
    // Overlap: restart at the earliest trailing units that fit in the overlap budget, always moving forward.
    let k = j;
    let carried = 0;
    while (overlap > 0 && k - 1 > i && carried + units[k - 1]!.tokens <= overlap) carried += units[--k]!.tokens;
    i = k;
  }
  return chunks;
}

function pushUnit(
  text: string,
  span: { start: number; end: number },
  counter: TokenCounter,
  max: number,
  out: Span[],
): void {
  const tokens = counter.count(text.slice(span.start, span.end));
  if (tokens <= max) {
    out.push({ ...span, tokens });
    return;
  }
  const finer = [/(?<=[.!?。！？])\s+/g, /\s+/g];
  for (const re of finer) {
    const parts = splitBy(text, span.start, span.end, re);
    if (parts.length > 1) {
      for (const p of parts) pushUnit(text, p, counter, max, out);
      return;
    }
  }
  // One unbroken run of characters (no whitespace): cut it by characters, sized from its token density.
  const sample = text.slice(span.start, Math.min(span.end, span.start + 65_536));
  const charsPerToken = sample.length / Math.max(counter.count(sample), 1);
  let start = span.start;
  while (start < span.end) {
    let len = Math.min(Math.max(1, Math.floor(max * charsPerToken)), span.end - start);
    while (len > 1 && counter.count(text.slice(start, start + len)) > max) len = Math.floor(len * 0.9);
    const end = avoidSplitSurrogate(text, start + len, start);
    out.push({ start, end, tokens: counter.count(text.slice(start, end)) });
    start = end;
  }
}

/** Spans of text[from, to) separated by the regex's matches; each span keeps its trailing separator. */
function splitBy(text: string, from: number, to: number, re: RegExp): { start: number; end: number }[] {
  const spans: { start: number; end: number }[] = [];
  const slice = text.slice(from, to);
  re.lastIndex = 0;
  let start = 0;
  for (let m = re.exec(slice); m; m = re.exec(slice)) {
    if (m[0].length === 0) {
      re.lastIndex++;
      continue;
    }
    const end = m.index + m[0].length;
    if (m.index > start) spans.push({ start: from + start, end: from + end });
    else if (spans.length) spans[spans.length - 1]!.end = from + end;
    start = end;
  }
  if (start < slice.length) spans.push({ start: from + start, end: to });
  else if (spans.length === 0 && slice.length) spans.push({ start: from, end: to });
  return spans;
}

function trimEnd(text: string, end: number, start: number): number {
  while (end > start + 1 && /\s/.test(text[end - 1]!)) end--;
  return end;
}

function avoidSplitSurrogate(text: string, end: number, start: number): number {
  const c = text.charCodeAt(end - 1);
  return c >= 0xd800 && c <= 0xdbff && end - 1 > start ? end - 1 : end;
}

/** A rough counter for tests and for settings with no tokenizer: ~4 UTF-8 bytes per token. */
export const approximateTokenCounter: TokenCounter = {
  count: (text) => Math.ceil(new TextEncoder().encode(text).length / 4),
};
