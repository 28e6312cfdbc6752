import type { AppContext } from "../context.ts";
import { HttpProblem } from "../problem.ts";

export interface DocumentRequest {
  document?: string;
  doc_id?: string;
  sample?: boolean;
  seed?: number;
}

/** The challenger's document: given inline, or read from the corpus by id or by a seeded draw. */
export async function readDocument(_ctx: AppContext, req: DocumentRequest): Promise<{ id: string | null; text: string }> {
  if (req.document !== undefined) return { id: null, text: req.document };
  // The corpus service (getCorpus) has not landed yet; until it does these modes cannot be served.
  throw new HttpProblem(503, "Corpus unavailable", "reading documents by `doc_id` or `sample` needs the corpus service, which this build does not have yet; pass `document`");
}
