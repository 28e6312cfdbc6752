import { verify } from "../../src/verify/index.ts";
import {
  ANSWER_TYPES,
  McqOptionsSchema,
  parseAnswerType,
  type AnswerType,
  type McqOptions,
} from "../../src/verify/types.ts";

/**
 * OpenRLHF's remote reward (`--reward.remote_url http://host:port/openrlhf/reward`), pure and web-standard so the
 * route runs on Bun, Deno and workerd alike. OpenRLHF posts `{query, prompts, labels}`: each query is the decoded
 * prompt + response, each label the dataset's label column. A label is the gold answer itself (verified as an
 * Expression, which also compares plain text), or a JSON object `{"answer", "answer_type", "options"}`.
 */

export interface RewardRequest {
  query: string[];
  prompts?: string[] | null;
  labels: string[];
}

export interface RewardAnswer {
  rewards: number[];
  scores: number[];
  /** Numbers only: OpenRLHF turns every entry into a tensor. */
  extra_logs: { correct: number[]; has_answer: number[]; prompt_found: number[] };
}

/** A row the reward cannot use; `row` is its index in the request. */
export class BadRewardRow extends Error {
  constructor(
    readonly row: number,
    readonly field: string,
    message: string,
  ) {
    super(`${field}[${row}]: ${message}`);
  }
}

export interface Gold {
  answer: string;
  answerType: AnswerType;
  options?: McqOptions;
}

/** A label as the gold answer it names; throws BadRewardRow for a JSON label that is not a usable gold. */
export function parseLabel(label: string, row: number): Gold {
  let value: unknown;
  try {
    value = JSON.parse(label);
  } catch {
    return { answer: label, answerType: "Expression" };
  }
  if (value === null || typeof value !== "object" || Array.isArray(value))
    return { answer: label, answerType: "Expression" };
  const o = value as Record<string, unknown>;
  if (typeof o.answer !== "string" && typeof o.answer !== "number")
    throw new BadRewardRow(row, "labels", 'a JSON label needs "answer" (a string or a number)');
  let options: McqOptions | undefined;
  if (o.options !== undefined) {
    const parsed = McqOptionsSchema.safeParse(o.options);
    if (!parsed.success) throw new BadRewardRow(row, "labels", '"options" must be {"A", "B", "C", "D"} strings');
    options = parsed.data;
  }
  const rawType = o.answer_type ?? (options ? "MCQ" : "Expression");
  const answerType = parseAnswerType(rawType);
  if (answerType === null)
    throw new BadRewardRow(row, "labels", `"answer_type" must be one of ${ANSWER_TYPES.join(", ")} (any case)`);
  return { answer: String(o.answer), answerType, ...(options ? { options } : {}) };
}

/** The response inside a query: what follows its prompt (the whole query when the prompt is not found in it). */
export function responseOf(query: string, prompt: string | null): { response: string; promptFound: boolean } {
  if (prompt === null || prompt === "") return { response: query, promptFound: prompt === "" };
  const at = query.indexOf(prompt);
  if (at >= 0) return { response: query.slice(at + prompt.length), promptFound: true };
  // Decoding may differ from the prompt text in places (special tokens, spaces): drop the common prefix at least.
  let i = 0;
  while (i < query.length && i < prompt.length && query[i] === prompt[i]) i++;
  return { response: query.slice(i), promptFound: false };
}

export function scoreRequest(req: RewardRequest): RewardAnswer {
  const n = req.query.length;
  if (req.labels.length !== n)
    throw new BadRewardRow(Math.min(n, req.labels.length), "labels", `${req.labels.length} labels for ${n} queries`);
  if (req.prompts && req.prompts.length !== n)
    throw new BadRewardRow(
      Math.min(n, req.prompts.length),
      "prompts",
      `${req.prompts.length} prompts for ${n} queries`,
    );
  const golds = req.labels.map((label, i) => parseLabel(label, i));
  const out: RewardAnswer = { rewards: [], scores: [], extra_logs: { correct: [], has_answer: [], prompt_found: [] } };
  for (const [i, query] of req.query.entries()) {
    const gold = golds[i]!;
    const { response, promptFound } = responseOf(query, req.prompts?.[i] ?? null);
    const v = verify(response, gold.answer, gold.answerType, gold.options ? { options: gold.options } : undefined);
    const r = v.correct ? 1 : 0;
    out.rewards.push(r);
    out.scores.push(r);
    out.extra_logs.correct.push(r);
    out.extra_logs.has_answer.push(v.extracted === null ? 0 : 1);
    out.extra_logs.prompt_found.push(promptFound ? 1 : 0);
  }
  return out;
}
