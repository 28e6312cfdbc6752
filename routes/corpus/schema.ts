import { z } from "@hono/zod-openapi";
import { closedObject } from "../../src/http/openapi.ts";
import { SEARCH_MODES } from "../../src/corpus/search.ts";

/** Content types taken as NDJSON (one JSON document per line) by `POST /v1/corpus/documents`. */
export const NDJSON_TYPES = ["application/x-ndjson", "application/jsonl"] as const;

/** Most documents one POST may carry (the body limit applies too); past it: 413. */
export const MAX_POST_DOCUMENTS = 10_000;

export const DocumentIn = closedObject({
  id: z.union([z.string(), z.number().int()]).optional(),
  text: z.string(),
  metadata: z.record(z.string(), z.unknown()).optional(),
  source: z
    .string()
    .optional()
    .openapi({ description: 'provenance, e.g. the URL the text came from (default "http")' }),
}).openapi("CorpusDocument");

export const PostDocumentsJson = z
  .union([
    // Items are checked one by one, so one bad item is reported (with its index) while the rest are ingested.
    closedObject({ documents: z.array(z.unknown()).min(1) }).openapi({
      description: "documents shaped like CorpusDocument; a bad item (unknown keys included) is rejected alone",
    }),
    DocumentIn,
  ])
  .openapi("PostDocuments");

export const RejectionOut = z.object({
  reason: z.string(),
  level: z.enum(["document", "segment"]),
  source: z.string(),
  index: z
    .number()
    .nullable()
    .openapi({ description: "0-based position in `documents` (JSON bodies); null for NDJSON" }),
  line: z
    .number()
    .nullable()
    .openapi({ description: "1-based: the line (NDJSON), or the item number, index + 1 (JSON)" }),
  doc_id: z.string().nullable(),
  position: z.number().nullable(),
  detail: z.string(),
});

export const IngestOut = z
  .object({
    ingest_id: z.string().nullable(),
    corpus_version: z.number(),
    committed: z.boolean(),
    documents_read: z.number(),
    documents_added: z.number(),
    unchanged: z.number(),
    segments_added: z.number(),
    rejected: z.record(z.string(), z.number()),
    rejected_total: z.number(),
    duration_ms: z.number(),
    rejections: z.array(RejectionOut).openapi({ description: "the first 100 rejections, in input order" }),
  })
  .openapi("IngestSummary");

const SegmentFields = {
  id: z.string(),
  doc_id: z.string(),
  source: z.string(),
  position: z.number(),
  text: z.string(),
  tokens: z.number(),
  corpus_version: z.number(),
  metadata: z.record(z.string(), z.unknown()),
};

export const SearchQuery = closedObject({
  q: z.string().min(1).max(2000).openapi({ example: "atomic number", description: "the query text" }),
  k: z.coerce.number().int().min(1).max(100).default(10),
  mode: z.enum(SEARCH_MODES).default("hybrid"),
  source: z.string().optional(),
  source_prefix: z.string().optional(),
  doc_id: z.string().optional(),
  corpus_version: z.coerce.number().int().min(1).optional(),
});

export const SearchOut = z
  .object({
    query: z.string(),
    mode: z.enum(SEARCH_MODES),
    k: z.number(),
    hits: z.array(
      z.object({
        ...SegmentFields,
        score: z.number(),
        vector_rank: z.number().optional(),
        fts_rank: z.number().optional(),
      }),
    ),
  })
  .openapi("CorpusSearch");

export const SampleQuery = closedObject({
  n: z.coerce.number().int().min(1).max(1000).default(1),
  seed: z
    .string()
    .min(1)
    .max(100)
    .optional()
    .openapi({ description: "same seed, same corpus → same draw; random (and echoed) when absent", example: "7" }),
});

export const SegmentOut = z.object({
  ...SegmentFields,
  line: z.number().nullable(),
  char_start: z.number(),
  char_end: z.number(),
  hash: z.string(),
  ingested_at: z.string(),
});

export const SampleOut = z
  .object({ seed: z.string(), n: z.number(), segments: z.array(SegmentOut) })
  .openapi("CorpusSample");

export const StatsOut = z
  .object({
    corpus_version: z.number(),
    documents: z.number(),
    segments: z.number(),
    tokens: z.number(),
    sources: z.number(),
    rejected: z.record(z.string(), z.number()),
    rejected_total: z.number(),
    ingests: z.number(),
    vector_index: z.enum(["ivf_pq", "exact"]),
  })
  .openapi("CorpusStats");

export const ManifestOut = z
  .object({ content_hash: z.string(), corpus_version: z.number(), documents: z.number(), segments: z.number() })
  .passthrough()
  .openapi("CorpusManifest");
