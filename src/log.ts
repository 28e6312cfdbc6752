import pino from "pino";
import type { Config } from "./config.ts";

export type Logger = pino.Logger;

/** Structured JSON logs on stderr, so stdout stays free for command output (JSON Lines, --json). */
export function createLogger(level: Config["logLevel"] = "info"): Logger {
  return pino({ level, base: { svc: "spice" } }, pino.destination({ fd: 2, sync: true }));
}
