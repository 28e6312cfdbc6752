import type { z } from "@hono/zod-openapi";
import type { IngestOut, ManifestOut, PostDocumentsJson, SampleOut, SearchOut, StatsOut } from "./schema.ts";

/** The examples the API reference shows for /v1/corpus/* (a test checks each against its schema). */

const SEGMENT = {
  id: "a41c0f2e9b7d#0",
  doc_id: "a41c0f2e9b7d",
  source: "https://example.org/elements",
  position: 0,
  text: "Carbon has atomic number 6; its most common isotope has six neutrons.",
  tokens: 58,
  corpus_version: 3,
  metadata: { title: "Elements" },
};

export const POST_DOCUMENTS: z.input<typeof PostDocumentsJson> = {
  documents: [
    {
      id: "elements-1",
      text: "Carbon has atomic number 6; its most common isotope has six neutrons. Nitrogen, with atomic number 7, makes up most of the air we breathe.",
      source: "https://example.org/elements",
      metadata: { title: "Elements" },
    },
  ],
};

export const INGEST: z.input<typeof IngestOut> = {
  ingest_id: "3f6c1a",
  corpus_version: 3,
  committed: true,
  documents_read: 1,
  documents_added: 1,
  unchanged: 0,
  segments_added: 1,
  rejected: {},
  rejected_total: 0,
  duration_ms: 84,
  rejections: [],
};

export const SEARCH: z.input<typeof SearchOut> = {
  query: "atomic number",
  mode: "hybrid",
  k: 10,
  hits: [{ ...SEGMENT, score: 0.0328, vector_rank: 1, fts_rank: 1 }],
};

export const SAMPLE: z.input<typeof SampleOut> = {
  seed: "7",
  n: 1,
  segments: [
    {
      ...SEGMENT,
      line: 1,
      char_start: 0,
      char_end: 69,
      hash: "sha256:5d1e…",
      ingested_at: "2026-12-01T09:00:00.000Z",
    },
  ],
};

export const STATS: z.input<typeof StatsOut> = {
  corpus_version: 3,
  documents: 120,
  segments: 131,
  tokens: 48210,
  sources: 1,
  rejected: { near_duplicate: 2, too_short: 1 },
  rejected_total: 3,
  ingests: 3,
  vector_index: "exact",
};

export const MANIFEST: z.input<typeof ManifestOut> = {
  content_hash: "sha256:3b1f0c…",
  corpus_version: 3,
  documents: 120,
  segments: 131,
};
