import { z } from "zod";
import { POLICY_ENDPOINTS } from "./policy/types.ts";
import { PolicyUrlsSchema } from "./policy/urls.ts";

/**
 * Process settings (docs/method.md §3.4). One schema, read once at start-up from the environment
 * (`SPICE_*`) and overridden by kebab-case CLI flags. Every failure names the setting in
 * both spellings so the user knows what to fix wherever they set it.
 */
export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;
export const DEVICES = ["cpu", "cuda", "webgpu", "auto"] as const;

export const optionalString = z
  .string()
  .trim()
  .transform((s) => (s === "" ? undefined : s))
  .optional();

/** Least estimated entropy of SPICE_API_TOKEN: 64 bits, which at the 16-character minimum means 16 distinct characters. */
export const MIN_TOKEN_BITS = 64;

/**
 * Why a bearer token is too guessable, or null: one character repeated, or under MIN_TOKEN_BITS of estimated
 * entropy (its length times the Shannon entropy of its bytes). A random `openssl rand -hex 32` or
 * `-base64 32` token is far above it; `aaaaaaaabbbbbbbb` or `password12345678` is not.
 */
export function tokenWeakness(token: string): string | null {
  const bytes = new TextEncoder().encode(token);
  const counts = new Map<number, number>();
  for (const b of bytes) counts.set(b, (counts.get(b) ?? 0) + 1);
  if (counts.size <= 1) return "is one character repeated; use a random token (e.g. `openssl rand -hex 32`)";
  let perByte = 0;
  for (const n of counts.values()) perByte -= (n / bytes.length) * Math.log2(n / bytes.length);
  const bits = Math.floor(perByte * bytes.length + 1e-9);
  if (bits < MIN_TOKEN_BITS) {
    return `has too little variety (${counts.size} distinct bytes, about ${bits} bits of entropy; at least ${MIN_TOKEN_BITS} needed, i.e. 16 distinct characters at the minimum length); use a random token (e.g. \`openssl rand -hex 32\`)`;
  }
  return null;
}

export const ConfigSchema = z.object({
  host: z.string().trim().min(1).default("127.0.0.1"),
  port: z.coerce.number().int().min(0).max(65535).default(8787),
  dataDir: z.string().trim().min(1).default("data"),
  model: optionalString,
  policyUrl: optionalString.pipe(PolicyUrlsSchema.optional()),
  policyModel: optionalString,
  policyEndpoint: z.enum(POLICY_ENDPOINTS).default("completions"),
  policyApiKey: optionalString,
  device: z.enum(DEVICES).default("cpu"),
  apiToken: optionalString.pipe(
    z
      .string()
      .min(16, "must be at least 16 characters")
      .superRefine((token, c) => {
        const weak = tokenWeakness(token);
        if (weak) c.addIssue({ code: "custom", message: weak });
      })
      .optional(),
  ),
  logLevel: z.enum(LOG_LEVELS).default("info"),
  maxBody: z.coerce
    .number()
    .int()
    .min(1024)
    .default(10 * 1024 * 1024),
});

export type Config = z.infer<typeof ConfigSchema>;
export type ConfigKey = keyof Config;

/** Setting name → environment variable and flag, the contract of docs/method.md §3.4. */
export const SETTINGS: Record<ConfigKey, { env: string; flag: string; help: string }> = {
  host: { env: "SPICE_HOST", flag: "--host", help: "interface to listen on (default 127.0.0.1)" },
  port: { env: "SPICE_PORT", flag: "--port", help: "HTTP port (default 8787)" },
  dataDir: {
    env: "SPICE_DATA_DIR",
    flag: "--data-dir",
    help: "runtime state: SQLite, LanceDB, models (default data/)",
  },
  model: {
    env: "SPICE_MODEL",
    flag: "--model",
    help: "local transformers.js model folder (default: the built spice-lm-tiny)",
  },
  policyUrl: {
    env: "SPICE_POLICY_URL",
    flag: "--policy-url",
    help: "OpenAI-compatible base URL, or several comma-separated replicas of one model; replaces the in-process model",
  },
  policyModel: {
    env: "SPICE_POLICY_MODEL",
    flag: "--policy-model",
    help: "the served model's name at SPICE_POLICY_URL (default: the only model the server lists)",
  },
  policyEndpoint: {
    env: "SPICE_POLICY_ENDPOINT",
    flag: "--policy-endpoint",
    help: "completions (default: prompts rendered here) | chat (messages; the server applies its chat template)",
  },
  policyApiKey: {
    env: "SPICE_POLICY_API_KEY",
    flag: "--policy-api-key",
    help: "bearer key sent to the policy server",
  },
  device: { env: "SPICE_DEVICE", flag: "--device", help: "cpu (default) | cuda | webgpu | auto" },
  apiToken: {
    env: "SPICE_API_TOKEN",
    flag: "--api-token",
    help: "bearer token guarding /v1/* (required on non-loopback hosts)",
  },
  logLevel: {
    env: "SPICE_LOG_LEVEL",
    flag: "--log-level",
    help: "trace | debug | info (default) | warn | error | fatal | silent",
  },
  maxBody: {
    env: "SPICE_MAX_BODY",
    flag: "--max-body",
    help: "largest accepted request body in bytes (default 10 MiB)",
  },
};

/** Settings never echoed in an error message. */
const SECRET_KEYS: ReadonlySet<ConfigKey> = new Set(["apiToken", "policyApiKey"]);

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Flags as commander gives them (camelCase keys); unknown keys are ignored. */
export type ConfigFlags = Partial<Record<ConfigKey, string | number | undefined>>;

export function loadConfig(flags: ConfigFlags = {}, env: Record<string, string | undefined> = process.env): Config {
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(SETTINGS) as ConfigKey[]) {
    const fromFlag = flags[key];
    const fromEnv = env[SETTINGS[key].env];
    const value = fromFlag ?? fromEnv;
    if (value !== undefined) raw[key] = value;
  }
  const parsed = ConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const key = String(issue.path[0] ?? "") as ConfigKey;
    const s = SETTINGS[key];
    const where = s ? `${s.env} / ${s.flag}` : key || "configuration";
    const given =
      key && raw[key] !== undefined ? ` (got ${JSON.stringify(SECRET_KEYS.has(key) ? "***" : raw[key])})` : "";
    throw new ConfigError(`invalid setting ${where}: ${issue.message}${given}`);
  }
  return parsed.data;
}

const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost", "[::1]"]);

export function isLoopback(host: string): boolean {
  return LOOPBACK.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Serving beyond loopback without a token would expose the trainer controls to the network. */
export function assertServable(config: Config): void {
  if (!isLoopback(config.host) && !config.apiToken) {
    throw new ConfigError(
      `refusing to listen on non-loopback host ${config.host} without SPICE_API_TOKEN / --api-token`,
    );
  }
}
