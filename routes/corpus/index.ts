import { createRoute, z } from "@hono/zod-openapi";
import { createRouter, json, problemRes } from "../../src/http/openapi.ts";
import * as ex from "./examples.ts";
import type { AppContext } from "../../src/context.ts";
import { getCorpus } from "../../src/corpus/index.ts";
import type { RejectionEvent } from "../../src/corpus/ingest.ts";
import { parseJsonLine, readPostedDocuments, type SourceItem } from "../../src/corpus/sources.ts";
import { HttpProblem } from "../../src/problem.ts";
import {
  IngestOut,
  MAX_POST_DOCUMENTS,
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
  description: `Curated, chunked, embedded and committed at once. Bad items are reported with their index or line and the rest are ingested. At most ${MAX_POST_DOCUMENTS} documents per call.`,
  tags: ["corpus"],
  request: {
    body: {
      content: {
        "application/json": { schema: PostDocumentsJson, example: ex.POST_DOCUMENTS },
        "application/x-ndjson": {
          schema: z.string().openapi({ description: "one CorpusDocument JSON object per line" }),
        },
      },
      // Not `required`: zod-openapi would then run its JSON validator on NDJSON bodies too.
      required: false,
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
  return createRouter()
    .openapi(postDocuments, async (c) => {
      const corpus = await getCorpus(ctx);
      const type = (c.req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
      let items: SourceItem[];
      if (type === "application/json") {
        const body = c.req.valid("json") as z.infer<typeof PostDocumentsJson>;
        const rows = "documents" in body ? body.documents : [body];
        if (rows.length > MAX_POST_DOCUMENTS)
          throw new HttpProblem(
            413,
            "Too many documents",
            `at most ${MAX_POST_DOCUMENTS} documents per call, got ${rows.length}`,
          );
        items = [...readPostedDocuments(rows, corpus.settings.max_document_chars)];
      } else if (type === "application/x-ndjson" || type === "application/jsonl") {
        const bytes = new Uint8Array(await c.req.arrayBuffer());
        items = ndjsonItems(bytes, corpus.settings.max_document_chars);
        if (items.length > MAX_POST_DOCUMENTS)
          throw new HttpProblem(
            413,
            "Too many documents",
            `at most ${MAX_POST_DOCUMENTS} lines per call, got ${items.length}`,
          );
      } else {
        throw new HttpProblem(415, "Unsupported media type", "send application/json or application/x-ndjson");
      }
      const rejections: RejectionEvent[] = [];
      // A busy lock (LockBusyError) answers 409 through the error table.
      const summary = await corpus.ingest(items, {
        sources: ["http"],
        lockTimeoutMs: 2000,
        onRejection: (r) => {
          if (rejections.length < 100) rejections.push(r);
        },
      });
      return c.json({ ...summary, rejections }, 200);
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
    );
    if (item) items.push(item);
    start = end + 1;
  }
  return items;
}
