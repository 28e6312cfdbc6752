import { z } from "zod";
import { createRng, type Rng } from "../prng.ts";
import { KIND_GENERATORS } from "./kinds.ts";
import { distinct, shuffleOptions } from "./pick.ts";
import { DIFFICULTIES, KINDS, type TaskDraft, type World, type WorldDocument, type WorldTask } from "./types.ts";

/** The toy world's generator: seeded, pure, the same output for the same options on every runtime. */

export const WorldOptionsSchema = z.object({
  seed: z
    .number()
    .int()
    .min(0)
    .max(2 ** 32 - 1),
  documents: z.number().int().min(1).max(1_000_000),
  /** Document kinds, used in turn (document i has kind kinds[i mod length]). */
  kinds: z
    .array(z.enum(KINDS))
    .min(1)
    .default([...KINDS]),
  /** Which of each document's tasks to keep. */
  difficulties: z
    .array(z.enum(DIFFICULTIES))
    .min(1)
    .default([...DIFFICULTIES]),
  /** Largest base quantity, price or day offset (offsets stop at 6 days). */
  maxNumber: z.number().int().min(4).max(999).default(9),
  /** Largest multiplier (things bought, units per container). */
  maxFactor: z.number().int().min(2).max(99).default(4),
  /** Share of Integer tasks asked as multiple choice instead, with nearby numbers as distractors. */
  mcqShare: z.number().min(0).max(1).default(0.25),
});

export type WorldOptions = z.input<typeof WorldOptionsSchema>;
export type ResolvedWorldOptions = z.output<typeof WorldOptionsSchema>;

/** Redraws allowed per document before the knobs are declared too small for unique documents. */
const MAX_REDRAWS = 100;

/** Three distinct positive integers near `gold`, the usual slips of an arithmetic error. */
function numericDistractors(rng: Rng, gold: number): string[] {
  const near = [-3, -2, -1, 1, 2, 3, 10, -10].map((d) => gold + d).filter((v) => v > 0);
  return distinct(rng, near, 3).map(String);
}

function asMultipleChoice(rng: Rng, task: TaskDraft): TaskDraft {
  const { options, letter } = shuffleOptions(rng, task.answer, numericDistractors(rng, Number(task.answer)));
  return {
    ...task,
    answer: letter,
    answerType: "MCQ",
    options,
    steps: [...task.steps, `${task.answer} is option ${letter}.`],
  };
}

export function generateWorld(input: WorldOptions): World {
  const o = WorldOptionsSchema.parse(input);
  const rng = createRng(o.seed);
  const knobs = { maxNumber: o.maxNumber, maxFactor: o.maxFactor };
  const keep = new Set(o.difficulties);
  const seenTexts = new Set<string>();
  const documents: WorldDocument[] = [];
  const tasks: WorldTask[] = [];
  const width = String(o.documents - 1).length;
  for (let i = 0; i < o.documents; i++) {
    const kind = o.kinds[i % o.kinds.length]!;
    let draft = KIND_GENERATORS[kind](rng, knobs);
    // Unique texts keep the train/eval split disjoint in content, not just in ids.
    for (let r = 0; seenTexts.has(draft.text); r++) {
      if (r === MAX_REDRAWS)
        throw new Error(
          `cannot draw ${o.documents} distinct ${kind} documents with these knobs; raise maxNumber/maxFactor`,
        );
      draft = KIND_GENERATORS[kind](rng, knobs);
    }
    seenTexts.add(draft.text);
    const id = `w${o.seed}-${String(i).padStart(width, "0")}`;
    documents.push({ id, kind, text: draft.text, facts: draft.facts });
    for (const t of draft.tasks) {
      if (!keep.has(t.difficulty)) continue;
      const task = t.answerType === "Integer" && rng.next() < o.mcqShare ? asMultipleChoice(rng, t) : t;
      tasks.push({
        id: `${id}-${t.difficulty}`,
        doc_id: id,
        kind,
        question: task.question,
        answer: task.answer,
        answer_type: task.answerType,
        ...(task.options ? { options: task.options } : {}),
        difficulty: task.difficulty,
        steps: task.steps,
      });
    }
  }
  return { documents, tasks };
}
