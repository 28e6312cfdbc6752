import type { Command } from "commander";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Config } from "../config.ts";
import { openContext } from "../server.ts";
import type { TrainerConfig } from "../trainer/config.ts";
import { lastIteration, latestOpenRun, listRuns } from "../trainer/persist.ts";
import { getTrainer } from "../trainer/service.ts";
import { commandConfig, fail, intArg, loadTrainerConfigOrFail, printJson } from "./util.ts";

const pidFile = (config: Config) => join(config.dataDir, "trainer.pid");
const logFile = (config: Config) => join(config.dataDir, "trainer.log");

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The pid of a live trainer on this data dir; a stale pid file (crashed process) is ignored. */
export function runningTrainerPid(config: Config): number | null {
  const path = pidFile(config);
  if (!existsSync(path)) return null;
  const pid = Number(readFileSync(path, "utf8").trim());
  return Number.isInteger(pid) && pid > 0 && isAlive(pid) ? pid : null;
}

async function runForeground(
  config: Config,
  trainerConfig: TrainerConfig,
  newRun: boolean,
  json: boolean,
): Promise<void> {
  acquirePidFile(config);
  const ctx = openContext(config);
  ctx.onClose(() => rmSync(pidFile(config), { force: true }));
  const trainer = await getTrainer(ctx);
  let signalled = false;
  const onSignal = (signal: string) => {
    if (signalled) process.exit(130);
    signalled = true;
    process.stderr.write(`spice: ${signal}: rolling back the iteration in progress and stopping\n`);
    void trainer.stop();
  };
  process.on("SIGTERM", () => onSignal("SIGTERM"));
  process.on("SIGINT", () => onSignal("SIGINT"));
  try {
    const started = await trainer.start(trainerConfig, { newRun });
    process.stderr.write(
      `spice: ${started.resumed ? "resumed" : "started"} run ${started.run_id} at iteration ${started.iteration}/${started.iterations}\n`,
    );
    await trainer.done();
  } catch (err) {
    await ctx.close();
    fail(`trainer could not start: ${(err as Error).message}`);
  }
  const status = trainer.status();
  await ctx.close();
  if (json) printJson(status);
  else
    process.stderr.write(
      `spice: run ${status.run_id} ${status.state} at iteration ${status.iteration}/${status.iterations}\n`,
    );
  process.exit(status.state === "failed" ? 1 : 0);
}

/**
 * One trainer per data dir: the pid file is created exclusively, so two trainers started at the
 * same moment cannot both win; a pid file left by a killed process is taken over.
 */
function acquirePidFile(config: Config): void {
  mkdirSync(config.dataDir, { recursive: true });
  const path = pidFile(config);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, "wx");
      writeFileSync(fd, String(process.pid));
      closeSync(fd);
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const other = runningTrainerPid(config);
      if (other)
        fail(`a trainer is already running on ${config.dataDir} (pid ${other}); stop it with \`spice train stop\``);
      rmSync(path, { force: true });
    }
  }
  fail(`could not take the trainer lock ${path}`);
}

/** Re-run this command detached, without --daemon, logging to <data>/trainer.log. */
function detach(config: Config): void {
  const other = runningTrainerPid(config);
  if (other) fail(`a trainer is already running on ${config.dataDir} (pid ${other})`);
  mkdirSync(config.dataDir, { recursive: true });
  const args = process.argv.slice(1).filter((a) => a !== "--daemon");
  const out = openSync(logFile(config), "a");
  const child = Bun.spawn([process.execPath, ...args], {
    stdio: ["ignore", out, out],
    detached: true,
    env: process.env,
  });
  child.unref();
  closeSync(out);
  process.stdout.write(
    `${JSON.stringify({ pid: child.pid, log: resolve(logFile(config)), pid_file: resolve(pidFile(config)) })}\n`,
  );
}

export function registerTrain(program: Command): void {
  const train = program
    .command("train")
    .description("run the self-play loop; resumes the newest unfinished run on this data dir")
    .option("--config <file>", "trainer configuration (JSON; see docs/trainer.md); defaults when omitted")
    .option("--new-run", "start a new run instead of resuming the unfinished one", false)
    .option("--daemon", "detach: write <data>/trainer.pid and log to <data>/trainer.log", false)
    .option("--json", "print the final status as JSON", false)
    .action(async (opts: { config?: string; newRun: boolean; daemon: boolean; json: boolean }, cmd: Command) => {
      const config = commandConfig(cmd);
      const trainerConfig = await loadTrainerConfigOrFail(opts.config);
      if (opts.daemon) return detach(config);
      await runForeground(config, trainerConfig, opts.newRun, opts.json);
    });

  train
    .command("status")
    .description("state of the trainer on this data dir: pid, newest run, last committed iteration")
    .option("--json", "print JSON", false)
    .action((_opts: unknown, cmd: Command) => {
      // `--json` may land on the parent `train` command, which has the same flag.
      const opts = cmd.optsWithGlobals() as { json?: boolean };
      const config = commandConfig(cmd);
      const ctx = openContext({ ...config, logLevel: "silent" });
      const runs = listRuns(ctx.db);
      const newest = runs.at(-1);
      const open = latestOpenRun(ctx.db);
      const last = newest ? lastIteration(ctx.db, newest.id) : undefined;
      const status = {
        pid: runningTrainerPid(config),
        run_id: newest?.id ?? null,
        run_status: newest?.status ?? null,
        run_kind: newest?.kind ?? null,
        iteration: last?.iteration ?? 0,
        iterations: (newest?.config as TrainerConfig | undefined)?.iterations ?? null,
        resumable_run: open?.id ?? null,
        last_metrics: last?.metrics ?? null,
        runs: runs.length,
      };
      void ctx.close();
      if (opts.json) printJson(status);
      else
        process.stdout.write(
          `trainer: ${status.pid ? `running (pid ${status.pid})` : "not running"}\n` +
            `run: ${status.run_id ?? "none"} ${status.run_kind ?? ""} ${status.run_status ?? ""} iteration ${status.iteration}/${status.iterations ?? "?"}\n`,
        );
    });

  train
    .command("stop")
    .description("ask the running trainer to stop (SIGTERM) and wait until it has")
    .option("--timeout <seconds>", "how long to wait", intArg("--timeout", 1, 86_400), 120)
    .action(async (opts: { timeout: number }, cmd: Command) => {
      const config = commandConfig(cmd);
      const pid = runningTrainerPid(config);
      if (!pid) {
        process.stderr.write("spice: no trainer is running on this data dir\n");
        return;
      }
      process.kill(pid, "SIGTERM");
      const deadline = Date.now() + opts.timeout * 1000;
      while (isAlive(pid) && Date.now() < deadline) await Bun.sleep(100);
      if (isAlive(pid)) fail(`trainer (pid ${pid}) did not stop within ${opts.timeout}s`);
      process.stderr.write(`spice: trainer (pid ${pid}) stopped\n`);
    });
}
