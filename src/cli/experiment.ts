import type { Command } from "commander";
import { InvalidArgumentError, Option } from "commander";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { loadConfig } from "../config.ts";
import { EXPERIMENT_CONFIGS, type ExperimentConfigName } from "../experiment/configs.ts";
import { prepareExperiment } from "../experiment/prepare.ts";
import { PRESETS, type SweepVariant } from "../experiment/presets.ts";
import { writeReport, writeSweepReport } from "../experiment/report.ts";
import { pairKey, readPairResult, runPair, runTasks, type PairResult } from "../experiment/run.ts";
import { dbPath, openDb } from "../db/client.ts";
import { lastIteration } from "../trainer/persist.ts";
import { openContext } from "../server.ts";
import { commandConfig, fail, printJson } from "./util.ts";
import { formatDuration, Progress } from "./progress.ts";

const CLI = join(import.meta.dir, "main.ts");

/**
 * A few valid tasks from each configuration's first run, how many valid tasks any rollout answered
 * as the gold, and the late runs' most frequent gold: from the result files (`tasks`), or from this
 * work dir's database for results written before they carried it.
 */
function taskExamples(dataDir: string, results: PairResult[]): NonNullable<Parameters<typeof writeReport>[0]["tasks"]> {
  const db = openDb(dbPath(dataDir));
  try {
    const withTasks = results.map((r) => {
      if (r.tasks) return { r, t: r.tasks };
      const last = Math.max(0, ...r.metrics.map((m) => m.iteration ?? 0));
      return { r, t: runTasks(db, r.run_id, last) };
    });
    const firstOfConfig = [...new Map(withTasks.map((x) => [x.r.config, x])).values()];
    const examples = firstOfConfig.flatMap(({ r, t }) => t.examples.map((e) => ({ config: r.config, ...e })));
    const late = withTasks.flatMap(({ t }) => t.late_golds);
    const freq = [...Map.groupBy(late, (a) => a).entries()].sort((a, b) => b[1].length - a[1].length)[0];
    const topGold = freq ? { answer: freq[0], share: freq[1].length / late.length, tasks: late.length } : null;
    return {
      examples,
      valid: withTasks.reduce((n, { t }) => n + t.valid, 0),
      answeredOnce: withTasks.reduce((n, { t }) => n + t.answered_once, 0),
      topGold,
    };
  } finally {
    db.$client.close();
  }
}

/** The last committed iteration of a pair's run (0 before it has one). */
function committedIteration(
  dataDir: string,
  progressFile: string,
  config: string,
  seed: number,
  variant?: string,
): number {
  if (!existsSync(progressFile)) return 0;
  const runId = (JSON.parse(readFileSync(progressFile, "utf8")) as Record<string, { run_id: string }>)[
    pairKey(config, seed, variant)
  ]?.run_id;
  if (!runId) return 0;
  const db = openDb(dbPath(dataDir));
  try {
    return lastIteration(db, runId)?.iteration ?? 0;
  } finally {
    db.$client.close();
  }
}
const PAIR_ATTEMPTS = 4;

function listArg<T extends string>(name: string, allowed: readonly T[]) {
  return (value: string): T[] => {
    const items = value
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);
    const bad = items.filter((i) => !allowed.includes(i as T));
    if (items.length === 0 || bad.length)
      throw new InvalidArgumentError(
        `${name}: unknown ${bad.join(", ") || "(empty)"}; choose from ${allowed.join(", ")}.`,
      );
    return items as T[];
  };
}

function seedsArg(value: string): number[] {
  const seeds = value.split(",").map((s) => Number(s.trim()));
  if (seeds.length === 0 || seeds.some((s) => !Number.isInteger(s) || s < 0))
    throw new InvalidArgumentError("--seeds must be a comma-separated list of non-negative integers.");
  return seeds;
}

export function registerExperiment(program: Command): void {
  program
    .command("experiment")
    .description(
      "run named SPICE configurations with seeds from a warm start on the toy world, evaluate on held-out tasks, write a report with plots",
    )
    .option("--preset <name>", `experiment preset: ${Object.keys(PRESETS).join(" | ")}`, "default")
    .option(
      "--configs <list>",
      `comma-separated configurations (default: the preset's): ${EXPERIMENT_CONFIGS.join(", ")}`,
      listArg("--configs", EXPERIMENT_CONFIGS),
    )
    .option("--seeds <list>", "comma-separated seeds (default: the preset's)", seedsArg)
    .option("--out <dir>", "where report.md, plots/ and results/ go (default docs/experiments/<preset>)")
    .option(
      "--work <dir>",
      "working state: world, corpus, warm-start model, runs (default <data-dir>/experiments/<preset>)",
    )
    .option(
      "--warm-model <dir>",
      "use this model folder as the warm start instead of training it (it must come from this preset's world)",
    )
    .option(
      "--sweep",
      "run the preset's update-size sweep (oracle_challenger with each variant's learning rate / minibatch / epochs) and write sweep.md",
      false,
    )
    .option(
      "--report-only",
      "run nothing: write the report from the result files present, naming the pairs that have none",
      false,
    )
    .option("--json", "print the per-pair results as JSON at the end", false)
    .option("--variant <label>", "with --sweep: run only this variant (its label in the preset's sweep)")
    .addOption(
      new Option(
        "--pair-only",
        "run the single --configs/--seeds pair in this process (used by the driver)",
      ).hideHelp(),
    )
    .action(
      async (
        opts: {
          preset: string;
          configs?: ExperimentConfigName[];
          seeds?: number[];
          out?: string;
          work?: string;
          warmModel?: string;
          json: boolean;
          sweep: boolean;
          reportOnly: boolean;
          variant?: string;
          pairOnly?: boolean;
        },
        cmd: Command,
      ) => {
        const settings = commandConfig(cmd);
        const preset = PRESETS[opts.preset];
        if (!preset) fail(`unknown --preset ${opts.preset}; choose from ${Object.keys(PRESETS).join(", ")}`);
        const configs: ExperimentConfigName[] = opts.sweep ? ["oracle_challenger"] : (opts.configs ?? preset.configs);
        if (opts.sweep && preset.sweep.length === 0) fail(`--sweep: preset ${preset.name} has no sweep variants`);
        // A pair is a configuration, or (with --sweep) a variant of oracle_challenger.
        const variantOf = (label?: string) => preset.sweep.find((v) => v.label === label);
        // --variant narrows a sweep to one variant (e.g. to run variants side by side in separate work dirs).
        const variants: Array<SweepVariant | undefined> = opts.sweep
          ? opts.variant
            ? [variantOf(opts.variant)]
            : preset.sweep
          : [undefined];
        if (opts.variant && !variantOf(opts.variant))
          fail(`--variant ${opts.variant}: not a sweep variant of ${preset.name}`);
        const seeds = opts.seeds ?? preset.seeds;
        const workDir = resolve(opts.work ?? join(settings.dataDir, "experiments", preset.name));
        const outDir = resolve(opts.out ?? join("docs", "experiments", preset.name));
        const log = (line: string) => process.stderr.write(`experiment: ${line}\n`);
        const open = (dataDir: string, model?: string) =>
          openContext(
            loadConfig(
              { ...settings, dataDir, model, logLevel: settings.logLevel === "info" ? "warn" : settings.logLevel },
              {},
            ),
          );

        if (opts.warmModel && !existsSync(join(opts.warmModel, "onnx", "model.onnx")))
          fail(`--warm-model ${opts.warmModel}: not a model folder (no onnx/model.onnx)`);
        const prepared = await prepareExperiment(preset, workDir, open, log, { warmModel: opts.warmModel });
        log(`warm start ready: ${prepared.warmModel}; ${prepared.evalItems.length} held-out items`);
        const resultsDir = join(outDir, "results");
        const progressFile = join(workDir, "progress.json");

        if (opts.pairOnly) {
          // Child mode: one (configuration, seed) pair in this process, then exit.
          const ctx = open(prepared.dataDir, prepared.warmModel);
          const bar = new Progress(`experiment ${configs[0]} seed ${seeds[0]}`, null);
          try {
            const variant = variantOf(opts.variant);
            await runPair({
              ctx,
              preset,
              config: configs[0]!,
              ...(variant ? { variant } : {}),
              seed: seeds[0]!,
              warmModel: prepared.warmModel,
              oracleTasks: prepared.oracleTasks,
              reasonerPairs: prepared.reasonerPairs,
              evalItems: prepared.evalItems,
              workDir,
              resultsDir,
              progressFile,
              log: (line) => bar.log(`experiment: ${line}`),
              onIteration: (iteration, iterations) => bar.update(iteration, "iterations", iterations),
            });
          } finally {
            bar.finish();
            await ctx.close();
          }
          process.exit(0);
        }

        // Each pair runs in its own process: jax-js's wasm heap only grows, so one process per pair
        // keeps every run far from its 4 GiB ceiling, and a pair whose process dies is resumed from
        // its last committed iteration by the next attempt.
        const results: PairResult[] = [];
        const missing: string[] = [];
        // One line per finished pair, with the ETA of the rest at the pace of the pairs run so far.
        const total = seeds.length * configs.length * variants.length;
        let finished = 0;
        let ranSeconds = 0;
        let ran = 0;
        for (const seed of seeds) {
          for (const config of configs) {
            for (const v of variants) {
              const label = v?.label;
              const name = label ? `${config}@${label}` : config;
              let done = readPairResult(resultsDir, config, seed, label);
              if (done) log(`${name} seed ${seed}: done earlier, kept`);
              else if (opts.reportOnly) {
                log(`${name} seed ${seed}: no result yet, left out of the report (--report-only)`);
                missing.push(`${name} seed ${seed}`);
                continue;
              }
              // An attempt that committed new iterations resets the count: only attempts that make no progress give up.
              let stalled = 0;
              let reached = committedIteration(prepared.dataDir, progressFile, config, seed, label);
              while (!done) {
                if (stalled >= PAIR_ATTEMPTS)
                  fail(
                    `${name} seed ${seed}: ${PAIR_ATTEMPTS} attempts in a row made no progress (see the log above); rerun to resume`,
                  );
                const child = Bun.spawnSync(
                  [
                    process.execPath,
                    CLI,
                    "--data-dir",
                    settings.dataDir,
                    "--log-level",
                    settings.logLevel,
                    "experiment",
                    "--preset",
                    preset.name,
                    "--configs",
                    config,
                    "--seeds",
                    String(seed),
                    "--out",
                    outDir,
                    "--work",
                    workDir,
                    ...(opts.warmModel ? ["--warm-model", opts.warmModel] : []),
                    ...(label ? ["--variant", label] : []),
                    "--pair-only",
                  ],
                  { stdout: "inherit", stderr: "inherit" },
                );
                done = readPairResult(resultsDir, config, seed, label);
                const now = committedIteration(prepared.dataDir, progressFile, config, seed, label);
                stalled = now > reached ? 0 : stalled + 1;
                reached = now;
                if (!done)
                  log(`${name} seed ${seed}: process ended (exit ${child.exitCode}) at iteration ${now}; resuming`);
              }
              results.push(done);
              finished++;
              if (done.seconds > 0) {
                ranSeconds += done.seconds;
                ran++;
              }
              const eta = ran ? ` · ETA ${formatDuration((total - finished) * (ranSeconds / ran))}` : "";
              log(`${finished}/${total} pairs done (${name} seed ${seed})${eta}`);
            }
          }
        }
        // The command that makes these results (--report-only rewrites the same report from them).
        const command = `bun run spice experiment --preset ${preset.name}${opts.sweep ? " --sweep" : ""}${opts.configs ? ` --configs ${configs.join(",")}` : ""}${opts.seeds ? ` --seeds ${seeds.join(",")}` : ""}${opts.warmModel ? ` --warm-model ${opts.warmModel}` : ""}`;
        if (opts.sweep) {
          await writeSweepReport({ outDir, preset, prepared, results, command, missing });
          log(`sweep table: ${join(outDir, "sweep.md")}`);
        } else {
          await writeReport({
            outDir,
            preset,
            prepared,
            results,
            command,
            missing,
            // The challenger's tasks: self-play configurations only (the oracle's are the world's own).
            tasks: taskExamples(
              prepared.dataDir,
              results.filter((r) => !["sft_more", "oracle_challenger", "no_update"].includes(r.config)),
            ),
          });
          log(`report: ${join(outDir, "report.md")}`);
        }
        if (opts.json) printJson(results.map(({ metrics: _m, pass_rate_histograms: _h, ...r }) => r));
        // jax-js keeps a worker pool alive: leave explicitly.
        process.exit(0);
      },
    );
}
