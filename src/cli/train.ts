import type { Command } from "commander";
import { closeSync, mkdirSync, openSync, readFileSync } from "node:fs";
import { hostname } from "node:os";
import { join, resolve } from "node:path";
import type { Config } from "../config.ts";
import { writeRunPlots } from "../experiment/run-plots.ts";
import { openContext } from "../server.ts";
import type { TrainerConfig } from "../trainer/config.ts";
import { currentHolder, describeHolder, requestCommand, type TrainerHolder } from "../trainer/lock.ts";
import { lastIteration, latestOpenRun } from "../trainer/persist.ts";
import type { StartOptions } from "../trainer/plan.ts";
import type { TrainerStatus } from "../trainer/runner.ts";
import { dataDirStatus, getTrainer } from "../trainer/service.ts";
import { listRunSummaries, type RunSummary } from "../trainer/views.ts";
import { formatDuration, iterationLine, Pace } from "./progress.ts";
import { commandConfig, exitOnKnownError, fail, intArg, loadTrainerConfigOrFail, printJson } from "./util.ts";

const logFile = (config: Config) => join(config.dataDir, "trainer.log");

function pidRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * `spice train` in this process. The trainer takes the data dir's lock (a trainer in any other process,
 * a server's included, makes it exit 2 naming it). Without --json it prints one human line per
 * committed iteration on stderr (and so in a daemon's log); with --json the JSON log lines.
 */
async function runForeground(
  config: Config,
  trainerConfig: TrainerConfig | null,
  opts: StartOptions,
  json: boolean,
): Promise<void> {
  // Human lines replace the per-iteration JSON log; warnings and errors still come as JSON.
  const ctx = openContext(
    json ? config : { ...config, logLevel: config.logLevel === "info" ? "warn" : config.logLevel },
  );
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
  const pace = new Pace(10);
  if (!json) {
    trainer.onCommit((s) => {
      if (!["running", "paused", "stopping"].includes(s.state)) return;
      pace.add(s.iteration);
      process.stderr.write(
        `${iterationLine({ iteration: s.iteration, iterations: s.iterations, metrics: s.last_metrics, secondsPerIteration: pace.perUnit() })}\n`,
      );
    });
  }
  try {
    const started = await trainer.start(trainerConfig, opts);
    pace.add(started.iteration);
    process.stderr.write(
      `spice: ${started.resumed ? "resumed" : "started"} run ${started.run_id} at iteration ${started.iteration}/${started.iterations}\n`,
    );
    await trainer.done();
  } catch (err) {
    await ctx.close();
    exitOnKnownError(err);
    fail(`trainer could not start: ${(err as Error).message}`);
  }
  const status = trainer.status();
  await ctx.close();
  if (json) printJson(status);
  else
    process.stderr.write(
      `spice: run ${status.run_id} ${status.state} at iteration ${status.iteration}/${status.iterations}${status.error ? `: ${status.error}` : ""}\n`,
    );
  process.exit(status.state === "failed" ? 1 : 0);
}

/** The live holder of the data dir's trainer lock, read without opening any service. */
function holderOf(config: Config): TrainerHolder | null {
  const ctx = openContext({ ...config, logLevel: "silent" });
  try {
    return currentHolder(ctx.db);
  } finally {
    void ctx.close();
  }
}

/**
 * Re-run this command detached (without --daemon), logging to <data>/trainer.log, and wait until the child
 * holds the trainer lock, or has exited (a refused start: its message and exit code are passed on).
 */
async function detach(config: Config): Promise<void> {
  const other = holderOf(config);
  if (other) fail(`a trainer is already running on ${config.dataDir} (${describeHolder(other)})`);
  mkdirSync(config.dataDir, { recursive: true });
  const args = process.argv.slice(1).filter((a) => a !== "--daemon");
  const log = logFile(config);
  const offset = (() => {
    try {
      return readFileSync(log).length;
    } catch {
      return 0;
    }
  })();
  const out = openSync(log, "a");
  const child = Bun.spawn([process.execPath, ...args], {
    stdio: ["ignore", out, out],
    detached: true,
    env: process.env,
  });
  closeSync(out);
  const deadline = Date.now() + 120_000;
  let exited: number | null = null;
  void child.exited.then((code) => {
    exited = code;
  });
  while (Date.now() < deadline) {
    if (exited !== null) {
      const tail = readFileSync(log).subarray(offset).toString().trim();
      process.stderr.write(`${tail}\n`);
      process.exit(exited || 1);
    }
    if (holderOf(config)?.pid === child.pid) break;
    await Bun.sleep(100);
  }
  child.unref();
  process.stdout.write(`${JSON.stringify({ pid: child.pid, log: resolve(log) })}\n`);
  process.exit(0);
}

const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v.toFixed(2) : "–");

/** `spice train status`: what trains on the data dir, in whichever process, plus the newest and the unfinished run. */
async function trainStatus(config: Config, json: boolean): Promise<void> {
  const ctx = openContext({ ...config, logLevel: "silent" });
  let status: TrainerStatus;
  let runs: RunSummary[];
  let open: ReturnType<typeof latestOpenRun>;
  let run: RunSummary | undefined;
  let last: ReturnType<typeof lastIteration>;
  try {
    status = await dataDirStatus(ctx);
    runs = listRunSummaries(ctx.db);
    open = latestOpenRun(ctx.db);
    run = (status.run_id ? runs.find((r) => r.id === status.run_id) : undefined) ?? runs.at(-1);
    last = run ? lastIteration(ctx.db, run.id) : undefined;
  } finally {
    await ctx.close();
  }
  const summary = {
    state: status.holder ? status.state : "idle",
    pid: status.holder?.pid ?? null,
    host: status.holder?.host ?? null,
    holder: status.holder,
    run_id: run?.id ?? null,
    run_status: run?.status ?? null,
    run_kind: run?.kind ?? null,
    learner: run?.learner ?? null,
    iteration: last?.iteration ?? 0,
    iterations: run?.iterations ?? null,
    resumable_run: open?.id ?? null,
    last_metrics: (last?.metrics as Record<string, unknown> | undefined) ?? null,
    runs: runs.length,
  };
  if (json) return printJson(summary);
  const h = summary.holder;
  const lines = [
    `trainer  ${h ? `${summary.state} · pid ${h.pid} on ${h.host} · since ${h.since}` : "not running"}`,
    run
      ? `run      ${run.id} (${run.learner}) · ${run.status}${!h && run.status === "running" ? " (interrupted)" : ""} · iteration ${summary.iteration}/${run.iterations ?? "?"}`
      : "run      none yet",
  ];
  const m = summary.last_metrics;
  if (m)
    lines.push(
      `last     valid ${num(m["challenger.valid_rate"])} · reasoner acc ${num(m["reasoner.accuracy"])} · p̂ ${num(m["pass_rate.mean"])}${typeof m["learner.loss"] === "number" ? ` · loss ${(m["learner.loss"] as number).toFixed(3)}` : ""}`,
    );
  const unfinished = open && !h ? ` · unfinished: ${open.id.slice(0, 8)} (\`spice train\` resumes it)` : "";
  lines.push(`runs     ${runs.length}${unfinished}`);
  process.stdout.write(`${lines.join("\n")}\n`);
}

function resolveRun(runs: RunSummary[], id: string): RunSummary {
  const hits = runs.filter((r) => r.id === id || r.id.startsWith(id));
  if (hits.length === 1) return hits[0]!;
  fail(hits.length ? `run ${id} is ambiguous (${hits.length} runs start with it)` : `no run ${id} (see spice runs)`);
}

export function registerTrain(program: Command): void {
  const train = program
    .command("train")
    .description(
      "run the self-play loop: resumes the newest unfinished run, or refuses a --config that differs from it (see --resume / --new-run)",
    )
    .option("--config <file>", "trainer configuration (JSON; see docs/trainer.md); none: resume, or the defaults")
    .option("--new-run", "start a new run even when an unfinished one exists", false)
    .option("--resume", "continue the newest unfinished run with its stored configuration (ignores --config)", false)
    .option("--daemon", "detach: log to <data>/trainer.log; returns once the trainer holds the lock", false)
    .option("--json", "JSON log lines per iteration instead of human lines, and the final status as JSON", false)
    .addHelpText(
      "after",
      "\nOne trainer per data dir, in any process: a second one (another `spice train`, `spice serve --train`,\nPOST /v1/trainer/start) exits 2 naming the holder. A --config that differs from the unfinished run's\nexits 2 naming the keys: add --resume to continue that run as it was, or --new-run to start afresh.",
    )
    .action(
      async (
        opts: { config?: string; newRun: boolean; resume: boolean; daemon: boolean; json: boolean },
        cmd: Command,
      ) => {
        const config = commandConfig(cmd);
        if (opts.newRun && opts.resume) fail("--new-run and --resume exclude each other");
        const trainerConfig = opts.config ? await loadTrainerConfigOrFail(opts.config, config) : null;
        if (opts.daemon) return detach(config);
        await runForeground(config, trainerConfig, { newRun: opts.newRun, resume: opts.resume }, opts.json);
      },
    );

  train
    .command("status")
    .description("what trains on this data dir (in any process): state, holder, run, last iteration and metrics")
    .option("--json", "print JSON", false)
    .action(async (_opts: unknown, cmd: Command) => {
      // `--json` may land on the parent `train` command, which has the same flag.
      const opts = cmd.optsWithGlobals() as { json?: boolean };
      await trainStatus(commandConfig(cmd), !!opts.json);
    });

  train
    .command("stop")
    .description(
      "ask the trainer of this data dir to stop (in whichever process, a server's too) and wait until it has",
    )
    .option("--timeout <seconds>", "how long to wait", intArg("--timeout", 1, 86_400), 120)
    .action(async (opts: { timeout: number }, cmd: Command) => {
      const config = commandConfig(cmd);
      const ctx = openContext({ ...config, logLevel: "silent" });
      try {
        const holder = requestCommand(ctx.db, "stop");
        if (!holder) {
          process.stderr.write("spice: no trainer is running on this data dir\n");
          return;
        }
        process.stderr.write(`spice: asked the trainer to stop (${describeHolder(holder)})\n`);
        const deadline = Date.now() + opts.timeout * 1000;
        const t0 = Date.now();
        while (Date.now() < deadline) {
          const now = currentHolder(ctx.db);
          if (!now || now.pid !== holder.pid || now.host !== holder.host) {
            process.stderr.write(`spice: trainer stopped after ${formatDuration((Date.now() - t0) / 1000)}\n`);
            return;
          }
          await Bun.sleep(100);
        }
        const local = holder.host === hostname() && pidRuns(holder.pid);
        fail(
          `the trainer (${describeHolder(holder)}) did not stop within ${opts.timeout}s${local ? `; kill -TERM ${holder.pid} rolls its iteration back` : ""}`,
        );
      } finally {
        await ctx.close();
      }
    });

  train
    .command("plot")
    .description("write a run's plots (the experiment report's PNGs: accuracy, challenger reward, valid rate, p̂)")
    .argument("<run>", "run id (or a unique prefix; see spice runs)")
    .requiredOption("--out <dir>", "folder for the PNG files")
    .action(async (runArg: string, opts: { out: string }, cmd: Command) => {
      const ctx = openContext({ ...commandConfig(cmd), logLevel: "silent" });
      try {
        const run = resolveRun(listRunSummaries(ctx.db), runArg);
        for (const path of await writeRunPlots(ctx.db, run.id, opts.out)) process.stdout.write(`${path}\n`);
      } finally {
        await ctx.close();
      }
    });
}

/** `spice runs`: every run on the data dir, newest last. */
export function registerRuns(program: Command): void {
  program
    .command("runs")
    .description("list the training runs on this data dir: id, kind, state, start, iterations, corpus hash")
    .option("--json", "print JSON", false)
    .action(async (opts: { json: boolean }, cmd: Command) => {
      const ctx = openContext({ ...commandConfig(cmd), logLevel: "silent" });
      const runs = listRunSummaries(ctx.db);
      const holder = currentHolder(ctx.db);
      await ctx.close();
      if (opts.json) return printJson({ runs, holder });
      if (!runs.length) return void process.stdout.write("no runs yet (spice train --config train.json)\n");
      const rows = runs.map((r) => [
        r.id,
        r.learner,
        r.status +
          (holder?.run_id === r.id
            ? ` (pid ${holder.pid})`
            : !holder && r.status === "running"
              ? " (interrupted)"
              : ""),
        r.createdAt.toISOString().replace("T", " ").slice(0, 19),
        `${r.iterations_committed}/${r.iterations ?? "?"}`,
        (r.corpusHash ?? "–").replace(/^sha256:/, "").slice(0, 12),
      ]);
      const head = ["RUN", "KIND", "STATE", "STARTED (UTC)", "ITER", "CORPUS"];
      const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
      const line = (cells: string[]) =>
        cells
          .map((c, i) => c.padEnd(widths[i]!))
          .join("  ")
          .trimEnd();
      process.stdout.write(`${[line(head), ...rows.map(line)].join("\n")}\n`);
    });
}
