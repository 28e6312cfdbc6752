import { createRoute, type z } from "@hono/zod-openapi";
import { createRouter, fieldErrors, invalidRequest, json, problemRes } from "../../src/http/openapi.ts";
import * as ex from "./examples.ts";
import type { AppContext } from "../../src/context.ts";
import { getCorpus } from "../../src/corpus/index.ts";
import type { RejectionEvent } from "../../src/corpus/ingest.ts";
import { parseJsonLine, readPostedDocuments, type SourceItem } from "../../src/corpus/sources.ts";
import { HttpProblem } from "../../src/problem.ts";
import {
  IngestOut,
  MAX_POST_DOCUMENTS,
  NDJSON_TYPES,
  ManifestOut,
  PostDocumentsJson,
  SampleOut,
  SampleQuery,
  SearchOut,
  SearchQuery,
  StatsOut,
} from "./schema.ts";

const postDocuments = createRoute({
  method: "post",
  path: "/v1/corpus/documents",
  summary: "Ingest documents (JSON, or NDJSON with one document per line)",
  description: `Curated, chunked, embedded and committed at once. Bad items are reported with their \`index\` (JSON, from 0) or \`line\` (NDJSON, from 1; JSON items too, as index + 1) and the rest are ingested. NDJSON is accepted as ${NDJSON_TYPES.join(" or ")}. At most ${MAX_POST_DOCUMENTS} documents per call.`,
  tags: ["corpus"],
  request: {
    body: {
      // Documented, not validated by zod-openapi: its JSON check matches \`application/jsonl\` by prefix and would
      // parse NDJSON as one JSON value. The handler validates each content type itself.
      content: {
        "application/json": { schema: { $ref: "#/components/schemas/PostDocuments" }, example: ex.POST_DOCUMENTS },
        ...Object.fromEntries(
          NDJSON_TYPES.map((t) => [
            t,
            { schema: { type: "string", description: "one CorpusDocument JSON object per line" } },
          ]),
        ),
      },
      required: true,
    },
  },
  responses: {
    200: json(IngestOut, "what was added, unchanged and rejected (with reasons)", ex.INGEST),
    400: problemRes("unreadable body"),
    409: problemRes("another ingest is running"),
    413: problemRes("too many documents"),
    415: problemRes("unsupported content type"),
  },
});

const search = createRoute({
  method: "get",
  path: "/v1/corpus/search",
  summary: "Top-k segments by vector, full-text or hybrid (RRF) search, with provenance filters",
  tags: ["corpus"],
  request: { query: SearchQuery },
  responses: { 200: json(SearchOut, "ranked segments", ex.SEARCH), 400: problemRes("invalid query") },
});

const sample = createRoute({
  method: "get",
  path: "/v1/corpus/sample",
  summary: "A pure seeded uniform draw of n distinct segments (does not move the trainer sampler)",
  tags: ["corpus"],
  request: { query: SampleQuery },
  responses: { 200: json(SampleOut, "the drawn segments", ex.SAMPLE), 400: problemRes("invalid query") },
});

const stats = createRoute({
  method: "get",
  path: "/v1/corpus/stats",
  summary: "Documents, segments, tokens and rejections by reason",
  tags: ["corpus"],
  responses: { 200: json(StatsOut, "corpus counts", ex.STATS) },
});

const manifest = createRoute({
  method: "get",
  path: "/v1/corpus/manifest",
  summary: "The transparency manifest: per-source counts, filters, rejections, ingest runs and content hash",
  tags: ["corpus"],
  responses: { 200: json(ManifestOut, "the manifest", ex.MANIFEST) },
});

export function corpusRouter(ctx: AppContext) {
  const router = createRouter();
  router.openAPIRegistry.register("PostDocuments", PostDocumentsJson);
  return router
    .openapi(postDocuments, async (c) => {
      const type = (c.req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
      let items: SourceItem[];
      let json = false;
      if (type === "application/json") {
        const body = await postedJson(c.req.raw);
        const rows = "documents" in body ? body.documents : [body];
        json = true;
        if (rows.length > MAX_POST_DOCUMENTS)
          throw new HttpProblem(
            413,
            "Too many documents",
            `at most ${MAX_POST_DOCUMENTS} documents per call, got ${rows.length}`,
          );
        items = [...readPostedDocuments(rows, (await getCorpus(ctx)).settings.max_document_chars)];
      } else if ((NDJSON_TYPES as readonly string[]).includes(type)) {
        const bytes = new Uint8Array(await c.req.arrayBuffer());
        items = ndjsonItems(bytes, (await getCorpus(ctx)).settings.max_document_chars);
        if (items.length > MAX_POST_DOCUMENTS)
          throw new HttpProblem(
            413,
            "Too many documents",
            `at most ${MAX_POST_DOCUMENTS} lines per call, got ${items.length}`,
          );
      } else {
        throw new HttpProblem(
          415,
          "Unsupported media type",
          `content-type ${type || "(none)"} is not accepted: send application/json, or NDJSON as ${NDJSON_TYPES.join(" or ")}`,
        );
      }
      const corpus = await getCorpus(ctx);
      const rejections: RejectionEvent[] = [];
      // A busy lock (LockBusyError) answers 409 through the error table.
      const summary = await corpus.ingest(items, {
        sources: ["http"],
        lockTimeoutMs: 2000,
        onRejection: (r) => {
          if (rejections.length < 100) rejections.push(r);
        },
      });
      // JSON items are placed by their 0-based index (and `line` = index + 1); NDJSON rows by their line.
      const placed = rejections.map((r) => ({ ...r, index: json && r.line !== null ? r.line - 1 : null }));
      return c.json({ ...summary, rejections: placed }, 200);
    })
    .openapi(search, async (c) => {
      const q = c.req.valid("query");
      const corpus = await getCorpus(ctx);
      const hits = await corpus.search(q.q, {
        k: q.k,
        mode: q.mode,
        filter: {
          source: q.source,
          source_prefix: q.source_prefix,
          doc_id: q.doc_id,
          corpus_version: q.corpus_version,
        },
      });
      return c.json({ query: q.q, mode: q.mode, k: q.k, hits }, 200);
    })
    .openapi(sample, async (c) => {
      const q = c.req.valid("query");
      const seed = q.seed ?? String(Math.floor(Math.random() * 2 ** 31));
      const segments = await (await getCorpus(ctx)).sample(q.n, seed);
      return c.json({ seed, n: segments.length, segments }, 200);
    })
    .openapi(stats, async (c) => c.json(await (await getCorpus(ctx)).stats(), 200))
    .openapi(manifest, async (c) => c.json(await (await getCorpus(ctx)).manifest(), 200));
}

/** The JSON body of a document post, validated: 400 naming each failing field (a bare array is named as such). */
async function postedJson(req: Request): Promise<z.infer<typeof PostDocumentsJson>> {
  let raw: unknown;
  try {
    raw = await req.json();
  } catch {
    const message = "malformed JSON: the body must be one JSON value";
    throw invalidRequest([{ field: "(body)", message }]);
  }
  if (Array.isArray(raw)) {
    const message = 'expected an object, got an array: send {"documents": [...]}, one document object, or NDJSON';
    throw invalidRequest([{ field: "(body)", message }]);
  }
  const parsed = PostDocumentsJson.safeParse(raw);
  if (!parsed.success) throw invalidRequest(fieldErrors(parsed.error.issues));
  return parsed.data;
}

function ndjsonItems(bytes: Uint8Array, maxChars: number): SourceItem[] {
  const items: SourceItem[] = [];
  let start = 0;
  for (let line = 1; start <= bytes.length; line++) {
    let end = bytes.indexOf(10, start);
    if (end === -1) end = bytes.length;
    const row = bytes.subarray(start, end);
    const item = parseJsonLine(
      row.length && row[row.length - 1] === 13 ? row.subarray(0, -1) : row,
      "http",
      line,
      maxChars,
      true,
    );
    if (item) items.push(item);
    start = end + 1;
  }
  return items;
}
