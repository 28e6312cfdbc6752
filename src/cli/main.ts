#!/usr/bin/env bun
import { Command, CommanderError } from "commander";
import { API_VERSION } from "../version.ts";
import { deniedWrite } from "../paths.ts";
import { addSettingsOptions, EXIT_USAGE, exitOnKnownError } from "./util.ts";

type Register = (program: Command) => void;

/**
 * Each top-level command's module, in the order `spice --help` lists them. A command line loads only the
 * modules of the commands it names (every one when it names none: help, a typo's suggestion), so a
 * `spice verify` in a pipeline does not start by importing onnxruntime, LanceDB and jax-js.
 */
const COMMANDS: Array<[names: string[], load: () => Promise<Register[]>]> = [
  [["serve"], async () => [(await import("./serve.ts")).registerServe]],
  [["corpus"], async () => [(await import("./corpus.ts")).registerCorpus]],
  [["model"], async () => [(await import("./model.ts")).registerModel]],
  [
    ["train", "runs"],
    async () => {
      const m = await import("./train.ts");
      return [m.registerTrain, m.registerRuns];
    },
  ],
  [["challenge", "solve"], async () => [(await import("./roles.ts")).registerRoles]],
  [["verify"], async () => [(await import("./verify.ts")).registerVerify]],
  [["world"], async () => [(await import("./world.ts")).registerWorld]],
  [["eval"], async () => [(await import("./eval.ts")).registerEval]],
  [["experiment"], async () => [(await import("./experiment.ts")).registerExperiment]],
  [["gym"], async () => [(await import("./gym.ts")).registerGym]],
];

/** The program with the commands `argv` names (all of them when it names none). */
export async function buildProgram(argv: readonly string[] = []): Promise<Command> {
  const named = COMMANDS.filter(([names]) => names.some((n) => argv.includes(n)));
  const registers = (await Promise.all((named.length ? named : COMMANDS).map(([, load]) => load()))).flat();
  const program = new Command("spice")
    .description("SPICE self-play toolkit: challenger, reasoner, verifier, corpus and trainer")
    .version(API_VERSION)
    .showSuggestionAfterError(true)
    // Every command inherits these: bad flags exit 2 with commander's one-line message.
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s.startsWith("error:") ? `spice: ${s.slice(7)}` : s) });
  addSettingsOptions(program);
  for (const register of registers) register(program);
  return program;
}

/** `| head` closed our stdout: stop quietly with status 0, as Unix tools do. */
const isClosedPipe = (err: unknown) => (err as { code?: unknown } | null)?.code === "EPIPE";

export async function main(argv: string[]): Promise<void> {
  const program = await buildProgram(argv.slice(2));
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
