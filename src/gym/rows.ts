import { z } from "zod";
import type { Rng } from "../prng.ts";
import { reasonerPrompt, taskPrompt } from "../spice/prompts.ts";
import {
  FREE_FORM_ANSWER_TYPES,
  FreeFormAnswerTypeSchema,
  TaskTypeSchema,
  type FreeFormAnswerType,
  type TaskType,
} from "../spice/task-types.ts";
import { McqOptionsSchema } from "../verify/types.ts";

/**
 * The NeMo-Gym rows of the SPICE environment (docs/gym.md): what `spice gym dataset` writes and what the
 * resources server reads back from every request. A Gym row is `responses_create_params` (the model call) plus
 * any fields of the environment's own; the agents send the whole row to `/seed_session`, `/verify`, `/reset`
 * and `/step`, adding `_ng_task_index`, `_ng_rollout_index` and more. Only the fields below are read; every other
 * field passes through untouched.
 */

export const GYM_ROLES = ["challenger", "reasoner"] as const;

/** The agents of integrations/nemo-gym/resources_servers/spice/configs/spice.yaml, one per row kind. */
export const DEFAULT_AGENTS = { challenger: "spice_simple_agent", reasoner: "spice_gymnasium_agent" } as const;

const Index = z.number().int().min(0);

/** What the environment reads from a row; unknown fields are allowed and ignored. */
export const GymRowSchema = z.looseObject({
  responses_create_params: z.looseObject({}),
  spice_role: z.enum(GYM_ROLES).optional(),
  /** Challenger rows: the corpus segment the prompt carries, and the task kind the prompt asks for. */
  spice_segment: z.string().nullable().optional(),
  spice_task_type: TaskTypeSchema.optional(),
  spice_answer_type: FreeFormAnswerTypeSchema.nullable().optional(),
  /** The row's number in its dataset file: with `_ng_task_index`, the key of a reasoner row's task. */
  spice_row: Index.optional(),
  /** A plain verifiable row: a fixed question and its gold answer. */
  question: z.string().optional(),
  expected_answer: z.union([z.string(), z.number()]).optional(),
  answer_type: z.string().optional(),
  options: McqOptionsSchema.optional(),
  _ng_task_index: Index.optional(),
  _ng_rollout_index: Index.optional(),
});
export type GymRow = z.infer<typeof GymRowSchema>;

/** An OpenAI Responses object as far as the environment reads it: the output items. */
export const GymResponseSchema = z.looseObject({ output: z.array(z.unknown()) });

export const GymVerifyRequestSchema = GymRowSchema.extend({ response: GymResponseSchema });

/**
 * The text of a Responses object: the `output_text` parts of its `message` items, in order (reasoning and
 * function-call items carry no answer). This is what NeMo-Gym's own servers verify.
 */
export function outputText(response: z.infer<typeof GymResponseSchema>): string {
  const parts: string[] = [];
  for (const item of response.output) {
    if (item === null || typeof item !== "object") continue;
    const { type, content } = item as { type?: unknown; content?: unknown };
    if (type !== "message") continue;
    if (typeof content === "string") parts.push(content);
    else if (Array.isArray(content))
      for (const c of content) {
        const part = c as { type?: unknown; text?: unknown } | null;
        if (part && part.type === "output_text" && typeof part.text === "string") parts.push(part.text);
      }
  }
  return parts.join("");
}

export interface ChallengerRowOptions {
  taskTypes: readonly TaskType[];
  /** agent_ref.name; null leaves agent_ref out. */
  agent: string | null;
  /** The first row's `spice_row` (several files can be numbered apart). */
  firstRow?: number;
}

/** The task kind a row asks for, drawn uniformly: first the task type, then a free-form answer type. */
function drawKind(
  rng: Rng,
  taskTypes: readonly TaskType[],
): { taskType: TaskType; answerType: FreeFormAnswerType | null } {
  const taskType = rng.pick(taskTypes);
  return { taskType, answerType: taskType === "mcq" ? null : rng.pick(FREE_FORM_ANSWER_TYPES) };
}

const agentRef = (name: string | null) => (name === null ? {} : { agent_ref: { type: "responses_api_agents", name } });

/**
 * Challenger rows, one per segment: the task-writing prompt (docs/method.md §1, step 2) for the segment, as the
 * chat messages of `responses_create_params.input`. A Gym row is one model call, so the challenger's first step
 * (choosing the task type) is drawn per row instead of sampled; the row names the kind so `/verify` validates
 * the output against it.
 */
export function challengerRows(
  segments: ReadonlyArray<{ id: string; text: string }>,
  rng: Rng,
  o: ChallengerRowOptions,
): Record<string, unknown>[] {
  return segments.map((seg, i) => {
    const { taskType, answerType } = drawKind(rng, o.taskTypes);
    return {
      responses_create_params: { input: taskPrompt(seg.text, taskType, answerType) },
      spice_role: "challenger",
      spice_row: (o.firstRow ?? 0) + i,
      spice_segment: seg.id,
      spice_task_type: taskType,
      spice_answer_type: answerType,
      ...agentRef(o.agent),
    };
  });
}

/**
 * Reasoner rows are placeholders: the environment supplies each prompt at `/reset` (a task from the pool), so a
 * row carries only its number and an empty input the observation is appended to.
 */
export function reasonerRows(n: number, o: { agent: string | null; firstRow?: number }): Record<string, unknown>[] {
  return Array.from({ length: n }, (_, i) => ({
    responses_create_params: { input: [] },
    spice_role: "reasoner",
    spice_row: (o.firstRow ?? 0) + i,
    ...agentRef(o.agent),
  }));
}

/** The observation `/reset` hands a reasoner rollout: the reasoner's prompt for the task (no document). */
export function reasonerObservation(question: string, options?: z.infer<typeof McqOptionsSchema>): string {
  return reasonerPrompt(question, options)[0]!.content;
}
