import { readdirSync, statSync } from "node:fs";
import { extname, join, relative, resolve } from "node:path";
import { z } from "zod";
import { looksBinary, type RejectionReason } from "./curate.ts";

/** A document as read, before curation. */
export interface RawDocument {
  id?: string;
  text: string;
  metadata: Record<string, unknown>;
  source: string;
  line: number | null;
}

/** What a reader yields: a document, or a rejection it could tell from the bytes alone. */
export type SourceItem =
  | { kind: "doc"; doc: RawDocument; bytes: number }
  | { kind: "reject"; reason: RejectionReason; source: string; line: number | null; detail: string; bytes: number };

export const TEXT_EXTENSIONS = new Set([".txt", ".md"]);
export const JSONL_EXTENSIONS = new Set([".jsonl", ".ndjson"]);

/** A JSON Lines row or HTTP document: `text` required, `id`, `metadata` and `source` (a URL, say) optional. */
export const DocumentRowSchema = z.object({
  id: z
    .union([z.string().min(1).max(512), z.number().int()])
    .optional()
    .transform((v) => (v === undefined ? undefined : String(v))),
  text: z.string(),
  metadata: z.record(z.string(), z.unknown()).optional(),
  source: z.string().min(1).max(2048).optional(),
});

/** The same row with unknown keys refused: what HTTP clients post (files may carry more columns, ignored). */
export const ClosedDocumentRowSchema = z.strictObject(DocumentRowSchema.shape, {
  error: (i) =>
    i.code === "unrecognized_keys"
      ? `unknown field (expected only: ${Object.keys(DocumentRowSchema.shape).join(", ")})`
      : undefined,
});

export class SourceError extends Error {}

/** Files to ingest under the given paths (folders recursively, sorted); `-` stays as stdin. */
export function expandPaths(paths: string[]): { files: string[]; skipped: string[]; totalBytes: number } {
  const files: string[] = [];
  const skipped: string[] = [];
  let totalBytes = 0;
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      if (name.startsWith(".")) continue;
      const p = join(dir, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else if (TEXT_EXTENSIONS.has(extname(p).toLowerCase()) || JSONL_EXTENSIONS.has(extname(p).toLowerCase())) {
        files.push(p);
        totalBytes += st.size;
      } else skipped.push(p);
    }
  };
  for (const p of paths) {
    if (p === "-") {
      files.push("-");
      continue;
    }
    let st: ReturnType<typeof statSync>;
    try {
      st = statSync(p);
    } catch {
      throw new SourceError(`no such file or folder: ${p}`);
    }
    if (st.isDirectory()) walk(p);
    else {
      files.push(p);
      totalBytes += st.size;
    }
  }
  return { files, skipped, totalBytes };
}

/** Source label recorded as provenance: the path relative to the working directory, or `stdin`. */
export function sourceLabel(path: string): string {
  if (path === "-") return "stdin";
  const rel = relative(process.cwd(), resolve(path));
  return rel.startsWith("..") ? resolve(path) : rel;
}

/** Reads one file (or stdin for `-`): `.jsonl` row by row, anything else as one text document. */
export async function* readFileSource(path: string, maxChars: number): AsyncGenerator<SourceItem> {
  const source = sourceLabel(path);
  if (path === "-") {
    yield* readStdin(maxChars);
    return;
  }
  if (JSONL_EXTENSIONS.has(extname(path).toLowerCase())) {
    yield* readJsonLines(Bun.file(path).stream(), source, maxChars);
    return;
  }
  const size = statSync(path).size;
  // Far past the limit: don't even read it into memory.
  if (size > maxChars * 4) {
    yield {
      kind: "reject",
      reason: "too_long",
      source,
      line: null,
      detail: `${size} bytes > max_document_chars ${maxChars}`,
      bytes: size,
    };
    return;
  }
  yield textItem(new Uint8Array(await Bun.file(path).arrayBuffer()), source, null, maxChars, {});
}

/** stdin: JSON Lines when the first non-blank character is `{`, else one text document. */
async function* readStdin(maxChars: number): AsyncGenerator<SourceItem> {
  const reader = Bun.stdin.stream().getReader();
  const first = await reader.read();
  const head = first.done ? new Uint8Array(0) : first.value;
  const rest = new ReadableStream<Uint8Array>({
    start(c) {
      if (head.length) c.enqueue(head);
    },
    async pull(c) {
      const r = await reader.read();
      if (r.done) c.close();
      else c.enqueue(r.value);
    },
  });
  const firstChar = new TextDecoder().decode(head.subarray(0, 64)).trimStart()[0];
  if (firstChar === "{") {
    yield* readJsonLines(rest, "stdin", maxChars);
    return;
  }
  const bytes = new Uint8Array(await new Response(rest).arrayBuffer());
  yield textItem(bytes, "stdin", null, maxChars, {});
}

const fatalDecoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

function textItem(
  bytes: Uint8Array,
  source: string,
  line: number | null,
  maxChars: number,
  extra: Partial<RawDocument>,
): SourceItem {
  const n = bytes.length;
  if (n === 0) return { kind: "reject", reason: "empty", source, line, detail: "empty file", bytes: n };
  if (looksBinary(bytes))
    return {
      kind: "reject",
      reason: "binary",
      source,
      line,
      detail: "binary content (NUL or control bytes)",
      bytes: n,
    };
  let text: string;
  try {
    text = fatalDecoder.decode(bytes);
  } catch {
    return {
      kind: "reject",
      reason: "invalid_utf8",
      source,
      line,
      detail: `invalid UTF-8 at byte ${firstInvalidUtf8(bytes)}`,
      bytes: n,
    };
  }
  return docItem({ text, metadata: {}, ...extra, source: extra.source ?? source, line }, maxChars, n);
}

function docItem(doc: RawDocument, maxChars: number, bytes: number): SourceItem {
  if (doc.text.trim() === "")
    return { kind: "reject", reason: "empty", source: doc.source, line: doc.line, detail: "no text", bytes };
  if (doc.text.length > maxChars) {
    return {
      kind: "reject",
      reason: "too_long",
      source: doc.source,
      line: doc.line,
      detail: `${doc.text.length} chars > max_document_chars ${maxChars}`,
      bytes,
    };
  }
  return { kind: "doc", doc, bytes };
}

/** One JSON Lines row (already split, bytes without the newline) → a document or a rejection naming the line. */
export function parseJsonLine(
  bytes: Uint8Array,
  source: string,
  line: number,
  maxChars: number,
  closed = false,
): SourceItem | null {
  let str: string;
  try {
    str = fatalDecoder.decode(bytes);
  } catch {
    return {
      kind: "reject",
      reason: "invalid_utf8",
      source,
      line,
      detail: `line ${line}: invalid UTF-8 at byte ${firstInvalidUtf8(bytes)}`,
      bytes: bytes.length,
    };
  }
  if (str.trim() === "") return null;
  let value: unknown;
  try {
    value = JSON.parse(str);
  } catch (e) {
    return {
      kind: "reject",
      reason: "malformed_row",
      source,
      line,
      detail: `line ${line}: not JSON (${(e as Error).message})`,
      bytes: bytes.length,
    };
  }
  const row = (closed ? ClosedDocumentRowSchema : DocumentRowSchema).safeParse(value);
  if (!row.success) {
    return {
      kind: "reject",
      reason: "malformed_row",
      source,
      line,
      detail: `line ${line}: ${describeRowIssues(row.error)}`,
      bytes: bytes.length,
    };
  }
  const { id, text, metadata, source: rowSource } = row.data;
  return docItem({ id, text, metadata: metadata ?? {}, source: rowSource ?? source, line }, maxChars, bytes.length);
}

/**
 * Splits a byte stream into lines without ever holding more than one line: a line past the
 * size limit is skipped to its newline and reported as too long, with its number.
 */
export async function* readJsonLines(
  stream: ReadableStream<Uint8Array>,
  source: string,
  maxChars: number,
): AsyncGenerator<SourceItem> {
  const maxLineBytes = maxChars * 4 + 65_536;
  let parts: Uint8Array[] = [];
  let partBytes = 0;
  let line = 1;
  let overflow = 0;
  const finish = (): SourceItem | null => {
    if (overflow > 0) {
      const item: SourceItem = {
        kind: "reject",
        reason: "too_long",
        source,
        line,
        detail: `line ${line}: ${overflow} bytes > max_document_chars ${maxChars}`,
        bytes: overflow,
      };
      overflow = 0;
      return item;
    }
    const bytes = concat(parts, partBytes);
    parts = [];
    partBytes = 0;
    return parseJsonLine(stripCr(bytes), source, line, maxChars);
  };
  for await (const chunk of stream) {
    let start = 0;
    for (let nl = chunk.indexOf(10, start); nl !== -1; nl = chunk.indexOf(10, start)) {
      append(chunk.subarray(start, nl));
      const item = finish();
      if (item) yield item;
      line++;
      start = nl + 1;
    }
    append(chunk.subarray(start));
  }
  if (partBytes > 0 || overflow > 0) {
    const item = finish();
    if (item) yield item;
  }

  function append(bytes: Uint8Array) {
    if (bytes.length === 0) return;
    if (overflow > 0 || partBytes + bytes.length > maxLineBytes) {
      overflow += partBytes + bytes.length;
      parts = [];
      partBytes = 0;
      return;
    }
    parts.push(bytes.slice());
    partBytes += bytes.length;
  }
}

/** Each failing field of a row and what it expects, e.g. `text: Invalid input: expected string, received number`. */
function describeRowIssues(error: z.ZodError): string {
  return error.issues
    .flatMap((i) =>
      i.code === "unrecognized_keys"
        ? i.keys.map((k) => `${[...i.path, k].join(".")}: ${i.message}`)
        : [`${i.path.join(".") || "row"}: ${i.message}`],
    )
    .join("; ");
}

/** Documents posted over HTTP, already parsed: validated one by one (unknown keys refused), numbered from 1. */
export function* readPostedDocuments(rows: unknown[], maxChars: number): Generator<SourceItem> {
  for (let i = 0; i < rows.length; i++) {
    const row = ClosedDocumentRowSchema.safeParse(rows[i]);
    if (!row.success) {
      yield {
        kind: "reject",
        reason: "malformed_row",
        source: "http",
        line: i + 1,
        detail: `item ${i + 1} (index ${i}): ${describeRowIssues(row.error)}`,
        bytes: 0,
      };
      continue;
    }
    const { id, text, metadata, source } = row.data;
    yield docItem({ id, text, metadata: metadata ?? {}, source: source ?? "http", line: i + 1 }, maxChars, text.length);
  }
}

function concat(parts: Uint8Array[], total: number): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function stripCr(b: Uint8Array): Uint8Array {
  return b.length && b[b.length - 1] === 13 ? b.subarray(0, b.length - 1) : b;
}

function firstInvalidUtf8(bytes: Uint8Array): number {
  // Longest prefix that decodes in streaming mode (where a trailing partial character is fine).
  let lo = 0,
    hi = bytes.length;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    try {
      new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(0, mid), { stream: true });
      lo = mid;
    } catch {
      hi = mid - 1;
    }
  }
  return lo;
}
