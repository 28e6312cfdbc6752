#!/usr/bin/env bun
import { Command, CommanderError } from "commander";
import { API_VERSION } from "../version.ts";
import { registerServe } from "./serve.ts";
import { registerCorpus } from "./corpus.ts";
import { registerModel } from "./model.ts";
import { registerRuns, registerTrain } from "./train.ts";
import { registerRoles } from "./roles.ts";
import { registerVerify } from "./verify.ts";
import { registerWorld } from "./world.ts";
import { registerEval } from "./eval.ts";
import { registerExperiment } from "./experiment.ts";
import { registerGym } from "./gym.ts";
import { deniedWrite } from "../paths.ts";
import { addSettingsOptions, EXIT_USAGE, exitOnKnownError } from "./util.ts";

export function buildProgram(): Command {
  const program = new Command("spice")
    .description("SPICE self-play toolkit: challenger, reasoner, verifier, corpus and trainer")
    .version(API_VERSION)
    .showSuggestionAfterError(true)
    // Every command inherits these: bad flags exit 2 with commander's one-line message.
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s.startsWith("error:") ? `spice: ${s.slice(7)}` : s) });
  addSettingsOptions(program);
  registerServe(program);
  registerCorpus(program);
  registerModel(program);
  registerTrain(program);
  registerRuns(program);
  registerRoles(program);
  registerVerify(program);
  registerWorld(program);
  registerEval(program);
  registerExperiment(program);
  registerGym(program);
  return program;
}

/** `| head` closed our stdout: stop quietly with status 0, as Unix tools do. */
const isClosedPipe = (err: unknown) => (err as { code?: unknown } | null)?.code === "EPIPE";

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  process.stdout.on("error", (err) => {
    if (isClosedPipe(err)) process.exit(0);
    throw err;
  });
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander has already printed help, the version or the one-line error.
      process.exit(err.code === "commander.helpDisplayed" || err.code === "commander.version" ? 0 : EXIT_USAGE);
    }
    if (isClosedPipe(err)) process.exit(0);
    // The stack only with SPICE_LOG_LEVEL=debug; otherwise one line.
    if (/^(debug|trace)$/.test(process.env.SPICE_LOG_LEVEL ?? "")) console.error(err);
    // The library's own errors (unknown segment, policy unavailable, ...) answer from the error table.
    exitOnKnownError(err);
    // A write the data dir refused (EACCES inside it; EROFS is known anywhere): exit 2 naming the path.
    const dataDir = (program.opts() as { dataDir?: string }).dataDir ?? process.env.SPICE_DATA_DIR ?? "data";
    exitOnKnownError(deniedWrite(err, dataDir));
    // Any other failure (disk full, a bug) is not the caller's input: exit 1.
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`spice: error: ${message.split("\n")[0]}\n`);
    process.exit(1);
  }
}

if (import.meta.main) await main(process.argv);
