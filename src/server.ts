import { createApp } from "./app.ts";
import { assertServable, type Config } from "./config.ts";
import { createContext, type AppContext } from "./context.ts";
import { dbPath, openDb } from "./db/client.ts";
import { createLogger } from "./log.ts";

export interface RunningServer {
  ctx: AppContext;
  url: string;
  port: number;
  /** Stop accepting, let in-flight requests finish, then release every service. */
  stop(): Promise<void>;
}

/** Open state and services for a process (server, CLI command or daemon). */
export function openContext(config: Config): AppContext {
  const logger = createLogger(config.logLevel);
  const db = openDb(dbPath(config.dataDir));
  const ctx = createContext(config, logger, db);
  ctx.onClose(() => db.$client.close());
  return ctx;
}

/**
 * Work done after the port is open, so /healthz answers at once: building the default model
 * and ingesting the sample corpus on first use. Each task logs and never takes the server down.
 * `/readyz` answers 503 until every task with `gatesReadiness` (the default) has finished, and
 * stays 503, naming it, after one failed.
 */
export type StartupTask = { name: string; run: (ctx: AppContext) => Promise<unknown>; gatesReadiness?: boolean };

export async function startServer(config: Config, startup: StartupTask[] = []): Promise<RunningServer> {
  assertServable(config);
  const ctx = openContext(config);
  const gating = new Set(startup.filter((t) => t.gatesReadiness !== false).map((t) => t.name));
  for (const name of gating) ctx.readiness.expect(name);
  const app = createApp(ctx);
  const server = Bun.serve({ hostname: config.host, port: config.port, fetch: app.fetch, idleTimeout: 255 });
  const url = `http://${config.host.includes(":") ? `[${config.host}]` : config.host}:${server.port}`;
  ctx.logger.info({ url, dataDir: config.dataDir }, "listening");
  // In order (the corpus needs the encoder the first task builds), in the background.
  void (async () => {
    for (const task of startup) {
      const t0 = performance.now();
      try {
        await task.run(ctx);
        if (gating.has(task.name)) ctx.readiness.done(task.name);
        ctx.logger.info({ task: task.name, ms: Math.round(performance.now() - t0) }, "startup task done");
      } catch (err) {
        if (gating.has(task.name)) ctx.readiness.fail(task.name, err);
        ctx.logger.error({ task: task.name, err }, "startup task failed");
      }
    }
  })();
  let stopping: Promise<void> | undefined;
  return {
    ctx,
    url,
    port: server.port!,
    stop() {
      stopping ??= (async () => {
        await server.stop();
        await ctx.close();
      })();
      return stopping;
    },
  };
}

/** SIGTERM/SIGINT: drain and exit 0; a second signal exits at once. */
export function stopOnSignals(running: RunningServer): void {
  let signalled = false;
  const onSignal = (signal: string) => {
    if (signalled) process.exit(130);
    signalled = true;
    running.ctx.logger.info({ signal }, "shutting down");
    running.stop().then(
      () => process.exit(0),
      (err) => {
        running.ctx.logger.error({ err }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => onSignal("SIGTERM"));
  process.on("SIGINT", () => onSignal("SIGINT"));
}
