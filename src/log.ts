import pino from "pino";
import type { Config } from "./config.ts";

export type Logger = pino.Logger;

/**
 * The part of a logger that code shared with the edge build calls (the request log, error handling, the
 * reasoner's stream): pino's Logger is one, and so is the edge build's console logger (src/edge/log.ts).
 */
export interface LogSink {
  info(obj: Record<string, unknown>, msg: string): void;
  warn(obj: Record<string, unknown>, msg: string): void;
  error(obj: Record<string, unknown>, msg: string): void;
}

/** Structured JSON logs on stderr, so stdout stays free for command output (JSON Lines, --json). */
export function createLogger(level: Config["logLevel"] = "info"): Logger {
  return pino({ level, base: { svc: "spice" } }, pino.destination({ fd: 2, sync: true }));
}
