import { z } from "@hono/zod-openapi";
import { closedObject } from "../../src/http/openapi.ts";
import { TaskTypeSchema } from "../../src/spice/task-types.ts";
import { AnswerTypeSchema, McqOptionsSchema } from "../../src/verify/types.ts";

// A fresh object from the shared shape: @hono/zod-openapi's `.openapi()` exists only on schemas built after it
// loaded, and src/verify/ (pure) may load first.
const Options = z.object(McqOptionsSchema.shape).openapi("McqOptions");

export const ChallengeRequest = closedObject({
  document: z.string().min(1).optional().describe("the document to write a task from"),
  doc_id: z.string().min(1).optional().describe("a corpus segment id to read the document from"),
  sample: z.boolean().optional().describe("true: draw one segment from the corpus (seeded by `seed`)"),
  seed: z.number().int().min(0).optional().describe("seeds the corpus draw and the sampling"),
  n: z.number().int().min(1).max(32).default(8).describe("G: challenger samples per round"),
  task_type: TaskTypeSchema.optional().describe("restrict the task type (default: the challenger chooses)"),
  max_attempts: z.number().int().min(1).max(256).default(16).describe("samples drawn in all before giving up"),
  temperature: z.number().min(0).max(2).default(1.0),
  top_p: z.number().gt(0).max(1).default(1.0),
  max_tokens: z.number().int().min(1).max(4096).default(512).describe("generation budget of the task step"),
})
  .refine((b) => [b.document !== undefined, b.doc_id !== undefined, b.sample === true].filter(Boolean).length === 1, {
    message: "give exactly one of `document`, `doc_id` or `sample: true`",
  })
  .openapi("ChallengeRequest");

export const ChallengerTaskOut = z
  .object({
    valid: z.boolean(),
    task_type: TaskTypeSchema,
    question: z.string(),
    options: Options.optional(),
    answer: z.string(),
    answer_type: AnswerTypeSchema.nullable(),
    error: z.string().optional().describe("why the output is invalid"),
    raw: z.string().describe("the challenger's raw output (task step, or the selection when that failed)"),
  })
  .openapi("ChallengerTask");

export const ChallengeResponse = z
  .object({
    doc_id: z.string().nullable().describe("the segment id, or null for a document given inline"),
    attempts: z.number().int().describe("samples drawn in all"),
    rounds: z.number().int(),
    skipped: z.boolean().describe("no round had a valid task within max_attempts"),
    truncated: z.boolean().describe("the document was trimmed to fit the model's context"),
    tasks: z.array(ChallengerTaskOut).describe("the last round drawn, valid and invalid outputs as drawn"),
  })
  .openapi("ChallengeResponse");
