import type { Command } from "commander";
import { DEFAULT_ENCODER, DEFAULT_LM, ensureModel } from "../../models/index.ts";
import { ConfigError, type Config } from "../config.ts";
import type { TrainerConfig } from "../trainer/config.ts";
import { currentHolder, describeHolder } from "../trainer/lock.ts";
import { planStart, type StartOptions } from "../trainer/plan.ts";
import { ensureSampleCorpus } from "../corpus/index.ts";
import { openContext, startServer, stopOnSignals, type StartupTask } from "../server.ts";
import { getTrainer } from "../trainer/service.ts";
import { commandConfig, exitOnKnownError, fail, loadTrainerConfigOrFail } from "./util.ts";

/** First-use work for `spice serve`: the default models (unless SPICE_MODEL points elsewhere) and the sample corpus. */
export const defaultStartupTasks: StartupTask[] = [
  {
    name: "default models",
    run: async (ctx) => {
      if (!ctx.config.model && !ctx.config.policyUrl) ensureModel(ctx.config.dataDir, DEFAULT_LM);
      ensureModel(ctx.config.dataDir, DEFAULT_ENCODER);
    },
  },
  { name: "sample corpus", run: (ctx) => ensureSampleCorpus(ctx) },
];

export function registerServe(program: Command): void {
  program
    .command("serve")
    .description(
      "serve the HTTP API (challenger, reasoner, verify, corpus, trainer) on SPICE_HOST:SPICE_PORT, and the policy as an OpenAI-compatible server there (/v1/models, /v1/completions, /v1/chat/completions; docs/openai.md)",
    )
    .option("--no-warmup", "skip building the default model and ingesting the sample corpus at start-up")
    .option("--train", "also run the self-play trainer in this process (as `spice train` would)", false)
    .option("--config <file>", "trainer configuration for --train (JSON; see docs/trainer.md)")
    .addHelpText(
      "after",
      "\nGET /healthz answers as soon as the port is open (liveness); GET /readyz answers 503 with Retry-After\n" +
        "until the start-up work (default models, sample corpus) is done, then 200 (readiness). On a read-only\n" +
        "data dir the API serves reads and answers writes 503 naming the file; with no database there, exit 2.",
    )
    .option("--resume", "with --train: continue the unfinished run with its stored configuration", false)
    .option("--new-run", "with --train: start a new run even when an unfinished one exists", false)
    .action(
      async (
        opts: { warmup: boolean; train: boolean; config?: string; resume: boolean; newRun: boolean },
        cmd: Command,
      ) => {
        const config = commandConfig(cmd);
        if ((opts.resume || opts.newRun || opts.config) && !opts.train)
          fail("--config, --resume and --new-run go with --train");
        if (opts.resume && opts.newRun) fail("--new-run and --resume exclude each other");
        const trainerConfig = opts.config ? await loadTrainerConfigOrFail(opts.config, config) : null;
        const startOpts = { resume: opts.resume, newRun: opts.newRun };
        // Refused before the port opens: another trainer on this data dir, or a configuration that differs from the unfinished run's.
        if (opts.train) preflight(config, trainerConfig, startOpts);
        try {
          const warmup = opts.warmup ? defaultStartupTasks : [];
          const train: StartupTask[] = opts.train
            ? [
                // The API serves while a run starts; its status is the trainer's, not readiness.
                {
                  name: "trainer",
                  gatesReadiness: false,
                  run: async (ctx) => (await getTrainer(ctx)).start(trainerConfig, startOpts),
                },
              ]
            : [];
          const running = await startServer(config, [...warmup, ...train]);
          stopOnSignals(running);
          process.stderr.write(`spice: serving on ${running.url} (docs: ${running.url}/docs)\n`);
        } catch (err) {
          if (err instanceof ConfigError) fail(err.message);
          if ((err as { code?: string }).code === "EADDRINUSE")
            fail(`port ${config.port} is already in use (set SPICE_PORT / --port)`);
          throw err;
        }
      },
    );
}

function preflight(config: Config, trainerConfig: TrainerConfig | null, opts: StartOptions): void {
  const ctx = openContext({ ...config, logLevel: "silent" });
  try {
    const holder = currentHolder(ctx.db);
    if (holder)
      fail(
        `a trainer is already running on ${config.dataDir} (${describeHolder(holder)}); stop it first (spice train stop)`,
      );
    planStart(ctx.db, trainerConfig, opts);
  } catch (err) {
    exitOnKnownError(err);
    throw err;
  } finally {
    void ctx.close();
  }
}
