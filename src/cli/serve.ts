import type { Command } from "commander";
import { DEFAULT_ENCODER, DEFAULT_LM, ensureModel } from "../../models/index.ts";
import { ConfigError } from "../config.ts";
import { ensureSampleCorpus } from "../corpus/index.ts";
import { startServer, stopOnSignals, type StartupTask } from "../server.ts";
import { getTrainer } from "../trainer/service.ts";
import { commandConfig, fail, loadTrainerConfigOrFail } from "./util.ts";

/**
 * First-use work for `spice serve`: the built encoder and, unless SPICE_MODEL points elsewhere, the built
 * spice-lm-tiny whose tokenizer counts the corpus's tokens (the same vocabulary as the committed default
 * policy, models/spice-lm-tiny-world, which needs no building); then the sample corpus.
 */
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
    .description("serve the HTTP API (challenger, reasoner, verify, corpus, trainer) on SPICE_HOST:SPICE_PORT")
    .option("--no-warmup", "skip building the default model and ingesting the sample corpus at start-up")
    .option("--train", "also run the self-play trainer in this process (resuming an unfinished run)", false)
    .option("--config <file>", "trainer configuration for --train (JSON; see docs/trainer.md)")
    .addHelpText(
      "after",
      "\nGET /healthz answers as soon as the port is open (liveness); GET /readyz answers 503 with Retry-After\n" +
        "until the start-up work (default models, sample corpus) is done, then 200 (readiness). On a read-only\n" +
        "data dir the API serves reads and answers writes 503 naming the file; with no database there, exit 2.",
    )
    .action(async (opts: { warmup: boolean; train: boolean; config?: string }, cmd: Command) => {
      const config = commandConfig(cmd);
      const trainerConfig = opts.train ? await loadTrainerConfigOrFail(opts.config, config) : null;
      try {
        const warmup = opts.warmup ? defaultStartupTasks : [];
        const train: StartupTask[] = trainerConfig
          ? [
              // The API serves while a run starts; its status is the trainer's, not readiness.
              {
                name: "trainer",
                gatesReadiness: false,
                run: async (ctx) => (await getTrainer(ctx)).start(trainerConfig),
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
    });
}
