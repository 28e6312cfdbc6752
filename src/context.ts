import { Registry } from "prom-client";
import type { Config } from "./config.ts";
import type { Db } from "./db/client.ts";
import type { Logger } from "./log.ts";
import { Readiness } from "./readiness.ts";

/**
 * What routes, CLI commands and the trainer share in one process. Services (corpus store,
 * policy, trainer) are opened lazily by their own modules through `lazy`, so a process only
 * pays for what it uses and every caller gets the same instance.
 */
export interface AppContext {
  config: Config;
  logger: Logger;
  db: Db;
  /** Prometheus registry served on /metrics; services register their own metrics here. */
  registry: Registry;
  /** What `/readyz` reports: start-up work still running or failed. */
  readiness: Readiness;
  /** Memoise `make()` under `key` for the life of the context (concurrent callers share one promise). */
  lazy<T>(key: string, make: () => Promise<T>): Promise<T>;
  /** Register cleanup; run in reverse order by `close()`. */
  onClose(fn: () => unknown | Promise<unknown>): void;
  close(): Promise<void>;
}

export function createContext(config: Config, logger: Logger, db: Db): AppContext {
  const services = new Map<string, Promise<unknown>>();
  const closers: Array<() => unknown> = [];
  let closed = false;
  return {
    config,
    logger,
    db,
    registry: new Registry(),
    readiness: new Readiness(),
    lazy<T>(key: string, make: () => Promise<T>): Promise<T> {
      let p = services.get(key) as Promise<T> | undefined;
      if (!p) {
        p = make();
        // A failed start must not poison the slot: the next caller retries.
        p.catch(() => services.delete(key));
        services.set(key, p);
      }
      return p;
    },
    onClose(fn) {
      closers.push(fn);
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const fn of closers.reverse()) {
        try {
          await fn();
        } catch (err) {
          logger.warn({ err }, "cleanup failed");
        }
      }
    },
  };
}
