import { type Command, InvalidArgumentError, Option } from "commander";
import { ConfigError, loadConfig, SETTINGS, type Config, type ConfigFlags, type ConfigKey } from "../config.ts";
import { errorAnswer } from "../error-table.ts";
import { parseTrainerConfig, readTrainerConfig, TrainerConfigError, type TrainerConfig } from "../trainer/config.ts";
import { checkTrainerSetup, TrainerSetupError } from "../trainer/setup.ts";

/** Exit code for unusable input (bad flags, missing file, invalid config): docs/method.md §3.1. */
export const EXIT_USAGE = 2;

/** Unusable input: one clear line on stderr, exit 2. */
export function fail(message: string): never {
  process.stderr.write(`spice: ${message}\n`);
  process.exit(EXIT_USAGE);
}

/**
 * A library error as the command line reports it, read from the one error table: one line on stderr and
 * its exit code (2 for input that cannot work, 1 otherwise). Returns for an error the table does not know.
 */
export function exitOnKnownError(err: unknown): void {
  const a = errorAnswer(err);
  if (!a) return;
  process.stderr.write(`spice: ${a.title}: ${a.detail.split("\n")[0]}\n`);
  process.exit(a.exit);
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** The settings of docs/method.md §3.4 as global flags, so every command understands `--data-dir` and friends. */
export function addSettingsOptions(program: Command): Command {
  for (const key of Object.keys(SETTINGS) as ConfigKey[]) {
    const s = SETTINGS[key];
    program.addOption(new Option(`${s.flag} <value>`, `${s.help} [env ${s.env}]`));
  }
  return program;
}

/** Settings for a command: env + global flags, validated once; a bad value exits 2 naming it. */
export function commandConfig(cmd: Command): Config {
  try {
    return loadConfig(cmd.optsWithGlobals() as ConfigFlags);
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message);
    throw err;
  }
}

/** An integer flag parser; commander reports a bad value in one line and main() exits 2. */
export function intArg(name: string, min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`${name} must be an integer in ${min}…${max}.`);
    }
    return n;
  };
}

/** A float flag in [min, max]. */
export function floatArg(name: string, min = -Infinity, max = Infinity) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === "" || !Number.isFinite(n) || n < min || n > max) {
      throw new InvalidArgumentError(`${name} must be a number in ${min}…${max}.`);
    }
    return n;
  };
}

/**
 * A trainer config file (defaults when none is given), with the paths and policies it names checked
 * (`rollout_path` inside `<data-dir>/rollouts/`, a `challenger_policy` that opens); an invalid one exits 2
 * naming the field, before anything starts.
 */
export async function loadTrainerConfigOrFail(path: string | undefined, settings: Config): Promise<TrainerConfig> {
  try {
    const config = path ? await readTrainerConfig(path) : parseTrainerConfig({});
    return checkTrainerSetup(config, settings);
  } catch (err) {
    if (err instanceof TrainerConfigError || err instanceof TrainerSetupError) fail(err.message);
    throw err;
  }
}
