import { sql } from "drizzle-orm";
import { foreignKey, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import type { PolicyVersionRecord } from "../spice/scored-group.ts";
import { RUN_STATUSES } from "./run-states.ts";

/**
 * The whole SQLite schema. Change it here, then `bun run db:generate --name <what>` and commit
 * the generated migration under drizzle/; migrations are applied at start-up by openDb().
 */

/**
 * How a run learns: `embedded` = the toolkit's own trainer (`spice train`); `external` = an external trainer
 * (NeMo-RL, verl, …) driving `spice gym serve`, whose rollouts and rewards the environment records.
 */
export const RUN_KINDS = ["embedded", "external"] as const;
export type RunKind = (typeof RUN_KINDS)[number];

/** One self-play run: its configuration and what it was tied to (corpus, model), for reproducibility. */
export const runs = sqliteTable("runs", {
  id: text("id").primaryKey(),
  kind: text("kind", { enum: RUN_KINDS }).notNull().default("embedded"),
  createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull().default(sql`(unixepoch('subsec') * 1000)`),
  updatedAt: integer("updated_at", { mode: "timestamp_ms" }).notNull().default(sql`(unixepoch('subsec') * 1000)`),
  status: text("status", { enum: RUN_STATUSES }).notNull().default("running"),
  seed: integer("seed").notNull(),
  config: text("config", { mode: "json" }).notNull(),
  corpusHash: text("corpus_hash"),
  modelHash: text("model_hash"),
  note: text("note"),
});

export type Run = typeof runs.$inferSelect;
export type NewRun = typeof runs.$inferInsert;

/**
 * One committed self-play iteration. A row exists only when everything the iteration produced
 * (segments, tasks, rollouts, metrics, the learner state it led to) is committed with it, in one
 * transaction: the row is the commit marker that a resumed run continues from.
 */
export const iterations = sqliteTable(
  "iterations",
  {
    runId: text("run_id")
      .notNull()
      .references(() => runs.id),
    iteration: integer("iteration").notNull(),
    startedAt: integer("started_at", { mode: "timestamp_ms" }).notNull(),
    finishedAt: integer("finished_at", { mode: "timestamp_ms" }).notNull(),
    /** Corpus sampler state after this iteration's draw (restored on resume). */
    samplerState: text("sampler_state", { mode: "json" }),
    /** Learner step and state file after this iteration's update (null in rollout-only mode). */
    learnerStep: integer("learner_step"),
    learnerState: text("learner_state"),
    metrics: text("metrics", { mode: "json" }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.runId, t.iteration] })],
);

/** A corpus segment drawn in an iteration, and how the challenger fared on it. */
export const segmentsUsed = sqliteTable(
  "segments_used",
  {
    runId: text("run_id").notNull(),
    iteration: integer("iteration").notNull(),
    slot: integer("slot").notNull(),
    docId: text("doc_id"),
    attempts: integer("attempts").notNull(),
    skipped: integer("skipped", { mode: "boolean" }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.runId, t.iteration, t.slot] }),
    foreignKey({ columns: [t.runId, t.iteration], foreignColumns: [iterations.runId, iterations.iteration] }),
  ],
);

/** A challenger output in the scored group of a segment: raw text, parsed form, validity, reward. */
export const tasks = sqliteTable(
  "tasks",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    runId: text("run_id").notNull(),
    iteration: integer("iteration").notNull(),
    slot: integer("slot").notNull(),
    sample: integer("sample").notNull(),
    raw: text("raw").notNull(),
    parsed: text("parsed", { mode: "json" }),
    valid: integer("valid", { mode: "boolean" }).notNull(),
    reason: text("reason"),
    taskType: text("task_type"),
    answerType: text("answer_type"),
    passRate: real("pass_rate"),
    reward: real("reward").notNull(),
    advantage: real("advantage").notNull(),
    /** The weights that wrote the task (docs/openai.md#policy-versions); null when the backend cannot tell. */
    policyVersion: text("policy_version", { mode: "json" }).$type<PolicyVersionRecord>(),
  },
  (t) => [
    uniqueIndex("tasks_slot_sample").on(t.runId, t.iteration, t.slot, t.sample),
    foreignKey({ columns: [t.runId, t.iteration], foreignColumns: [iterations.runId, iterations.iteration] }),
  ],
);

/** A reasoner rollout on a valid task. */
export const rollouts = sqliteTable(
  "rollouts",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    taskId: integer("task_id")
      .notNull()
      .references(() => tasks.id),
    sample: integer("sample").notNull(),
    text: text("text").notNull(),
    extracted: text("extracted"),
    correct: integer("correct", { mode: "boolean" }).notNull(),
    reward: real("reward").notNull(),
    advantage: real("advantage").notNull(),
    /** The weights that produced the rollout (docs/openai.md#policy-versions); null when unknown. */
    policyVersion: text("policy_version", { mode: "json" }).$type<PolicyVersionRecord>(),
  },
  (t) => [uniqueIndex("rollouts_task_sample").on(t.taskId, t.sample)],
);

/** Scalar metrics per iteration, long format, for /v1/trainer/runs/:id/metrics and plots. */
export const metrics = sqliteTable(
  "metrics",
  {
    runId: text("run_id").notNull(),
    iteration: integer("iteration").notNull(),
    name: text("name").notNull(),
    value: real("value").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.runId, t.iteration, t.name] }),
    foreignKey({ columns: [t.runId, t.iteration], foreignColumns: [iterations.runId, iterations.iteration] }),
  ],
);

/** Kept learner checkpoints (weights + optimiser state + step), newest last. */
export const checkpoints = sqliteTable(
  "checkpoints",
  {
    runId: text("run_id")
      .notNull()
      .references(() => runs.id),
    iteration: integer("iteration").notNull(),
    step: integer("step").notNull(),
    path: text("path").notNull(),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.runId, t.iteration] })],
);

/**
 * `spice eval` results: one row per (checkpoint, dataset content), replaced when the same
 * checkpoint is evaluated again, so that `--compare` shows one line per checkpoint.
 */
export const evalResults = sqliteTable(
  "eval_results",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    checkpoint: text("checkpoint").notNull(),
    /** The dataset path as given, for display. */
    dataset: text("dataset").notNull(),
    /** SHA-256 of the dataset file: results are compared only on identical data. */
    datasetHash: text("dataset_hash").notNull(),
    model: text("model").notNull(),
    n: integer("n").notNull(),
    k: integer("k").notNull(),
    temperature: real("temperature").notNull(),
    seed: integer("seed").notNull(),
    avgAtK: real("avg_at_k").notNull(),
    passAt1: real("pass_at_1").notNull(),
    passAtK: real("pass_at_k").notNull(),
    /** Scores per group (difficulty) when the dataset rows carry one. */
    groups: text("groups", { mode: "json" }).notNull(),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [uniqueIndex("eval_results_checkpoint_dataset").on(t.checkpoint, t.datasetHash)],
);

export type EvalResultRow = typeof evalResults.$inferSelect;

/**
 * The task pool of an external run (`spice gym serve`): every valid challenger task, with its pass rate p̂, the
 * segment it was written from and the policy version that wrote it (the run's window, i.e. iteration, at the
 * time). Reasoner rows (`/reset`) draw their tasks from here.
 */
export const gymPool = sqliteTable("gym_pool", {
  taskId: integer("task_id")
    .primaryKey()
    .references(() => tasks.id),
  runId: text("run_id")
    .notNull()
    .references(() => runs.id),
  docId: text("doc_id"),
  passRate: real("pass_rate").notNull(),
  policyVersion: integer("policy_version").notNull(),
  createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
  /** How many reasoner groups were handed this task. */
  served: integer("served").notNull().default(0),
});

/**
 * Which pool task a reasoner row's group was handed (`/reset`): one per row key (`_ng_task_index` and the
 * row's own number), so that every rollout of a GRPO group answers the same task, across restarts too.
 */
export const gymAssignments = sqliteTable(
  "gym_assignments",
  {
    runId: text("run_id")
      .notNull()
      .references(() => runs.id),
    key: text("key").notNull(),
    taskId: integer("task_id")
      .notNull()
      .references(() => tasks.id),
    /** Rollout indices that reset under this assignment, and those that stepped (JSON arrays). */
    reset: text("reset", { mode: "json" }).notNull(),
    stepped: text("stepped", { mode: "json" }).notNull(),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.runId, t.key] })],
);

/** What another process may ask the trainer that holds the lock to do (picked up with its next heartbeat). */
export const TRAINER_COMMANDS = ["pause", "resume", "stop"] as const;
export type TrainerCommand = (typeof TRAINER_COMMANDS)[number];

/**
 * The one-trainer-per-data-dir lock (src/trainer/lock.ts): at most one row, written in an IMMEDIATE
 * transaction. The holder is identified by pid, host, boot id and the process's start time (field 22
 * of /proc/<pid>/stat), so a dead holder, or a new process that reused its pid, never keeps it; a
 * holder on another machine (a shared data dir) keeps it only while its heartbeat is fresh.
 */
export const trainerLock = sqliteTable("trainer_lock", {
  name: text("name").primaryKey(),
  token: text("token").notNull(),
  pid: integer("pid").notNull(),
  host: text("host").notNull(),
  bootId: text("boot_id"),
  startTime: text("start_time"),
  runId: text("run_id"),
  acquiredAt: integer("acquired_at", { mode: "timestamp_ms" }).notNull(),
  heartbeatAt: integer("heartbeat_at", { mode: "timestamp_ms" }).notNull(),
  command: text("command", { enum: TRAINER_COMMANDS }),
});

export type TrainerLockRow = typeof trainerLock.$inferSelect;
