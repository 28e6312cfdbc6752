#!/usr/bin/env bun
import { Command, CommanderError } from "commander";
import { PolicyError } from "../policy/types.ts";
import { API_VERSION } from "../version.ts";
import { registerServe } from "./serve.ts";
import { registerCorpus } from "./corpus.ts";
import { registerModel } from "./model.ts";
import { registerTrain } from "./train.ts";
import { registerRoles } from "./roles.ts";
import { registerVerify } from "./verify.ts";
import { registerWorld } from "./world.ts";
import { registerEval } from "./eval.ts";
import { registerExperiment } from "./experiment.ts";
import { addSettingsOptions, EXIT_USAGE } from "./util.ts";

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
  registerRoles(program);
  registerVerify(program);
  registerWorld(program);
  registerEval(program);
  registerExperiment(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander has already printed help, the version or the one-line error.
      process.exit(err.code === "commander.helpDisplayed" || err.code === "commander.version" ? 0 : EXIT_USAGE);
    }
    // A failure that is not the caller's input (model or server unavailable, disk full): one line,
    // exit 1; the stack only with SPICE_LOG_LEVEL=debug.
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`spice: ${err instanceof PolicyError ? "" : "error: "}${message.split("\n")[0]}\n`);
    if (/^(debug|trace)$/.test(process.env.SPICE_LOG_LEVEL ?? "")) console.error(err);
    process.exit(1);
  }
}

if (import.meta.main) await main(process.argv);
