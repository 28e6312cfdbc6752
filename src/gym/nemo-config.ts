/**
 * What `spice gym serve --nemo-gym` reads from NeMo-Gym's launcher: the global config (YAML, in
 * NEMO_GYM_CONFIG_DICT) and this server's own top-level name (NEMO_GYM_CONFIG_PATH). Every server entry sits three
 * levels deep, `<name>: <server type>: <implementation>: {host, port, …}`, and refers to other servers by
 * `{type, name}` refs; the policy model is the `policy_model` ref (NeMo-Gym's convention for the trained model).
 */

export class NemoGymConfigError extends Error {
  override name = "NemoGymConfigError";
}

export interface NemoGymPolicy {
  /** The OpenAI-compatible base URL: the policy server's vLLM (`base_url`), else the Gym model server itself. */
  baseUrl: string;
  model: string | null;
  apiKey: string | null;
  /** Where the URL came from, for the log line. */
  source: string;
}

export interface NemoGymPlacement {
  name: string;
  host: string;
  port: number;
  /** The entry's `spice` block: gym settings (docs/gym.md#settings). */
  settings: Record<string, unknown>;
  /** The entry's `data_dir`, if set. */
  dataDir: string | null;
  policy: NemoGymPolicy | null;
}

type Dict = Record<string, unknown>;
const isDict = (v: unknown): v is Dict => v !== null && typeof v === "object" && !Array.isArray(v);

/** `<name>: <type>: <impl>: {…}` → the innermost dict (NeMo-Gym's get_first_server_config_dict). */
function serverEntry(global: Dict, name: string): Dict | null {
  const byType = global[name];
  if (!isDict(byType)) return null;
  const byImpl = Object.values(byType)[0];
  if (!isDict(byImpl)) return null;
  const entry = Object.values(byImpl)[0];
  return isDict(entry) ? entry : null;
}

/**
 * OmegaConf interpolations, which the launcher leaves unresolved in the YAML it hands down: `${a.b}` (a path in
 * the global config) and `${oc.env:VAR,default}`. Anything else stays as written.
 */
function resolve(value: unknown, global: Dict, env: Record<string, string | undefined>, depth = 0): unknown {
  if (typeof value !== "string" || depth > 8) return value;
  const whole = /^\$\{([^}]+)\}$/.exec(value);
  const lookup = (expr: string): unknown => {
    const e = /^oc\.env:([^,]+)(?:,(.*))?$/.exec(expr.trim());
    if (e) return env[e[1]!.trim()] ?? e[2]?.trim() ?? null;
    let cur: unknown = global;
    for (const part of expr.trim().split(".")) cur = isDict(cur) ? cur[part] : undefined;
    return resolve(cur, global, env, depth + 1);
  };
  if (whole) return lookup(whole[1]!);
  return value.replace(/\$\{([^}]+)\}/g, (m, expr: string) => {
    const v = lookup(expr);
    return v === undefined || v === null ? m : String(v);
  });
}

const text = (v: unknown): string | null => (typeof v === "string" && v.trim() !== "" ? v.trim() : null);

function policyFrom(global: Dict, own: Dict, env: Record<string, string | undefined>): NemoGymPolicy | null {
  const r = (v: unknown) => resolve(v, global, env);
  const ref = own.policy_model;
  const refName = isDict(ref) && typeof ref.name === "string" ? ref.name : "policy_model";
  const entry = serverEntry(global, refName);
  if (entry) {
    const urls = r(entry.base_url);
    const base = Array.isArray(urls) ? text(r(urls[0])) : text(urls);
    const common = { model: text(r(entry.model)), apiKey: text(r(entry.api_key)) };
    if (base) return { baseUrl: base, ...common, source: `${refName}.base_url` };
    const host = text(r(entry.host));
    const port = r(entry.port);
    if (host && port)
      return { baseUrl: `http://${host}:${port}`, ...common, source: `${refName} (the Gym model server)` };
  }
  const base = text(r(global.policy_base_url));
  if (base)
    return {
      baseUrl: base,
      model: text(r(global.policy_model_name)),
      apiKey: text(r(global.policy_api_key)),
      source: "policy_base_url",
    };
  return null;
}

/** Reads the launcher's variables; throws NemoGymConfigError naming what is missing. */
export function readNemoGymPlacement(env: Record<string, string | undefined> = process.env): NemoGymPlacement {
  const yaml = env.NEMO_GYM_CONFIG_DICT;
  const name = env.NEMO_GYM_CONFIG_PATH;
  if (!yaml || !name)
    throw new NemoGymConfigError(
      "--nemo-gym needs NEMO_GYM_CONFIG_DICT and NEMO_GYM_CONFIG_PATH (set by NeMo-Gym's launcher when it runs app.py)",
    );
  let global: unknown;
  try {
    global = Bun.YAML.parse(yaml);
  } catch (err) {
    throw new NemoGymConfigError(`NEMO_GYM_CONFIG_DICT is not YAML: ${(err as Error).message}`);
  }
  if (!isDict(global)) throw new NemoGymConfigError("NEMO_GYM_CONFIG_DICT is not a mapping");
  const own = serverEntry(global, name);
  if (!own) throw new NemoGymConfigError(`NEMO_GYM_CONFIG_DICT has no server entry "${name}" (NEMO_GYM_CONFIG_PATH)`);
  const r = (v: unknown) => resolve(v, global as Dict, env);
  const port = Number(r(own.port));
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new NemoGymConfigError(`server "${name}" has no port in NEMO_GYM_CONFIG_DICT`);
  return {
    name,
    host: text(r(own.host)) ?? "127.0.0.1",
    port,
    settings: isDict(own.spice) ? Object.fromEntries(Object.entries(own.spice).map(([k, v]) => [k, r(v)])) : {},
    dataDir: text(r(own.data_dir)),
    policy: policyFrom(global, own, env),
  };
}
