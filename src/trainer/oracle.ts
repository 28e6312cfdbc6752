import { z } from "zod";
import { parseDataset } from "../eval/dataset.ts";
import { BadInput } from "../errors.ts";
import { parseJsonLines } from "../jsonl.ts";
import { createRng } from "../prng.ts";
import type { TaskOracle } from "../selfplay/settings.ts";
import type { ChallengerTask } from "../spice/challenger.ts";

/**
 * The `oracle_tasks` baseline (docs/experiments.md): the world's gold tasks of the drawn document in
 * place of the challenger, the toy analogue of a strong fixed challenger. The file is JSON Lines of
 * `spice eval` rows plus the `doc_id` of the corpus document each task was written from; a corpus
 * segment `DOC:N` is a piece of document DOC.
 */

const DocOf = z.object({ doc_id: z.string().min(1) });

export async function loadOracle(path: string): Promise<TaskOracle> {
  const file = Bun.file(path);
  if (!(await file.exists())) throw new BadInput(`oracle_tasks: ${path} does not exist`);
  const text = await file.text();
  const { items, bad } = parseDataset(text);
  const docOf = parseJsonLines(text, (v) => {
    const r = DocOf.safeParse(v);
    return r.success ? { ok: true, value: r.data.doc_id } : { ok: false, error: "doc_id missing" };
  });
  if (bad.length || docOf.bad.length || items.length !== docOf.rows.length)
    throw new BadInput(`oracle_tasks: ${path} has bad rows (first at line ${(bad[0] ?? docOf.bad[0])?.line ?? "?"})`);
  const byDoc = new Map<string, ChallengerTask[]>();
  items.forEach((it, i) => {
    const list = byDoc.get(docOf.rows[i]!) ?? [];
    list.push({
      valid: true,
      taskType: it.answerType === "MCQ" ? "mcq" : "free_form",
      question: it.question,
      answer: it.answer,
      answerType: it.answerType,
      ...(it.options ? { options: it.options } : {}),
    });
    byDoc.set(docOf.rows[i]!, list);
  });
  return (doc, count, seed) => oracleDraw(byDoc.get(docIdOf(doc.id)) ?? [], count, seed);
}

/** The document a corpus segment id (`DOC:N`) belongs to. */
export function docIdOf(segmentId: string): string {
  const at = segmentId.lastIndexOf(":");
  return at > 0 ? segmentId.slice(0, at) : segmentId;
}

/** `count` of a document's tasks: a seeded shuffle, cycled when the document has fewer. */
export function oracleDraw(tasks: readonly ChallengerTask[], count: number, seed: number): ChallengerTask[] {
  if (tasks.length === 0) return [];
  const rng = createRng(seed);
  const order = tasks.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return Array.from({ length: count }, (_, k) => tasks[order[k % order.length]!]!);
}
