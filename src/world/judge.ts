import type { ChallengerTask } from "../spice/challenger.ts";
import { verify } from "../verify/index.ts";
import type { WorldDocument, WorldTask } from "./types.ts";

/**
 * The challenger as a task writer, judged against the toy world (docs/world.md, "Judging the challenger"):
 * does a task's gold answer follow from its document? The world knows each document's facts and
 * the tasks its generators derive from them, so "follows" is checked, not guessed: the gold must
 * equal a fact's value, a reference task's answer, or a result its worked solution derives on the way.
 * Pure: no model, no I/O.
 */

/** Where a value the document supports comes from, strongest first. */
export const BASES = ["fact", "answer", "step"] as const;
export type Basis = (typeof BASES)[number];

export interface ReferenceValue {
  value: string;
  basis: Basis;
}

/** The value an answer stands for: an MCQ's letter stands for its option's text. */
export function answerValue(answer: string, options?: Readonly<Record<string, string>>): string {
  const letter = answer.trim().toUpperCase();
  return options && letter in options ? options[letter]!.trim() : answer.trim();
}

/** Results a worked step derives: the number after its last `=` (`Ben has 4 + 3 = 7.` → 7). */
export function stepResults(step: string): string[] {
  const m = /=\s*(-?\d+)\D*$/.exec(step);
  return m ? [m[1]!] : [];
}

/**
 * Every value a document supports: its facts, the answers of the world's own tasks on it, and the
 * intermediate results of their worked solutions. Values repeat under the strongest basis only.
 */
export function referenceValues(doc: Pick<WorldDocument, "facts">, tasks: readonly WorldTask[]): ReferenceValue[] {
  const out: ReferenceValue[] = [];
  const seen = new Set<string>();
  const add = (value: string, basis: Basis) => {
    const key = value.trim().toLowerCase();
    if (key === "" || seen.has(key)) return;
    seen.add(key);
    out.push({ value: value.trim(), basis });
  };
  for (const v of Object.values(doc.facts)) add(String(v), "fact");
  for (const t of tasks) add(answerValue(t.answer, t.options), "answer");
  for (const t of tasks) for (const s of t.steps) for (const r of stepResults(s)) add(r, "step");
  return out;
}

const INTEGER_LIKE = /^[+-]?\d+$/;

/** Whether `value` (a gold answer's value) equals `ref`, by the verifier's rules for its type. */
function sameValue(value: string, ref: string): boolean {
  const type = INTEGER_LIKE.test(value.trim()) && INTEGER_LIKE.test(ref) ? "Integer" : "String";
  return verify(`\\boxed{${ref}}`, value, type).correct;
}

export interface GoldJudgement {
  /** The value the gold answer stands for (an MCQ's option text). */
  value: string;
  /** The strongest basis a reference value matches on, or null: the gold does not follow from the document. */
  basis: Basis | null;
}

/** Judges a valid task's gold answer against the values its document supports. */
export function judgeGold(task: Pick<ChallengerTask, "answer" | "options">, refs: readonly ReferenceValue[]) {
  const value = answerValue(task.answer, task.options);
  const match = BASES.map((b) => refs.find((r) => r.basis === b && sameValue(value, r.value))).find(Boolean);
  return { value, basis: match?.basis ?? null } satisfies GoldJudgement;
}

/**
 * The control document of each judged document: the next one of the same kind (cyclically). A gold
 * judged against it measures how often small numbers match by chance; a kind with one document has none.
 */
export function controlDocuments<T extends Pick<WorldDocument, "id" | "kind">>(docs: readonly T[]): (T | null)[] {
  return docs.map((d, i) => {
    for (let k = 1; k < docs.length; k++) {
      const other = docs[(i + k) % docs.length]!;
      if (other.kind === d.kind) return other;
    }
    return null;
  });
}

/** One judged challenger sample. */
export interface JudgedSample {
  docId: string;
  kind: string;
  valid: boolean;
  /** Why the sample is invalid (the challenger's parse reason). */
  error?: string;
  taskType?: string;
  answerType?: string | null;
  /** K rollouts run and how many the verifier judged correct against the task's own gold (valid only). */
  rollouts?: number;
  correct?: number;
  /** The gold's basis in its own document, and in the control document (valid only). */
  basis?: Basis | null;
  controlBasis?: Basis | null;
}

export interface Share {
  count: number;
  of: number;
  share: number;
  /** 95% Wilson score interval of the share. */
  ci95: [number, number];
}

/** The 95% Wilson score interval of k successes in n trials (n = 0 gives [0, 1]). */
export function wilson(k: number, n: number, z = 1.959964): [number, number] {
  if (n === 0) return [0, 1];
  const p = k / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  // Exact at the edges (the formula gives 0 and 1 there, up to rounding).
  return [k === 0 ? 0 : Math.max(0, centre - half), k === n ? 1 : Math.min(1, centre + half)];
}

export function share(count: number, of: number): Share {
  return { count, of, share: of ? count / of : 0, ci95: wilson(count, of) };
}

export interface JudgeSummary {
  documents: number;
  samples: number;
  /** Valid samples among all samples drawn. */
  valid: Share;
  /** Valid tasks with at least one correct rollout of K. */
  solved: Share;
  /** Valid tasks whose gold follows from their document (any basis). */
  grounded: Share;
  /** The same judged against the control document: the chance level of `grounded`. */
  groundedControl: Share;
  /** Valid tasks both grounded and solved at least once. */
  groundedAndSolved: Share;
  byBasis: Record<Basis, number>;
  /** Valid tasks by `taskType/answerType`. */
  mix: Record<string, number>;
  /** Invalid samples by reason (the first 80 characters), most frequent first. */
  invalidReasons: Record<string, number>;
}

function tally(keys: readonly string[]): Record<string, number> {
  const counts = new Map<string, number>();
  for (const k of keys) counts.set(k, (counts.get(k) ?? 0) + 1);
  return Object.fromEntries([...counts].sort((a, b) => b[1] - a[1]));
}

export function summarizeJudged(samples: readonly JudgedSample[]): JudgeSummary {
  const valid = samples.filter((s) => s.valid);
  const solved = (s: JudgedSample) => (s.correct ?? 0) > 0;
  const grounded = (s: JudgedSample) => s.basis != null;
  return {
    documents: new Set(samples.map((s) => s.docId)).size,
    samples: samples.length,
    valid: share(valid.length, samples.length),
    solved: share(valid.filter(solved).length, valid.length),
    grounded: share(valid.filter(grounded).length, valid.length),
    groundedControl: share(valid.filter((s) => s.controlBasis != null).length, valid.length),
    groundedAndSolved: share(valid.filter((s) => grounded(s) && solved(s)).length, valid.length),
    byBasis: Object.fromEntries(BASES.map((b) => [b, valid.filter((s) => s.basis === b).length])) as Record<
      Basis,
      number
    >,
    mix: tally(valid.map((s) => `${s.taskType}/${s.answerType ?? "MCQ"}`)),
    invalidReasons: tally(samples.filter((s) => !s.valid).map((s) => (s.error ?? "invalid").slice(0, 80))),
  };
}
