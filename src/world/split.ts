import { createRng } from "../prng.ts";
import { distinct } from "./pick.ts";
import type { World } from "./types.ts";

/** Train documents vs held-out evaluation documents. */

export interface WorldSplit {
  train: World;
  eval: World;
  /** Held-out tasks dropped because a training task asks the very same question. */
  droppedDuplicates: number;
}

/**
 * A seeded split by document: a held-out task never comes from a document the training sees.
 * Small numbers make the same question text arise from two documents now and then; such
 * held-out tasks are dropped too, so that a memorised training question cannot score on the eval set.
 */
export function splitWorld(world: World, options: { evalFraction: number; seed: number }): WorldSplit {
  if (!(options.evalFraction > 0 && options.evalFraction < 1))
    throw new Error("evalFraction must lie strictly between 0 and 1");
  const n = world.documents.length;
  const nEval = Math.min(n - 1, Math.max(1, Math.round(n * options.evalFraction)));
  if (n < 2) throw new Error("a split needs at least two documents");
  const evalIds = new Set(
    distinct(
      createRng(options.seed),
      world.documents.map((d) => d.id),
      nEval,
    ),
  );
  const trainTasks = world.tasks.filter((t) => !evalIds.has(t.doc_id));
  const trainQuestions = new Set(trainTasks.map((t) => t.question));
  const heldOut = world.tasks.filter((t) => evalIds.has(t.doc_id));
  const evalTasks = heldOut.filter((t) => !trainQuestions.has(t.question));
  return {
    train: { documents: world.documents.filter((d) => !evalIds.has(d.id)), tasks: trainTasks },
    eval: { documents: world.documents.filter((d) => evalIds.has(d.id)), tasks: evalTasks },
    droppedDuplicates: heldOut.length - evalTasks.length,
  };
}
