import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Config } from "../config.ts";
import { SpiceError } from "../errors.ts";
import { confinedPath, PathConfinementError } from "../paths.ts";
import { policySpecProblem } from "../policy/registry.ts";
import type { TrainerConfig } from "./config.ts";

/** A trainer configuration that parses but cannot run here (a bad path or policy, an empty corpus, ...). */
export class TrainerSetupError extends SpiceError {
  constructor(
    message: string,
    /** The settings at fault, each with what is wrong: the HTTP edge lists them as the 400's `errors`. */
    readonly problems: { field: string; message: string }[] = [],
  ) {
    super("trainer_setup", message);
  }

  /** A setup error caused by one setting: the message, and that setting named for the 400's `errors`. */
  static of(field: string, message: string): TrainerSetupError {
    return new TrainerSetupError(message, [{ field, message }]);
  }
}

/** The folder `rollout_path` is confined to: the only place a trainer configuration can make the toolkit write. */
export function rolloutsDir(dataDir: string): string {
  return join(dataDir, "rollouts");
}

/**
 * Where `rollout_path` writes: a relative path is taken from `<data-dir>/rollouts/`, an absolute one must lie
 * there, and no symbolic link may lead out of it. So a configuration, sent over HTTP or not, cannot make the
 * trainer create, append to or cut back any other file (the database, a checkpoint, a file outside the data dir).
 */
export function resolveRolloutPath(dataDir: string, path: string): string {
  try {
    return confinedPath(rolloutsDir(dataDir), path, "<data-dir>/rollouts");
  } catch (err) {
    if (err instanceof PathConfinementError) {
      throw new TrainerSetupError(`rollout_path: ${err.message}`, [{ field: "rollout_path", message: err.message }]);
    }
    throw err;
  }
}

/**
 * Checks the settings of a configuration that name things outside it, before any run is created or any state
 * changes: `rollout_path` (confined to `<data-dir>/rollouts/`) and `challenger_policy` (a URL or a model folder
 * that can be opened, or a server object whose URLs open and whose key variable is set; with `confineFolders`, as for configurations sent over HTTP, a folder must lie in the data
 * dir and a relative one is taken from there). Returns the configuration with a confined folder made absolute;
 * throws a TrainerSetupError listing every problem, each naming its setting.
 */
export function checkTrainerSetup(
  config: TrainerConfig,
  settings: Pick<Config, "dataDir" | "device">,
  { confineFolders = false, env = process.env as Record<string, string | undefined> } = {},
): TrainerConfig {
  const problems: { field: string; message: string }[] = [];
  const out = { ...config };
  if (config.rollout_path !== null) {
    try {
      resolveRolloutPath(settings.dataDir, config.rollout_path);
    } catch (err) {
      if (!(err instanceof TrainerSetupError)) throw err;
      problems.push(...err.problems);
    }
  }
  const spec = config.challenger_policy;
  if (spec !== null && typeof spec === "object") {
    // A server object (docs/openai.md#per-role-policies): its URLs must open, and a key variable it names must be set.
    const problem = policySpecProblem(spec.url, { dataDir: settings.dataDir, device: settings.device });
    if (problem) problems.push({ field: "challenger_policy.url", message: problem });
    if (spec.api_key_env !== undefined && !env[spec.api_key_env])
      problems.push({
        field: "challenger_policy.api_key_env",
        message: `the environment variable ${spec.api_key_env} is not set`,
      });
  } else if (spec !== null) {
    const options = { dataDir: settings.dataDir, device: settings.device };
    let resolved: string | null = spec;
    if (confineFolders && !/^[a-z][a-z0-9+.-]*:/i.test(spec)) {
      // Not a URL: a folder inside the data dir, or the bare name of a model the toolkit builds there.
      try {
        const inside = confinedPath(settings.dataDir, spec);
        const bareName = !/[\\/]/.test(spec) && !spec.startsWith(".") && !existsSync(inside) && !existsSync(spec);
        resolved = bareName ? spec : inside;
      } catch (err) {
        if (!(err instanceof PathConfinementError)) throw err;
        const message = `a model folder named over HTTP must lie in the data dir: ${err.message}`;
        problems.push({ field: "challenger_policy", message });
        resolved = null;
      }
    }
    if (resolved !== null) {
      const problem = policySpecProblem(resolved, options);
      if (problem) problems.push({ field: "challenger_policy", message: problem });
      else out.challenger_policy = resolved;
    }
  }
  if (problems.length) {
    throw new TrainerSetupError(
      `invalid trainer config: ${problems.map((p) => `${p.field}: ${p.message}`).join("; ")}`,
      problems,
    );
  }
  return out;
}
