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

const text = (v: unknown): string | null => (typeof v === "string" && v.trim() !== "" ? v.trim() : null);

function policyFrom(global: Dict, own: Dict): NemoGymPolicy | null {
  const ref = own.policy_model;
  const refName = isDict(ref) && typeof ref.name === "string" ? ref.name : "policy_model";
  const entry = serverEntry(global, refName);
  if (entry) {
    const base = Array.isArray(entry.base_url) ? text(entry.base_url[0]) : text(entry.base_url);
    const common = { model: text(entry.model), apiKey: text(entry.api_key) };
    if (base) return { baseUrl: base, ...common, source: `${refName}.base_url` };
    if (text(String(entry.host ?? "")) && entry.port)
      return { baseUrl: `http://${entry.host}:${entry.port}`, ...common, source: `${refName} (the Gym model server)` };
  }
  const base = text(global.policy_base_url);
  if (base)
    return {
      baseUrl: base,
      model: text(global.policy_model_name),
      apiKey: text(global.policy_api_key),
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
  const port = Number(own.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new NemoGymConfigError(`server "${name}" has no port in NEMO_GYM_CONFIG_DICT`);
  return {
    name,
    host: text(own.host) ?? "127.0.0.1",
    port,
    settings: isDict(own.spice) ? own.spice : {},
    dataDir: text(own.data_dir),
    policy: policyFrom(global, own),
  };
}
