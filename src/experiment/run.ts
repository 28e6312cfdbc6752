import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { AppContext } from "../context.ts";
import type { EvalItem } from "../eval/dataset.ts";
import { runEval } from "../eval/run.ts";
import { getPolicy } from "../policy/index.ts";
import { parseTrainerConfig } from "../trainer/config.ts";
import { createRunFactory } from "../trainer/factory.ts";
import { getRun, recordMetric, runMetrics, setRunStatus } from "../trainer/persist.ts";
import { Trainer, type RunFactory } from "../trainer/runner.ts";
import { iterations as iterationsTable } from "../db/schema.ts";
import { asc, eq } from "drizzle-orm";
import { configOverrides, type ExperimentConfigName } from "./configs.ts";
import type { ExperimentPreset } from "./presets.ts";

export interface EvalPoint {
  iteration: number;
  pass_at_1: number;
  avg_at_k: number;
}

/** Everything the report needs from one (configuration, seed) pair. */
export interface PairResult {
  config: ExperimentConfigName;
  seed: number;
  run_id: string;
  seconds: number;
  evals: EvalPoint[];
  /** Per-iteration scalars from the trainer's metrics table. */
  metrics: Array<Record<string, number>>;
  /** p̂ histograms (counts of k/K) per iteration. */
  pass_rate_histograms: number[][];
}

export const pairKey = (config: string, seed: number) => `${config}__s${seed}`;

function writeJsonAtomic(path: string, value: unknown) {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(value, null, 2));
  renameSync(tmp, path);
}

export function readPairResult(resultsDir: string, config: string, seed: number): PairResult | null {
  const path = join(resultsDir, `${pairKey(config, seed)}.json`);
  return existsSync(path) ? (JSON.parse(readFileSync(path, "utf8")) as PairResult) : null;
}

/**
 * One configuration with one seed: a self-play run from the warm start, evaluated on the held-out
 * set at the start, every `evalEvery` iterations and at the end. Evaluations land in the trainer's
 * metrics table (`eval.pass_at_1`, `eval.avg_at_k`) as they happen, so a killed pair resumes its run
 * (same run id, from the last committed iteration) and keeps its curve; the result file is written
 * once, when the pair completes.
 */
export async function runPair(args: {
  ctx: AppContext;
  preset: ExperimentPreset;
  config: ExperimentConfigName;
  seed: number;
  warmModel: string;
  evalItems: EvalItem[];
  resultsDir: string;
  progressFile: string;
  log: (line: string) => void;
  /** After each committed iteration (a progress bar). */
  onIteration?: (iteration: number, iterations: number) => void;
}): Promise<PairResult> {
  const { ctx, preset, config: name, seed, evalItems } = args;
  const key = pairKey(name, seed);
  const config = parseTrainerConfig({ ...preset.trainer, ...configOverrides(name, args.warmModel), seed });
  const policy = await getPolicy(ctx);
  const evaluate = async (): Promise<Omit<EvalPoint, "iteration">> => {
    const r = await runEval(policy, evalItems, {
      k: preset.evalK,
      temperature: 1,
      maxTokens: preset.evalMaxTokens,
      seed: 7,
      batchItems: 32,
    });
    return { pass_at_1: r.pass_at_1, avg_at_k: r.avg_at_k };
  };
  const progress: Record<string, { run_id: string; start_eval: Omit<EvalPoint, "iteration"> }> = existsSync(
    args.progressFile,
  )
    ? JSON.parse(readFileSync(args.progressFile, "utf8"))
    : {};

  const base = createRunFactory(ctx);
  let startEval: Omit<EvalPoint, "iteration"> | null = progress[key]?.start_eval ?? null;
  const factory: RunFactory = async (a) => {
    const res = await base(a);
    // The factory has swapped the run's starting weights into the policy: evaluate them once.
    if (!startEval) startEval = await evaluate();
    return {
      ...res,
      afterCommit: async (iteration) => {
        await res.afterCommit?.(iteration);
        if (iteration % preset.evalEvery === 0 || iteration === config.iterations) {
          const e = await evaluate();
          recordMetric(ctx.db, a.runId, iteration, "eval.pass_at_1", e.pass_at_1);
          recordMetric(ctx.db, a.runId, iteration, "eval.avg_at_k", e.avg_at_k);
          args.log(
            `${key}: iteration ${iteration}/${config.iterations} held-out pass@1 ${(e.pass_at_1 * 100).toFixed(1)}%`,
          );
        }
      },
    };
  };

  const trainer = new Trainer(ctx, factory);
  trainer.onCommit((s) => args.onIteration?.(s.iteration, config.iterations));
  const t0 = performance.now();
  const resumeRun = progress[key]?.run_id;
  // A run that failed in an earlier attempt (e.g. the learner ran out of memory) lost only its
  // uncommitted iteration: resume it from the last commit rather than start over.
  if (resumeRun && getRun(ctx.db, resumeRun)?.status === "failed") {
    args.log(`${key}: retrying failed run ${resumeRun} from its last committed iteration`);
    setRunStatus(ctx.db, resumeRun, "stopped");
  }
  const started = await trainer.start(config, resumeRun ? { resumeRun } : { newRun: true });
  if (!resumeRun) {
    progress[key] = { run_id: started.run_id!, start_eval: startEval! };
    writeJsonAtomic(args.progressFile, progress);
  }
  args.log(
    `${key}: ${started.resumed ? "resumed" : "started"} run ${started.run_id} at iteration ${started.iteration}`,
  );
  await trainer.done();
  const status = trainer.status();
  if (status.state !== "finished")
    throw new Error(`${key}: run ${status.run_id} ended ${status.state}: ${status.error ?? ""}`);

  const runId = status.run_id!;
  const metrics = runMetrics(ctx.db, runId);
  const evals: EvalPoint[] = [
    { iteration: 0, ...progress[key]!.start_eval },
    ...metrics
      .filter((m) => m["eval.pass_at_1"] !== undefined)
      .map((m) => ({ iteration: m.iteration!, pass_at_1: m["eval.pass_at_1"]!, avg_at_k: m["eval.avg_at_k"]! })),
  ];
  const histograms = ctx.db
    .select({ metrics: iterationsTable.metrics })
    .from(iterationsTable)
    .where(eq(iterationsTable.runId, runId))
    .orderBy(asc(iterationsTable.iteration))
    .all()
    .map((r) => ((r.metrics as Record<string, unknown>).pass_rate_histogram as number[]) ?? []);
  const result: PairResult = {
    config: name,
    seed,
    run_id: runId,
    seconds: (performance.now() - t0) / 1000,
    evals,
    metrics,
    pass_rate_histograms: histograms,
  };
  writeJsonAtomic(join(args.resultsDir, `${key}.json`), result);
  return result;
}
