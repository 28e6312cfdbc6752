import { createRoute } from "@hono/zod-openapi";
import type { AppContext } from "../../src/context.ts";
import { getCorpus } from "../../src/corpus/index.ts";
import { createRouter, json, jsonBody, problemRes } from "../../src/http/openapi.ts";
import { HttpProblem } from "../../src/problem.ts";
import { TrainerConfigSchema } from "../../src/trainer/config.ts";
import { checkTrainerSetup, TrainerSetupError } from "../../src/trainer/setup.ts";
import { currentHolder } from "../../src/trainer/lock.ts";
import { getRun, runMetrics } from "../../src/trainer/persist.ts";
import { planStart, TrainerConfigConflict } from "../../src/trainer/plan.ts";
import { controlTrainer, dataDirStatus, getTrainer } from "../../src/trainer/service.ts";
import { listRunSummaries, recentPassRateHistogram, recentTasks, type RunSummary } from "../../src/trainer/views.ts";
import {
  EXAMPLE_CONFIG,
  METRICS_EXAMPLE,
  MetricsQuery,
  MetricsSchema,
  RUNS_EXAMPLE,
  RunParams,
  RunsSchema,
  STATUS_EXAMPLE,
  StartSchema,
  StatusSchema,
  TASKS_EXAMPLE,
  TasksQuery,
  TasksSchema,
  VALIDATE_EXAMPLE,
  ValidateSchema,
} from "./schema.ts";

const statusRoute = createRoute({
  method: "get",
  path: "/v1/trainer/status",
  summary: "The run training on this data dir (in this process or another): state, iteration, last metrics, holder",
  tags: ["trainer"],
  responses: { 200: json(StatusSchema, "status", STATUS_EXAMPLE) },
});
const startRoute = createRoute({
  method: "post",
  path: "/v1/trainer/start",
  summary: "Start a self-play run, or resume the unfinished one",
  description:
    "Takes the data dir's trainer lock: a trainer in any process (spice train, another server) makes this a 409 naming it. With no configuration the newest unfinished run resumes; a configuration that differs from that run's is a 409 listing the differing keys, unless `resume` (keep the run's stored configuration) or `new_run` (start afresh) is set.",
  tags: ["trainer"],
  request: { body: jsonBody(StartSchema, { ...EXAMPLE_CONFIG, iterations: 5, new_run: true }, false) },
  responses: {
    202: json(StatusSchema, "started", { ...STATUS_EXAMPLE, iteration: 0, last_metrics: null }),
    400: problemRes(
      "invalid configuration, or a setup that cannot run (empty corpus, embedded learner with a remote policy)",
    ),
    409: problemRes(
      "a trainer is already running (the problem's `holder` names it), or the configuration differs from the unfinished run's (`differing_keys`)",
    ),
  },
});
const validateRoute = createRoute({
  method: "post",
  path: "/v1/trainer/validate",
  summary: "Check a start body without starting: the configuration with defaults, and what a start would do now",
  tags: ["trainer"],
  request: { body: jsonBody(StartSchema, { ...EXAMPLE_CONFIG, iterations: 50 }, false) },
  responses: {
    200: json(ValidateSchema, "valid; `action` says what a start would do", VALIDATE_EXAMPLE),
    400: problemRes("invalid configuration (`errors` names each field)"),
  },
});
const control = (action: "pause" | "resume" | "stop", summary: string) =>
  createRoute({
    method: "post",
    path: `/v1/trainer/${action}`,
    summary,
    description:
      "Acts on the trainer of this data dir, in this process or in another one (which carries it out with its next heartbeat, about a second; the answer waits for it).",
    tags: ["trainer"],
    responses: {
      200: json(StatusSchema, "status", {
        ...STATUS_EXAMPLE,
        state: action === "pause" ? "paused" : action === "resume" ? "running" : "stopped",
        holder: action === "stop" ? null : STATUS_EXAMPLE.holder,
      }),
      409: problemRes("not possible in the current state"),
    },
  });
const metricsRoute = createRoute({
  method: "get",
  path: "/v1/trainer/runs/{id}/metrics",
  summary: "Per-iteration metrics of a run, and the p̂ histogram of its recent iterations",
  tags: ["trainer"],
  request: { params: RunParams, query: MetricsQuery },
  responses: {
    200: json(MetricsSchema, "metrics, one row per iteration", METRICS_EXAMPLE),
    404: problemRes("no such run"),
  },
});
const tasksRoute = createRoute({
  method: "get",
  path: "/v1/trainer/runs/{id}/tasks",
  summary: "The newest challenger outputs of a run with their rollouts, filterable by validity and p̂",
  tags: ["trainer"],
  request: { params: RunParams, query: TasksQuery },
  responses: {
    200: json(TasksSchema, "tasks, newest iteration first", TASKS_EXAMPLE),
    404: problemRes("no such run"),
  },
});
const runsRoute = createRoute({
  method: "get",
  path: "/v1/trainer/runs",
  summary: "All runs, oldest first, with their kind and committed iterations",
  tags: ["trainer"],
  responses: { 200: json(RunsSchema, "runs", RUNS_EXAMPLE) },
});

const wireRun = (r: RunSummary) => ({
  ...r,
  createdAt: r.createdAt.toISOString(),
  updatedAt: r.updatedAt.toISOString(),
  config: r.config as Record<string, unknown>,
});

function runOr404(ctx: AppContext, id: string): RunSummary {
  const run = listRunSummaries(ctx.db).find((r) => r.id === id);
  if (!run || !getRun(ctx.db, id)) throw new HttpProblem(404, "Not found", `no run ${id}`);
  return run;
}

/** The start body's parts: the configuration when any configuration key was sent (else null), and the flags. */
async function startBody(
  c: { req: { header(n: string): string | undefined; json(): Promise<unknown> } },
  valid: object,
) {
  const raw = c.req.header("content-type") ? ((await c.req.json().catch(() => ({}))) as Record<string, unknown>) : {};
  const { new_run, resume, ...config } = StartSchema.parse(valid);
  const given = Object.keys(raw ?? {}).some((k) => k in TrainerConfigSchema.shape);
  return { config: given ? config : null, opts: { newRun: new_run, resume } };
}

/** Segment texts for the tasks' documents; the corpus being unavailable only leaves the excerpts out. */
async function excerpts(ctx: AppContext, ids: string[]): Promise<Map<string, string>> {
  if (!ids.length) return new Map();
  try {
    const corpus = await getCorpus(ctx);
    return new Map((await corpus.segments(ids)).map((s) => [s.id, s.text.slice(0, 600)]));
  } catch {
    return new Map();
  }
}

export function trainerRouter(ctx: AppContext) {
  return (
    createRouter()
      .openapi(statusRoute, async (c) => c.json(await dataDirStatus(ctx), 200))
      .openapi(startRoute, async (c) => {
        const { config, opts } = await startBody(c, c.req.valid("json"));
        try {
          // Paths and policies the configuration names are checked (and folders confined to the data dir)
          // before the trainer is touched: a refused configuration changes nothing.
          const checked = config ? checkTrainerSetup(config, ctx.config, { confineFolders: true }) : null;
          const t = await getTrainer(ctx);
          return c.json(await t.start(checked, opts), 202);
        } catch (err) {
          if (err instanceof TrainerSetupError && err.problems.length) {
            throw new HttpProblem(400, "Invalid trainer setup", err.message, { errors: err.problems });
          }
          throw err;
        }
      })
      .openapi(validateRoute, async (c) => {
        const { config, opts } = await startBody(c, c.req.valid("json"));
        const holder = currentHolder(ctx.db);
        try {
          const plan = planStart(ctx.db, config, opts);
          return c.json(
            {
              config: config ?? plan.config,
              action: plan.run ? ("resume" as const) : ("new" as const),
              run_id: plan.run?.id ?? null,
              differing_keys: [],
              holder,
            },
            200,
          );
        } catch (err) {
          if (!(err instanceof TrainerConfigConflict) || !config) throw err;
          return c.json(
            {
              config,
              action: "conflict" as const,
              run_id: err.runId,
              differing_keys: err.differences.map((d) => d.key),
              holder,
            },
            200,
          );
        }
      })
      // Busy, state and setup errors of the trainer answer 409 / 400 through the error table.
      .openapi(control("pause", "Pause after the current iteration"), async (c) =>
        c.json(await controlTrainer(ctx, "pause"), 200),
      )
      .openapi(control("resume", "Resume a paused run"), async (c) => c.json(await controlTrainer(ctx, "resume"), 200))
      .openapi(control("stop", "Stop: roll back the iteration in progress and end the run"), async (c) =>
        c.json(await controlTrainer(ctx, "stop"), 200),
      )
      .openapi(runsRoute, (c) => c.json({ runs: listRunSummaries(ctx.db).map(wireRun) }, 200))
      .openapi(metricsRoute, (c) => {
        const { id } = c.req.valid("param");
        const run = runOr404(ctx, id);
        const q = c.req.valid("query");
        const names = q.names
          ?.split(",")
          .map((s) => s.trim())
          .filter(Boolean);
        const metrics = runMetrics(ctx.db, id, names).filter((m) => (m.iteration ?? 0) > q.since);
        return c.json(
          { run: wireRun(run), metrics, pass_rate_histogram: recentPassRateHistogram(ctx.db, id, q.window) },
          200,
        );
      })
      .openapi(tasksRoute, async (c) => {
        const { id } = c.req.valid("param");
        runOr404(ctx, id);
        const q = c.req.valid("query");
        const tasks = recentTasks(ctx.db, id, {
          limit: q.limit,
          ...(q.valid === "any" ? {} : { valid: q.valid === "true" }),
          ...(q.p_min === undefined ? {} : { pMin: q.p_min }),
          ...(q.p_max === undefined ? {} : { pMax: q.p_max }),
          ...(q.iteration === undefined ? {} : { iteration: q.iteration }),
        });
        const texts = await excerpts(ctx, [...new Set(tasks.flatMap((t) => (t.doc_id ? [t.doc_id] : [])))]);
        return c.json(
          { tasks: tasks.map((t) => ({ ...t, document_excerpt: t.doc_id ? (texts.get(t.doc_id) ?? null) : null })) },
          200,
        );
      })
  );
}
