import type { AppContext } from "../context.ts";
import { getCorpus, type Corpus } from "../corpus/index.ts";
import { CorpusEmpty, CorpusUnavailable, DocumentNotFound } from "../errors.ts";
import type { DocumentSource, RoleDocument } from "./calls.ts";

export type { DocumentSource };

/**
 * The challenger's document. A draw is pure: it does not move the trainer's sampler.
 * The id returned is the segment's, or null for an inline document.
 */
export async function readDocument(ctx: AppContext, source: DocumentSource): Promise<RoleDocument> {
  if (source.kind === "inline") return { id: null, text: source.text };
  let corpus: Corpus;
  try {
    corpus = await getCorpus(ctx);
  } catch (err) {
    throw new CorpusUnavailable(err);
  }
  if (source.kind === "segment") {
    const [segment] = await corpus.segments([source.id]);
    if (!segment) throw new DocumentNotFound(source.id);
    return { id: segment.id, text: segment.text };
  }
  const [segment] = await corpus.sample(1, source.seed ?? Math.floor(Math.random() * 2 ** 31));
  if (!segment) throw new CorpusEmpty();
  return { id: segment.id, text: segment.text };
}
