import type { World, WorldDocument, WorldTask } from "./types.ts";

/** The toy world as JSON Lines text: the corpus ingester's rows and `spice eval` dataset rows. */

export interface CorpusRow {
  id: string;
  text: string;
  metadata: Record<string, unknown>;
}

export interface EvalRow {
  id: string;
  question: string;
  answer: string;
  answer_type: string;
  options?: WorldTask["options"];
  difficulty: string;
  kind: string;
}

export function corpusRow(doc: WorldDocument, seed: number): CorpusRow {
  return {
    id: doc.id,
    text: doc.text,
    metadata: { source: "toy-world", world_seed: seed, kind: doc.kind, facts: doc.facts },
  };
}

export function evalRow(task: WorldTask): EvalRow {
  return {
    id: task.id,
    question: task.question,
    answer: task.answer,
    answer_type: task.answer_type,
    ...(task.options ? { options: task.options } : {}),
    difficulty: task.difficulty,
    kind: task.kind,
  };
}

export function toJsonl(rows: readonly unknown[]): string {
  return rows.map((r) => JSON.stringify(r)).join("\n") + (rows.length > 0 ? "\n" : "");
}

export function corpusJsonl(world: World, seed: number): string {
  return toJsonl(world.documents.map((d) => corpusRow(d, seed)));
}

export function evalJsonl(world: World): string {
  return toJsonl(world.tasks.map(evalRow));
}
