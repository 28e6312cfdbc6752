import { z } from "@hono/zod-openapi";
import { closedObject } from "../../src/http/openapi.ts";
import { RunStatusSchema, TrainerStateSchema } from "../../src/db/run-states.ts";
import { RUN_KINDS, TRAINER_COMMANDS } from "../../src/db/schema.ts";
import { TrainerConfigSchema } from "../../src/trainer/config.ts";
import { RUN_LEARNERS } from "../../src/trainer/views.ts";

/** The wire shapes of /v1/trainer/*, with the examples the API reference shows. */

const RUN = "5f0c2a9e-1b7d-4c51-9a63-2f1e8d7b6c40";
const HOLDER = {
  pid: 41237,
  host: "trainer-box",
  run_id: RUN,
  since: "2026-12-01T09:12:03.000Z",
  heartbeat_at: "2026-12-01T09:20:41.000Z",
  command: null,
  this_process: false,
};
export const EXAMPLE_CONFIG = {
  iterations: 20,
  seed: 1,
  batch_docs: 2,
  challenger_samples: 4,
  reasoner_rollouts: 4,
  max_attempts: 8,
  task_types: ["mcq", "free_form"] as ("mcq" | "free_form")[],
  reward: "variance" as const,
  use_corpus: true,
  challenger_policy: null,
  temperature: 1,
  top_p: 1,
  max_new_tokens: 96,
  learner: "embedded" as const,
  learning_rate: 0.001,
  checkpoint_every: 10,
  keep_checkpoints: 3,
  rollout_path: null,
};
const LAST_METRICS = {
  "challenger.valid_rate": 0.62,
  "challenger.mean_reward": 0.41,
  "reasoner.accuracy": 0.41,
  "pass_rate.mean": 0.47,
  "tokens.generated": 5210,
  "seconds.challenger": 1.2,
  "seconds.reasoner": 1.6,
  "learner.loss": 0.031,
  pass_rate_histogram: [2, 1, 3, 1, 1],
};

export const HolderSchema = z
  .object({
    pid: z.number().int(),
    host: z.string(),
    run_id: z.string().nullable(),
    since: z.string().describe("when the lock was taken (ISO 8601)"),
    heartbeat_at: z.string().describe("the holder's last heartbeat (ISO 8601)"),
    command: z.enum(TRAINER_COMMANDS).nullable().describe("a control request another process left, not yet picked up"),
    this_process: z.boolean().describe("the holder is the process that answered"),
  })
  .openapi("TrainerHolder", { description: "who holds the data dir's trainer lock" });

export const StatusSchema = z
  .object({
    state: TrainerStateSchema,
    run_id: z.string().nullable(),
    iteration: z.number().int().describe("last committed iteration"),
    iterations: z.number().int().nullable(),
    resumed: z.boolean(),
    last_metrics: z.record(z.string(), z.unknown()).nullable(),
    error: z.string().nullable(),
    holder: HolderSchema.nullable().describe("the process training on this data dir (this one or another); null: none"),
  })
  .openapi("TrainerStatus", {
    description: "the run training on this data dir, whichever process runs it",
  });
export const STATUS_EXAMPLE: z.input<typeof StatusSchema> = {
  state: "running",
  run_id: RUN,
  iteration: 12,
  iterations: 20,
  resumed: false,
  last_metrics: LAST_METRICS,
  error: null,
  holder: HOLDER,
};

export const StartSchema = TrainerConfigSchema.extend({
  new_run: z.boolean().default(false).describe("start a new run even when an unfinished one exists"),
  resume: z
    .boolean()
    .default(false)
    .describe("continue the newest unfinished run with its stored configuration, whatever is given here"),
}).openapi("TrainerStart", {
  description:
    "A trainer configuration (docs/trainer.md), plus new_run / resume. No body (or no configuration key): resume the newest unfinished run, else start one with the defaults. A configuration that differs from the unfinished run's is refused (409) unless new_run or resume says which.",
});

export const TrainerRunSchema = z
  .object({
    id: z.string(),
    createdAt: z.string().describe("ISO 8601"),
    updatedAt: z.string().describe("ISO 8601"),
    status: RunStatusSchema,
    seed: z.number().int(),
    config: z.record(z.string(), z.unknown()).describe("the run's stored trainer configuration"),
    corpusHash: z.string().nullable().describe("the corpus manifest's content hash when the run started"),
    modelHash: z.string().nullable().describe("the starting weights' hash"),
    note: z.string().nullable(),
    kind: z.enum(RUN_KINDS).describe("embedded: this toolkit's trainer; external: recorded by spice gym serve"),
    learner: z
      .enum(RUN_LEARNERS)
      .describe("how it learns: the embedded learner, a rollout-only export, or an external trainer"),
    iterations_committed: z.number().int(),
    iterations: z.number().int().nullable().describe("iterations the configuration asks for"),
  })
  .openapi("TrainerRun");
const RUN_EXAMPLE: z.input<typeof TrainerRunSchema> = {
  id: RUN,
  createdAt: "2026-12-01T09:12:03.120Z",
  updatedAt: "2026-12-01T09:20:40.870Z",
  status: "running",
  seed: 1,
  config: EXAMPLE_CONFIG,
  corpusHash: "sha256:3b1f0c…",
  modelHash: "sha256:9ac2d1…",
  note: null,
  kind: "embedded",
  learner: "embedded",
  iterations_committed: 12,
  iterations: 20,
};

export const RunsSchema = z.object({ runs: z.array(TrainerRunSchema) }).openapi("TrainerRuns");
export const RUNS_EXAMPLE: z.input<typeof RunsSchema> = { runs: [RUN_EXAMPLE] };

export const RunParams = z.object({
  id: z
    .string()
    .min(1)
    .openapi({ param: { name: "id", in: "path" }, example: RUN, description: "run id" }),
});

export const MetricsQuery = closedObject({
  names: z.string().optional().openapi({
    example: "reasoner.accuracy,challenger.valid_rate",
    description: "comma-separated metric names (default: all)",
  }),
  since: z.coerce
    .number()
    .int()
    .min(0)
    .default(0)
    .openapi({ example: 0, description: "only iterations after this one (for polling)" }),
  window: z.coerce
    .number()
    .int()
    .min(1)
    .max(10_000)
    .default(10)
    .openapi({ example: 10, description: "iterations summed into pass_rate_histogram" }),
});

export const MetricsSchema = z
  .object({
    run: TrainerRunSchema,
    metrics: z.array(z.record(z.string(), z.number())).describe("one row per iteration: {iteration, <name>: value}"),
    pass_rate_histogram: z
      .object({
        from: z.number().int(),
        to: z.number().int(),
        counts: z.array(z.number().int()).describe("index k: valid tasks whose p̂ was k/K"),
      })
      .describe("p̂ of the valid tasks of the last `window` iterations"),
  })
  .openapi("TrainerRunMetrics");
export const METRICS_EXAMPLE: z.input<typeof MetricsSchema> = {
  run: RUN_EXAMPLE,
  metrics: [
    { iteration: 11, "reasoner.accuracy": 0.38, "challenger.valid_rate": 0.58 },
    { iteration: 12, "reasoner.accuracy": 0.41, "challenger.valid_rate": 0.62 },
  ],
  pass_rate_histogram: { from: 3, to: 12, counts: [9, 6, 11, 5, 4] },
};

const booleanish = z.enum(["any", "true", "false"]);
export const TasksQuery = closedObject({
  limit: z.coerce.number().int().min(1).max(500).default(20).openapi({ example: 20, description: "at most this many" }),
  valid: booleanish
    .default("any")
    .openapi({ example: "any", description: "only valid (true) or invalid (false) outputs" }),
  p_min: z.coerce.number().min(0).max(1).optional().openapi({ example: 0, description: "p̂ at least" }),
  p_max: z.coerce.number().min(0).max(1).optional().openapi({ example: 1, description: "p̂ at most" }),
  iteration: z.coerce.number().int().min(1).optional().openapi({ description: "one iteration only" }),
});

export const TaskViewSchema = z
  .object({
    id: z.number().int(),
    iteration: z.number().int(),
    slot: z.number().int(),
    sample: z.number().int(),
    doc_id: z.string().nullable(),
    document_excerpt: z.string().nullable().describe("the start of the segment the challenger read"),
    valid: z.boolean(),
    reason: z.string().nullable().describe("why an output is invalid"),
    task_type: z.string().nullable(),
    answer_type: z.string().nullable(),
    question: z.string().nullable(),
    options: z.record(z.string(), z.string()).nullable(),
    gold: z.string().nullable(),
    pass_rate: z.number().nullable().describe("p̂: the share of the K rollouts judged correct"),
    reward: z.number(),
    advantage: z.number(),
    raw: z.string().describe("the challenger's raw output(s)"),
    rollouts: z.array(
      z.object({
        sample: z.number().int(),
        extracted: z.string().nullable(),
        correct: z.boolean(),
        reward: z.number(),
        advantage: z.number(),
        text: z.string(),
      }),
    ),
  })
  .openapi("TrainerTask");
export const TasksSchema = z.object({ tasks: z.array(TaskViewSchema) }).openapi("TrainerTasks");
export const TASKS_EXAMPLE: z.input<typeof TasksSchema> = {
  tasks: [
    {
      id: 311,
      iteration: 12,
      slot: 0,
      sample: 1,
      doc_id: "doc-17#0",
      document_excerpt: "Sam has 14 apples. He gives 5 to Ada…",
      valid: true,
      reason: null,
      task_type: "free_form",
      answer_type: "Integer",
      question: "Sam has 14 apples and gives 5 away. How many are left?",
      options: null,
      gold: "9",
      pass_rate: 0.5,
      reward: 1,
      advantage: 0.25,
      raw: '{"task_type": "free_form", "answer_type": "Integer"}\n---\n{"question": "…", "answer": "9"}',
      rollouts: [
        { sample: 0, extracted: "9", correct: true, reward: 1, advantage: 0.5, text: "14 - 5 = \\boxed{9}" },
        { sample: 1, extracted: "19", correct: false, reward: 0, advantage: -0.5, text: "\\boxed{19}" },
      ],
    },
  ],
};

export const ValidateSchema = z
  .object({
    config: TrainerConfigSchema.describe("the configuration with every default filled in"),
    action: z
      .enum(["resume", "new", "conflict"])
      .describe("what a start with this body would do now: resume the unfinished run, start a new one, or be refused"),
    run_id: z.string().nullable().describe("the unfinished run it would resume, or conflicts with"),
    differing_keys: z.array(z.string()),
    holder: HolderSchema.nullable().describe("a trainer already running (a start would be refused with 409)"),
  })
  .openapi("TrainerValidation");
export const VALIDATE_EXAMPLE: z.input<typeof ValidateSchema> = {
  config: EXAMPLE_CONFIG,
  action: "conflict",
  run_id: RUN,
  differing_keys: ["iterations"],
  holder: null,
};
