import type { Document, DocumentSource } from "./settings.ts";

/**
 * Step 1: B documents from the corpus, or B empty slots for the paper's no-corpus ablation
 * (`null`: the challenger writes from its own knowledge).
 */
export async function drawDocuments(
  source: DocumentSource | null,
  o: { batchDocs: number; useCorpus: boolean },
): Promise<Array<Document | null>> {
  const docs = o.useCorpus && source ? await source.next(o.batchDocs) : Array.from({ length: o.batchDocs }, () => null);
  if (o.useCorpus && docs.length === 0)
    throw new Error("the corpus is empty: ingest documents first (spice corpus ingest)");
  return docs;
}
