import type { LogSink } from "../log.ts";
import type { Config } from "../config.ts";

/** pino's numeric levels, so edge and `spice serve` logs filter and read alike. */
const LEVELS: Record<Config["logLevel"], number> = {
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
  silent: Number.POSITIVE_INFINITY,
};

/** An Error as JSON (pino's shape): the console of an edge runtime would print `{}` for it. */
function plain(value: unknown): unknown {
  if (!(value instanceof Error)) return value;
  return { type: value.name, message: value.message, stack: value.stack };
}

/**
 * One JSON line per record through `console.error` (the platform's log: `wrangler tail`, Deno Deploy's logs,
 * stderr under Node), filtered by SPICE_LOG_LEVEL. Web-standard: no pino, no file descriptors.
 */
export function consoleLogger(level: Config["logLevel"]): LogSink {
  const min = LEVELS[level];
  const write = (n: number, obj: Record<string, unknown>, msg: string) => {
    if (n < min) return;
    const fields = Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, plain(v)]));
    console.error(JSON.stringify({ level: n, time: Date.now(), svc: "spice-edge", ...fields, msg }));
  };
  return {
    info: (obj, msg) => write(LEVELS.info, obj, msg),
    warn: (obj, msg) => write(LEVELS.warn, obj, msg),
    error: (obj, msg) => write(LEVELS.error, obj, msg),
  };
}
