import { type Config, ConfigError, loadConfig, SETTINGS } from "../config.ts";

/**
 * The edge build's settings, read from the platform's environment bindings with the names and rules of
 * `spice serve` (docs/method.md §3.4), through the one config schema (loadConfig), so a value valid for one is
 * valid for the other. docs/edge.md.
 */

/** Setting → environment name, for every setting the edge reads. */
export const EDGE_ENV = {
  policyUrl: SETTINGS.policyUrl.env,
  policyModel: SETTINGS.policyModel.env,
  policyEndpoint: SETTINGS.policyEndpoint.env,
  policyApiKey: SETTINGS.policyApiKey.env,
  apiToken: SETTINGS.apiToken.env,
  logLevel: SETTINGS.logLevel.env,
  maxBody: SETTINGS.maxBody.env,
} as const satisfies Partial<Record<keyof Config, string>>;

const KEYS = Object.keys(EDGE_ENV) as (keyof typeof EDGE_ENV)[];

export type EdgeSettings = Pick<Config, keyof typeof EDGE_ENV>;

export type Bindings = Record<string, string | undefined>;

/** The settings `bindings` (environment names → values) give; a bad value is a ConfigError naming it. */
export function readEdgeSettings(bindings: Bindings): EdgeSettings {
  let config: Config;
  try {
    config = loadConfig({}, Object.fromEntries(KEYS.map((k) => [EDGE_ENV[k], bindings[EDGE_ENV[k]]])));
  } catch (err) {
    // The edge has no command line: name the binding only ("SPICE_MAX_BODY", not "SPICE_MAX_BODY / --max-body").
    if (err instanceof ConfigError) throw new ConfigError(err.message.replace(/ \/ --[\w-]+/, ""));
    throw err;
  }
  return Object.fromEntries(KEYS.map((k) => [k, config[k]])) as EdgeSettings;
}

const NAMES: readonly string[] = Object.values(EDGE_ENV);

/** The SPICE_* entries of a Workers `env` object (vars and secrets); null when it holds none (Deno's and Node's second argument). */
export function bindingsOf(env: unknown): Bindings | null {
  if (env === null || typeof env !== "object") return null;
  const out: Bindings = {};
  let found = false;
  for (const name of NAMES) {
    const value = (env as Record<string, unknown>)[name];
    if (typeof value === "string") {
      out[name] = value;
      found = true;
    }
  }
  return found ? out : null;
}

/**
 * The environment a Deno run must let the module read: the settings, and the CE_* debug switches that
 * @cortex-js/compute-engine (the verifier's LaTeX parser) reads when it loads. `deno serve --allow-env=…`.
 */
export const DENO_ALLOW_ENV = "SPICE_*,CE_*";

interface RuntimeGlobals {
  Deno?: { env: { get(name: string): string | undefined } };
  process?: { env?: Record<string, string | undefined> };
}

/**
 * The SPICE_* variables of the process environment: `Deno.env` under Deno, `process.env` under Node (and
 * Workers with nodejs_compat). A Deno run without --allow-env is a ConfigError, not a silent default: a
 * SPICE_API_TOKEN that cannot be read must not leave the routes open.
 */
export function processBindings(globals: RuntimeGlobals = globalThis as RuntimeGlobals): Bindings {
  const out: Bindings = {};
  for (const name of NAMES) {
    let value: string | undefined;
    try {
      value = globals.Deno ? globals.Deno.env.get(name) : globals.process?.env?.[name];
    } catch (err) {
      throw new ConfigError(
        `cannot read ${name}: ${(err as Error).message} (deno serve --allow-env=${DENO_ALLOW_ENV} ...)`,
      );
    }
    if (value !== undefined) out[name] = value;
  }
  return out;
}
