import { BadInput, Cancelled, ContextTooLong } from "../errors.ts";
import { mixSeed } from "../policy/sampling.ts";
import type { Completion, Policy } from "../policy/types.ts";
import {
  parseSelection,
  parseTask,
  type ChallengerTask,
  type Selection,
  type SelectionResult,
} from "../spice/challenger.ts";
import { neutralizeMarkers, selectionPrompt, taskPrompt } from "../spice/prompts.ts";
import { TASK_TYPES, type TaskType } from "../spice/task-types.ts";

/**
 * The challenger with a policy (docs/method.md §1 step 2): G two-step samples per round, rounds
 * until one has a valid task or `maxAttempts` samples have been drawn.
 */

/** The paper's segment limit, in policy tokens. */
export const SEGMENT_LIMIT = 5992;

export interface ChallengeOptions {
  /** G: samples per round. */
  samples: number;
  /** Samples drawn in all before the document is skipped. */
  maxAttempts: number;
  taskTypes?: readonly TaskType[];
  temperature?: number;
  topP?: number;
  /** Generation budget of the task step. */
  maxTokens?: number;
  /** Generation budget of the type-selection step. */
  selectionMaxTokens?: number;
  seed?: number;
  segmentLimit?: number;
  /** Cancels the call between rounds and inside generation: it rejects with `Cancelled`. */
  signal?: AbortSignal;
}

export interface Step {
  prompt: string;
  promptTokenIds: number[] | null;
  completion: Completion;
}

export interface ChallengerSample {
  /** Null when only one task type is allowed: then there is nothing to choose. */
  selection: (Step & { result: SelectionResult }) | null;
  /** Null when the selection was invalid (the sample is invalid without a task step). */
  task: Step | null;
  /** The task as read, its validity and, when invalid, the reason. */
  result: ChallengerTask;
}

export interface ChallengeResult {
  /** The document as the prompts carried it (trimmed to fit), or null without a corpus. */
  document: string | null;
  truncated: boolean;
  /** Samples drawn in all. */
  attempts: number;
  rounds: number;
  /** True when no round had a valid task: the document is skipped. */
  skipped: boolean;
  /** The last round drawn: the challenger's group, valid and invalid outputs as drawn. */
  group: ChallengerSample[];
}

const DEFAULTS = { taskTypes: TASK_TYPES, temperature: 1.0, topP: 1.0, maxTokens: 512, selectionMaxTokens: 128 };

/**
 * Trims the document so that the longest prompt plus its generation budget fits the
 * model's context, and the document itself fits the segment limit.
 */
export async function fitDocument(
  policy: Policy,
  document: string,
  taskTypes: readonly TaskType[],
  maxNew: number,
  segmentLimit: number,
): Promise<{ document: string; truncated: boolean }> {
  let budget = segmentLimit;
  const ctx = policy.info.contextLength;
  if (ctx !== null) {
    const templates = [
      selectionPrompt("", taskTypes),
      taskPrompt("", "mcq", null),
      taskPrompt("", "free_form", "Expression"),
    ];
    const overhead = Math.max(...(await Promise.all(templates.map((t) => policy.countTokens(policy.render(t))))));
    // A few tokens of slack: text tokenizes slightly differently at the document's edges.
    budget = Math.min(budget, ctx - maxNew - overhead - 4);
    if (budget < 16)
      throw new ContextTooLong(
        `the model's context (${ctx} tokens) leaves no room for a document with ${maxNew} new tokens`,
      );
  }
  // Truncation tokenizes no more of a long document than the part kept (a 9 MiB one included).
  const fitted = await policy.truncateToTokens(document, budget);
  return { document: fitted, truncated: fitted !== document };
}

/**
 * The document as the prompts carry it: trimmed first (which reads only the part kept, however long the
 * document), then its markers neutralised, then trimmed again should the guillemets cost tokens.
 */
async function fitNeutralized(
  policy: Policy,
  document: string,
  taskTypes: readonly TaskType[],
  maxNew: number,
  segmentLimit: number,
): Promise<{ document: string; truncated: boolean }> {
  const fitted = await fitDocument(policy, document, taskTypes, maxNew, segmentLimit);
  const safe = neutralizeMarkers(fitted.document);
  if (safe === fitted.document) return fitted;
  const again = await fitDocument(policy, safe, taskTypes, maxNew, segmentLimit);
  return { document: again.document, truncated: fitted.truncated || again.truncated };
}

/** One document's round: its G samples, drawn with its own seed. */
interface Draw {
  document: string | null;
  count: number;
  seed: number | undefined;
}

type Resolved = Required<Omit<ChallengeOptions, "seed" | "segmentLimit" | "signal">> & { signal?: AbortSignal };

/**
 * One round for several documents at once. Each step starts every document's generate call before
 * awaiting any, so a pool of servers sees the whole step at once and the in-process batching queue
 * receives the rows in a fixed order (a fixed batch composition, so a seeded round repeats); each
 * document keeps its own seed, so its samples do not depend on the other documents.
 */
async function drawRounds(policy: Policy, draws: readonly Draw[], o: Resolved): Promise<ChallengerSample[][]> {
  const gen = { temperature: o.temperature, topP: o.topP, ...(o.signal ? { signal: o.signal } : {}) };
  const onlyMcq = o.taskTypes.length === 1 && o.taskTypes[0] === "mcq";
  const selections = await Promise.all(
    draws.map(async (d): Promise<ChallengerSample["selection"][]> => {
      if (onlyMcq) return Array.from({ length: d.count }, () => null);
      const [r] = await policy.generate([selectionPrompt(d.document, o.taskTypes)], {
        ...gen,
        n: d.count,
        maxTokens: o.selectionMaxTokens,
        seed: d.seed === undefined ? undefined : mixSeed(d.seed, 1),
      });
      return r!.completions.map((completion) => ({
        prompt: r!.prompt,
        promptTokenIds: r!.promptTokenIds,
        completion,
        result: parseSelection(completion.text, o.taskTypes),
      }));
    }),
  );
  const chosen = selections.map((sel) =>
    sel.map((s): Selection | null =>
      s === null ? { taskType: "mcq", answerType: null, reason: "" } : s.result.valid ? s.result.selection : null,
    ),
  );
  const tasks = await Promise.all(
    draws.map(async (d, k) => {
      const wanted = chosen[k]!.flatMap((c, i) => (c ? [{ i, c }] : []));
      const out = wanted.length
        ? await policy.generate(
            wanted.map(({ c }) => taskPrompt(d.document, c.taskType, c.answerType)),
            { ...gen, n: 1, maxTokens: o.maxTokens, seed: d.seed === undefined ? undefined : mixSeed(d.seed, 2) },
          )
        : [];
      return new Map(wanted.map(({ i }, j) => [i, out[j]!]));
    }),
  );
  return draws.map((_, k) =>
    selections[k]!.map((selection, i) => {
      const t = tasks[k]!.get(i);
      if (!t) {
        const error = selection && !selection.result.valid ? selection.result.error : "selection invalid";
        return {
          selection,
          task: null,
          result: { valid: false, taskType: "mcq", question: "", answer: "", answerType: null, error },
        };
      }
      const completion = t.completions[0]!;
      return {
        selection,
        task: { prompt: t.prompt, promptTokenIds: t.promptTokenIds, completion },
        result: parseTask(completion.text, chosen[k]![i]!),
      };
    }),
  );
}

/** A document for `challengeMany`, with its own seed. */
export interface DocumentDraw {
  document: string | null;
  seed?: number;
}

/**
 * The challenger on several documents at once: rounds proceed in lock-step (each round of every
 * document still drawing is one step of generate calls), and each document stops at its first round
 * with a valid task or after `maxAttempts` samples. A document's result equals what `challenge`
 * gives for it alone with its seed.
 */
export async function challengeMany(
  policy: Policy,
  documents: readonly DocumentDraw[],
  options: Omit<ChallengeOptions, "seed">,
): Promise<ChallengeResult[]> {
  const o: Resolved = {
    ...DEFAULTS,
    ...stripUndefined(options),
    samples: options.samples,
    maxAttempts: options.maxAttempts,
  };
  if (!(o.samples >= 1) || !(o.maxAttempts >= 1)) throw new BadInput("samples and maxAttempts must be >= 1");
  const fitted = await Promise.all(
    documents.map((d) =>
      d.document === null
        ? { document: null, truncated: false }
        : fitNeutralized(
            policy,
            d.document,
            o.taskTypes,
            Math.max(o.maxTokens, o.selectionMaxTokens),
            options.segmentLimit ?? SEGMENT_LIMIT,
          ),
    ),
  );
  const state = documents.map(() => ({
    attempts: 0,
    rounds: 0,
    group: [] as ChallengerSample[],
    done: false,
    skipped: false,
  }));
  for (;;) {
    const active = state.flatMap((st, i) => (st.done ? [] : [i]));
    if (active.length === 0) break;
    if (o.signal?.aborted) throw new Cancelled();
    const draws = active.map((i) => {
      const st = state[i]!;
      const seed = documents[i]!.seed;
      return {
        document: fitted[i]!.document,
        count: Math.min(o.samples, o.maxAttempts - st.attempts),
        seed: seed === undefined ? undefined : mixSeed(seed, st.rounds),
      };
    });
    const groups = await drawRounds(policy, draws, o);
    active.forEach((i, k) => {
      const st = state[i]!;
      st.group = groups[k]!;
      st.attempts += draws[k]!.count;
      st.rounds++;
      if (st.group.some((s) => s.result.valid)) st.done = true;
      else if (st.attempts >= o.maxAttempts) st.done = st.skipped = true;
    });
  }
  return state.map((st, i) => ({
    ...fitted[i]!,
    attempts: st.attempts,
    rounds: st.rounds,
    skipped: st.skipped,
    group: st.group,
  }));
}

export async function challenge(
  policy: Policy,
  document: string | null,
  options: ChallengeOptions,
): Promise<ChallengeResult> {
  const { seed, ...rest } = options;
  const [r] = await challengeMany(policy, [{ document, ...(seed !== undefined ? { seed } : {}) }], rest);
  return r!;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
