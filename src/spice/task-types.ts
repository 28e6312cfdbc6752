import { z } from "zod";
import { AnswerTypeSchema } from "../verify/types.ts";

/**
 * The challenger's task vocabulary (docs/method.md §1, "Prompts and output formats"): the trainer config,
 * the challenger route and the CLI take these lists from here.
 */

export const TASK_TYPES = ["mcq", "free_form"] as const;
export const TaskTypeSchema = z.enum(TASK_TYPES);
export type TaskType = z.infer<typeof TaskTypeSchema>;

/** A free-form task's answer type: every answer type but MCQ, which belongs to the other task type. */
export const FreeFormAnswerTypeSchema = AnswerTypeSchema.exclude(["MCQ"]);
export type FreeFormAnswerType = z.infer<typeof FreeFormAnswerTypeSchema>;
export const FREE_FORM_ANSWER_TYPES = FreeFormAnswerTypeSchema.options;
