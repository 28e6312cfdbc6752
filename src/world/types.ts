import type { AnswerType, McqOptions } from "../verify/types.ts";

/** Shapes shared by the toy-world generator's modules. */

export const DIFFICULTIES = ["one_step", "two_step", "comparison"] as const;
export type Difficulty = (typeof DIFFICULTIES)[number];

export const KINDS = ["story", "table", "units", "dates"] as const;
export type Kind = (typeof KINDS)[number];

/** The toy world writes no Expression tasks. */
export type WorldAnswerType = Exclude<AnswerType, "Expression">;

/** The number knobs every document kind reads. */
export interface NumberKnobs {
  /** Base quantities, prices and offsets are drawn from 1…maxNumber. */
  maxNumber: number;
  /** Multipliers (counts of things bought, units per container) are drawn from 2…maxFactor. */
  maxFactor: number;
}

/** A task before it gets its ids: the question restates every fact it needs (the reasoner never sees the document). */
export interface TaskDraft {
  question: string;
  answer: string;
  answerType: WorldAnswerType;
  options?: McqOptions;
  difficulty: Difficulty;
  /** A worked solution, one short sentence per step; the warm-start data teaches it. */
  steps: string[];
}

export interface DocumentDraft {
  text: string;
  facts: Record<string, number | string>;
  tasks: TaskDraft[];
}

export interface WorldDocument {
  id: string;
  kind: Kind;
  text: string;
  facts: Record<string, number | string>;
}

export interface WorldTask {
  id: string;
  doc_id: string;
  kind: Kind;
  question: string;
  answer: string;
  answer_type: WorldAnswerType;
  options?: McqOptions;
  difficulty: Difficulty;
  steps: string[];
}

export interface World {
  documents: WorldDocument[];
  tasks: WorldTask[];
}
