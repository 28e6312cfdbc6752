import type { AppContext } from "../context.ts";
import { getCorpus, type Corpus } from "../corpus/index.ts";
import { HttpProblem } from "../problem.ts";

export interface DocumentRequest {
  document?: string;
  doc_id?: string;
  sample?: boolean;
  seed?: number;
}

/**
 * The challenger's document: given inline, or a corpus segment read by id or drawn with a
 * seed (a pure draw: it does not move the trainer's sampler). The id returned is the segment's.
 */
export async function readDocument(ctx: AppContext, req: DocumentRequest): Promise<{ id: string | null; text: string }> {
  if (req.document !== undefined) return { id: null, text: req.document };
  let corpus: Corpus;
  try {
    corpus = await getCorpus(ctx);
  } catch (err) {
    throw new HttpProblem(503, "Corpus unavailable", `the corpus could not be opened: ${(err as Error).message}`);
  }
  if (req.doc_id !== undefined) {
    const [segment] = await corpus.segments([req.doc_id]);
    if (!segment) throw new HttpProblem(404, "Not found", `no corpus segment ${req.doc_id}`);
    return { id: segment.id, text: segment.text };
  }
  const [segment] = await corpus.sample(1, req.seed ?? Math.floor(Math.random() * 2 ** 31));
  if (!segment) throw new HttpProblem(409, "Corpus empty", "the corpus has no segments to sample; ingest documents first");
  return { id: segment.id, text: segment.text };
}
