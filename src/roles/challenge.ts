import { BadInput, ContextTooLong } from "../errors.ts";
import { mixSeed } from "../policy/sampling.ts";
import type { Completion, Policy } from "../policy/types.ts";
import {
  parseSelection,
  parseTask,
  type ChallengerTask,
  type Selection,
  type SelectionResult,
} from "../spice/challenger.ts";
import { selectionPrompt, taskPrompt } from "../spice/prompts.ts";
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

/** Generation budget kept before a document is trimmed to fit a short context: a task JSON fits in it. */
export const MIN_TASK_TOKENS = 128;

/**
 * Fits the document and the generation budget `maxNew` into the model's context: the document is
 * the environment, so when both do not fit the budget yields first, down to MIN_TASK_TOKENS (or
 * `maxNew` if smaller); only then is the document trimmed. The document also fits the segment limit.
 * Returns the document as the prompts carry it and the budget the generation steps may use.
 */
export async function fitDocument(
  policy: Policy,
  document: string,
  taskTypes: readonly TaskType[],
  maxNew: number,
  segmentLimit: number,
): Promise<{ document: string; truncated: boolean; maxNew: number }> {
  let budget = segmentLimit;
  let generation = maxNew;
  const ctx = policy.info.contextLength;
  const tokens = await policy.countTokens(document);
  if (ctx !== null) {
    const templates = [
      selectionPrompt("", taskTypes),
      taskPrompt("", "mcq", null),
      taskPrompt("", "free_form", "Expression"),
    ];
    const overhead = Math.max(...(await Promise.all(templates.map((t) => policy.countTokens(policy.render(t))))));
    // A few tokens of slack: text tokenizes slightly differently at the document's edges.
    const room = ctx - overhead - 4;
    const floor = Math.min(maxNew, MIN_TASK_TOKENS);
    if (room - floor < 16)
      throw new ContextTooLong(
        `the model's context (${ctx} tokens) leaves no room for a document with ${floor} new tokens`,
      );
    generation = Math.max(floor, Math.min(maxNew, room - Math.min(tokens, segmentLimit)));
    budget = Math.min(budget, room - generation);
  }
  if (tokens <= budget) return { document, truncated: false, maxNew: generation };
  return { document: await policy.truncateToTokens(document, budget), truncated: true, maxNew: generation };
}

async function drawRound(
  policy: Policy,
  document: string | null,
  count: number,
  o: Required<Omit<ChallengeOptions, "seed" | "segmentLimit">>,
  seed: number | undefined,
): Promise<ChallengerSample[]> {
  const gen = { temperature: o.temperature, topP: o.topP };
  const selections: ChallengerSample["selection"][] = [];
  if (o.taskTypes.length === 1 && o.taskTypes[0] === "mcq") {
    selections.push(...Array.from({ length: count }, () => null));
  } else {
    const [r] = await policy.generate([selectionPrompt(document, o.taskTypes)], {
      ...gen,
      n: count,
      maxTokens: o.selectionMaxTokens,
      seed: seed === undefined ? undefined : mixSeed(seed, 1),
    });
    for (const completion of r!.completions) {
      selections.push({
        prompt: r!.prompt,
        promptTokenIds: r!.promptTokenIds,
        completion,
        result: parseSelection(completion.text, o.taskTypes),
      });
    }
  }
  const chosen: (Selection | null)[] = selections.map((s) =>
    s === null ? { taskType: "mcq", answerType: null, reason: "" } : s.result.valid ? s.result.selection : null,
  );
  const wanted = chosen.flatMap((c, i) => (c ? [{ i, c }] : []));
  const tasks = wanted.length
    ? await policy.generate(
        wanted.map(({ c }) => taskPrompt(document, c.taskType, c.answerType)),
        { ...gen, n: 1, maxTokens: o.maxTokens, seed: seed === undefined ? undefined : mixSeed(seed, 2) },
      )
    : [];
  const taskOf = new Map(wanted.map(({ i }, k) => [i, tasks[k]!]));
  return selections.map((selection, i) => {
    const t = taskOf.get(i);
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
      result: parseTask(completion.text, chosen[i]!),
    };
  });
}

export async function challenge(
  policy: Policy,
  document: string | null,
  options: ChallengeOptions,
): Promise<ChallengeResult> {
  const o = { ...DEFAULTS, ...stripUndefined(options), samples: options.samples, maxAttempts: options.maxAttempts };
  if (!(o.samples >= 1) || !(o.maxAttempts >= 1)) throw new BadInput("samples and maxAttempts must be >= 1");
  const fit =
    document === null
      ? null
      : await fitDocument(
          policy,
          document,
          o.taskTypes,
          Math.max(o.maxTokens, o.selectionMaxTokens),
          options.segmentLimit ?? SEGMENT_LIMIT,
        );
  const fitted = { document: fit?.document ?? null, truncated: fit?.truncated ?? false };
  // A short context caps both steps' budgets (fitDocument: the document comes first).
  if (fit) {
    o.maxTokens = Math.min(o.maxTokens, fit.maxNew);
    o.selectionMaxTokens = Math.min(o.selectionMaxTokens, fit.maxNew);
  }
  let attempts = 0;
  let rounds = 0;
  let group: ChallengerSample[] = [];
  while (attempts < o.maxAttempts) {
    const count = Math.min(o.samples, o.maxAttempts - attempts);
    group = await drawRound(
      policy,
      fitted.document,
      count,
      o,
      options.seed === undefined ? undefined : mixSeed(options.seed, rounds),
    );
    attempts += count;
    rounds++;
    if (group.some((s) => s.result.valid)) return { ...fitted, attempts, rounds, skipped: false, group };
  }
  return { ...fitted, attempts, rounds, skipped: true, group };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
