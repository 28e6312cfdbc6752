import { createRoute, z } from "@hono/zod-openapi";
import { closedObject, createRouter, json, problemRes } from "../../src/http/openapi.ts";
import type { AppContext } from "../../src/context.ts";
import { TrainerStateSchema } from "../../src/db/run-states.ts";
import { HttpProblem } from "../../src/problem.ts";
import { TrainerConfigSchema } from "../../src/trainer/config.ts";
import { checkTrainerSetup, TrainerSetupError } from "../../src/trainer/setup.ts";
import { getRun, listRuns, runMetrics } from "../../src/trainer/persist.ts";
import type { Trainer } from "../../src/trainer/runner.ts";
import { getTrainer } from "../../src/trainer/service.ts";
import { WARNING_CODES } from "../../src/trainer/warnings.ts";

const StatusSchema = z
  .object({
    state: TrainerStateSchema,
    run_id: z.string().nullable(),
    iteration: z.number().int().describe("last committed iteration"),
    iterations: z.number().int().nullable(),
    resumed: z.boolean(),
    last_metrics: z.record(z.string(), z.unknown()).nullable(),
    error: z.string().nullable(),
    warnings: z
      .array(
        z
          .object({
            code: z.enum(WARNING_CODES),
            from_iteration: z.number().int(),
            to_iteration: z.number().int(),
            iterations: z.number().int(),
            message: z.string(),
          })
          .openapi("TrainerWarning"),
      )
      .describe(
        "the current run's stalls: trailing iterations (5, or the whole run if shorter) with no valid task or no learner step",
      ),
  })
  .openapi("TrainerStatus");

const StartSchema = TrainerConfigSchema.extend({
  new_run: z.boolean().default(false).describe("start a new run instead of resuming the newest unfinished one"),
}).openapi("TrainerStart");

const statusRoute = createRoute({
  method: "get",
  path: "/v1/trainer/status",
  summary: "Trainer state and the last iteration's metrics",
  tags: ["trainer"],
  responses: { 200: json(StatusSchema, "status") },
});
const startRoute = createRoute({
  method: "post",
  path: "/v1/trainer/start",
  summary: "Start (or resume) a self-play run with the given configuration",
  tags: ["trainer"],
  request: { body: { content: { "application/json": { schema: StartSchema } }, required: true } },
  responses: {
    202: json(StatusSchema, "started"),
    400: problemRes(
      "invalid configuration, or a setup that cannot run (empty corpus, embedded learner with a remote policy)",
    ),
    409: problemRes("a run is already active"),
  },
});
const control = (action: "pause" | "resume" | "stop", summary: string) =>
  createRoute({
    method: "post",
    path: `/v1/trainer/${action}`,
    summary,
    tags: ["trainer"],
    responses: { 200: json(StatusSchema, "status"), 409: problemRes("not possible in the current state") },
  });
const metricsRoute = createRoute({
  method: "get",
  path: "/v1/trainer/runs/{id}/metrics",
  summary: "Per-iteration metrics of a run",
  tags: ["trainer"],
  request: {
    params: z.object({ id: z.string().min(1) }),
    query: closedObject({ names: z.string().optional().describe("comma-separated metric names (default: all)") }),
  },
  responses: {
    200: json(
      z.object({ run: z.record(z.string(), z.unknown()), metrics: z.array(z.record(z.string(), z.number())) }),
      "metrics, one row per iteration",
    ),
    404: problemRes("no such run"),
  },
});
const runsRoute = createRoute({
  method: "get",
  path: "/v1/trainer/runs",
  summary: "All runs, oldest first",
  tags: ["trainer"],
  responses: { 200: json(z.object({ runs: z.array(z.record(z.string(), z.unknown())) }), "runs") },
});

export function trainerRouter(ctx: AppContext) {
  const trainer = (): Promise<Trainer> => getTrainer(ctx);
  return (
    createRouter()
      .openapi(statusRoute, async (c) => c.json((await trainer()).status(), 200))
      .openapi(startRoute, async (c) => {
        const { new_run, ...body } = c.req.valid("json");
        try {
          // Paths and policies the configuration names are checked (and folders confined to the data dir)
          // before the trainer is touched: a refused configuration changes nothing.
          const config = checkTrainerSetup(body, ctx.config, { confineFolders: true });
          const t = await trainer();
          return c.json(await t.start(config, { newRun: new_run }), 202);
        } catch (err) {
          if (err instanceof TrainerSetupError && err.problems.length) {
            throw new HttpProblem(400, "Invalid trainer setup", err.message, { errors: err.problems });
          }
          throw err;
        }
      })
      // Busy, state and setup errors of the trainer answer 409 / 400 through the error table.
      .openapi(control("pause", "Pause after the current iteration"), async (c) =>
        c.json((await trainer()).pause(), 200),
      )
      .openapi(control("resume", "Resume a paused run"), async (c) => c.json((await trainer()).resume(), 200))
      .openapi(control("stop", "Stop: roll back the iteration in progress and end the run"), async (c) =>
        c.json(await (await trainer()).stop(), 200),
      )
      .openapi(runsRoute, (c) => c.json({ runs: listRuns(ctx.db) }, 200))
      .openapi(metricsRoute, (c) => {
        const { id } = c.req.valid("param");
        const run = getRun(ctx.db, id);
        if (!run) throw new HttpProblem(404, "Not found", `no run ${id}`);
        const names = c.req
          .valid("query")
          .names?.split(",")
          .map((s) => s.trim())
          .filter(Boolean);
        return c.json({ run, metrics: runMetrics(ctx.db, id, names) }, 200);
      })
  );
}
