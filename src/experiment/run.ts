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
import { iterations as iterationsTable, tasks as tasksTable } from "../db/schema.ts";
import { and, asc, desc, eq, gt, sql } from "drizzle-orm";
import { AutoTokenizer } from "@huggingface/transformers";
import { init } from "@jax-js/jax";
import { DEFAULT_ADAMW } from "../learner/adamw.ts";
import { exportOnnx, readModelFolder } from "../learner/export.ts";
import { parseSftJsonl, runSft, sftRows } from "../learner/sft.ts";
import { TrainState } from "../learner/train-state.ts";
import { useLocalModelsOnly } from "../models/load.ts";
import type { Policy } from "../policy/types.ts";
import { configOverrides, type ExperimentConfigName } from "./configs.ts";
import type { ExperimentPreset, SweepVariant } from "./presets.ts";

export interface EvalPoint {
  iteration: number;
  pass_at_1: number;
  avg_at_k: number;
  /** 95% bootstrap interval of pass@1 over the items. */
  ci95?: [number, number];
  /** pass@1 per answer type. */
  by_answer_type?: Record<string, number>;
  /** Per item, in the evaluation set's order: "1" when the greedy answer was right. Paired intervals use it. */
  greedy?: string;
}

/** Everything the report needs from one (configuration, seed) pair. */
export interface PairResult {
  config: ExperimentConfigName;
  /** A sweep point's label (`--sweep`); absent for a named configuration. */
  variant?: string;
  /** The trainer overrides of the variant, for the sweep table. */
  overrides?: Record<string, unknown>;
  seed: number;
  run_id: string;
  seconds: number;
  /** CPU time of the pair's process (all threads), in seconds. */
  cpu_seconds?: number;
  evals: EvalPoint[];
  /** Per-iteration scalars from the trainer's metrics table. */
  metrics: Array<Record<string, number>>;
  /** p̂ histograms (counts of k/K) per iteration. */
  pass_rate_histograms: number[][];
  /** What the challenger wrote, so the report needs only the result files (absent for sft_more). */
  tasks?: RunTasks;
}

export interface RunTasks {
  /** Valid tasks, and those on which at least one reasoner rollout matched the gold. */
  valid: number;
  answered_once: number;
  /** The last two valid tasks. */
  examples: Array<{
    iteration: number;
    question: string;
    answer: string;
    answer_type: string | null;
    pass_rate: number | null;
  }>;
  /** Gold answers of the valid tasks in the last fifth of the iterations (a collapsed run repeats one). */
  late_golds: string[];
}

/** The run's valid tasks as the report summarises them. */
export function runTasks(db: AppContext["db"], runId: string, lastIteration: number): RunTasks {
  const counts = db
    .select({ valid: sql<number>`count(*)`, answered: sql<number>`sum(${tasksTable.passRate} > 0)` })
    .from(tasksTable)
    .where(and(eq(tasksTable.runId, runId), eq(tasksTable.valid, true)))
    .get();
  const examples = db
    .select()
    .from(tasksTable)
    .where(and(eq(tasksTable.runId, runId), eq(tasksTable.valid, true)))
    .orderBy(desc(tasksTable.iteration), asc(tasksTable.id))
    .limit(2)
    .all()
    .map((t) => {
      const parsed = t.parsed as { question?: string; answer?: string };
      return {
        iteration: t.iteration,
        question: parsed.question ?? "",
        answer: parsed.answer ?? "",
        answer_type: t.answerType,
        pass_rate: t.passRate,
      };
    });
  const late_golds = db
    .select({ parsed: tasksTable.parsed })
    .from(tasksTable)
    .where(
      and(
        eq(tasksTable.runId, runId),
        eq(tasksTable.valid, true),
        gt(tasksTable.iteration, Math.floor(lastIteration * 0.8)),
      ),
    )
    .all()
    .map((t) => String((t.parsed as { answer?: string }).answer ?? ""));
  return { valid: Number(counts?.valid ?? 0), answered_once: Number(counts?.answered ?? 0), examples, late_golds };
}

export const pairKey = (config: string, seed: number, variant?: string) =>
  `${config}${variant ? `@${variant}` : ""}__s${seed}`;

function writeJsonAtomic(path: string, value: unknown) {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(value, null, 2));
  renameSync(tmp, path);
}

export function readPairResult(resultsDir: string, config: string, seed: number, variant?: string): PairResult | null {
  const path = join(resultsDir, `${pairKey(config, seed, variant)}.json`);
  return existsSync(path) ? (JSON.parse(readFileSync(path, "utf8")) as PairResult) : null;
}

const cpuSecondsSince = (c0: NodeJS.CpuUsage) => {
  const u = process.cpuUsage(c0);
  return (u.user + u.system) / 1e6;
};

/** Evaluates the policy's current weights on the preset's held-out items. */
async function evaluatePolicy(
  policy: Policy,
  preset: ExperimentPreset,
  items: readonly EvalItem[],
): Promise<Omit<EvalPoint, "iteration">> {
  const r = await runEval(policy, items, {
    k: preset.evalK,
    temperature: 1,
    maxTokens: preset.evalMaxTokens,
    seed: 7,
    batchItems: 32,
  });
  return {
    pass_at_1: r.pass_at_1,
    avg_at_k: r.avg_at_k,
    ci95: r.ci95.pass_at_1,
    by_answer_type: Object.fromEntries(Object.entries(r.by_answer_type).map(([t, sc]) => [t, sc.pass_at_1])),
    greedy: r.items.map((it) => (it.greedy.correct ? "1" : "0")).join(""),
  };
}

/**
 * The warm start's evaluation, shared by every pair of a work dir (same weights, same items, same
 * seed: the same result), computed once and kept in `start-eval.json`.
 */
async function startEval(
  workDir: string,
  policy: Policy,
  preset: ExperimentPreset,
  items: readonly EvalItem[],
): Promise<Omit<EvalPoint, "iteration">> {
  const path = join(workDir, "start-eval.json");
  const key = `${items.map((i) => i.id).join(",")}|k${preset.evalK}|t${preset.evalMaxTokens}`;
  if (existsSync(path)) {
    const cached = JSON.parse(readFileSync(path, "utf8")) as { key: string; eval: Omit<EvalPoint, "iteration"> };
    if (cached.key === key) return cached.eval;
  }
  const e = await evaluatePolicy(policy, preset, items);
  writeJsonAtomic(path, { key, eval: e });
  return e;
}

export interface PairArgs {
  ctx: AppContext;
  preset: ExperimentPreset;
  config: ExperimentConfigName;
  /** A sweep point: its trainer overrides apply on top of the configuration's. */
  variant?: SweepVariant;
  seed: number;
  warmModel: string;
  oracleTasks: string;
  reasonerPairs: string;
  evalItems: EvalItem[];
  workDir: string;
  resultsDir: string;
  progressFile: string;
  log: (line: string) => void;
  /** After each committed iteration (a progress bar). */
  onIteration?: (iteration: number, iterations: number) => void;
}

/**
 * One configuration with one seed: a self-play run from the warm start, evaluated on the held-out
 * set at the start, every `evalEvery` iterations and at the end. Evaluations are appended to the
 * pair's file under `<work>/evals/` as they happen, so a killed pair resumes its run (same run id,
 * from the last committed iteration) and keeps its curve; the result file is written once, when
 * the pair completes.
 */
export async function runPair(args: PairArgs): Promise<PairResult> {
  const { ctx, preset, config: name, seed, evalItems } = args;
  const key = pairKey(name, seed, args.variant?.label);
  if (name === "sft_more") return runSftMore(args, key);
  const config = parseTrainerConfig({
    ...preset.trainer,
    ...configOverrides(name, { warmModel: args.warmModel, oracleTasks: args.oracleTasks }),
    ...args.variant?.trainer,
    seed,
  });
  const policy = await getPolicy(ctx);
  const evalFile = join(args.workDir, "evals", `${key}.json`);
  const curve: EvalPoint[] = existsSync(evalFile) ? JSON.parse(readFileSync(evalFile, "utf8")) : [];
  const progress: Record<string, { run_id: string }> = existsSync(args.progressFile)
    ? JSON.parse(readFileSync(args.progressFile, "utf8"))
    : {};

  const base = createRunFactory(ctx);
  let start: Omit<EvalPoint, "iteration"> | null = null;
  const factory: RunFactory = async (a) => {
    const res = await base(a);
    // The factory has swapped the run's starting weights into the policy: on a new run, those are the warm start's.
    start ??= await startEval(args.workDir, policy, preset, evalItems);
    return {
      ...res,
      afterCommit: async (iteration) => {
        await res.afterCommit?.(iteration);
        if (iteration % preset.evalEvery === 0 || iteration === config.iterations) {
          const e = await evaluatePolicy(policy, preset, evalItems);
          recordMetric(ctx.db, a.runId, iteration, "eval.pass_at_1", e.pass_at_1);
          recordMetric(ctx.db, a.runId, iteration, "eval.avg_at_k", e.avg_at_k);
          const kept = curve.filter((p) => p.iteration < iteration);
          curve.splice(0, curve.length, ...kept, { iteration, ...e });
          writeJsonAtomic(evalFile, curve);
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
  const c0 = process.cpuUsage();
  const resumeRun = progress[key]?.run_id;
  // A run that failed in an earlier attempt (e.g. the learner ran out of memory) lost only its
  // uncommitted iteration: resume it from the last commit rather than start over.
  if (resumeRun && getRun(ctx.db, resumeRun)?.status === "failed") {
    args.log(`${key}: retrying failed run ${resumeRun} from its last committed iteration`);
    setRunStatus(ctx.db, resumeRun, "stopped");
  }
  const started = await trainer.start(config, resumeRun ? { resumeRun } : { newRun: true });
  if (!resumeRun) {
    progress[key] = { run_id: started.run_id! };
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
  const first = start ?? (await startEval(args.workDir, policy, preset, evalItems));
  const histograms = ctx.db
    .select({ metrics: iterationsTable.metrics })
    .from(iterationsTable)
    .where(eq(iterationsTable.runId, runId))
    .orderBy(asc(iterationsTable.iteration))
    .all()
    .map((r) => ((r.metrics as Record<string, unknown>).pass_rate_histogram as number[]) ?? []);
  const result: PairResult = {
    config: name,
    ...(args.variant
      ? { variant: args.variant.label, overrides: args.variant.trainer as Record<string, unknown> }
      : {}),
    seed,
    run_id: runId,
    seconds: (performance.now() - t0) / 1000,
    cpu_seconds: cpuSecondsSince(c0),
    evals: [{ iteration: 0, ...first }, ...curve],
    metrics,
    pass_rate_histograms: histograms,
    tasks: runTasks(ctx.db, runId, config.iterations),
  };
  writeJsonAtomic(join(args.resultsDir, `${key}.json`), result);
  return result;
}

/**
 * `sft_more`: supervised steps on the world's gold solutions from the warm start, one step per
 * "iteration" with as many sequences as an RL iteration generates (B × G × K), at the warm start's
 * last step size; evaluated like the RL runs. Not resumable: it is short.
 */
async function runSftMore(args: PairArgs, key: string): Promise<PairResult> {
  const { ctx, preset, seed, evalItems } = args;
  const t = parseTrainerConfig({ ...preset.trainer, seed });
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  await init();
  const policy = await getPolicy(ctx);
  const first = await startEval(args.workDir, policy, preset, evalItems);
  const folder = readModelFolder(args.warmModel);
  useLocalModelsOnly();
  const tokenizer = await AutoTokenizer.from_pretrained(folder.dir);
  const tokenize = (text: string) => tokenizer.encode(text, { add_special_tokens: false });
  const { examples } = parseSftJsonl(readFileSync(args.reasonerPairs, "utf8"));
  const { rows } = sftRows(examples, tokenize, Number(tokenizer.eos_token_id), 256);
  const state = new TrainState(folder.cfg, { ...DEFAULT_ADAMW, lr: preset.sftMoreLr }, folder.weights);
  const batchSize = t.batch_docs * t.challenger_samples * t.reasoner_rollouts;
  const curve: EvalPoint[] = [];
  const metrics: Array<Record<string, number>> = [];
  try {
    for (let iteration = 1; iteration <= t.iterations; iteration++) {
      const [loss] = await runSft(state, rows, { steps: 1, batchSize, seed, lengthBucket: 64 });
      metrics.push({ iteration, "sft.loss": loss!, "sft.sequences": batchSize });
      if (iteration % preset.evalEvery === 0 || iteration === t.iterations) {
        await policy.swapWeights!(exportOnnx(folder.onnx, await state.hostParams()));
        const e = await evaluatePolicy(policy, preset, evalItems);
        curve.push({ iteration, ...e });
        args.log(`${key}: step ${iteration}/${t.iterations} held-out pass@1 ${(e.pass_at_1 * 100).toFixed(1)}%`);
      }
    }
  } finally {
    state.dispose();
  }
  const result: PairResult = {
    config: "sft_more",
    seed,
    run_id: `sft-${seed}`,
    seconds: (performance.now() - t0) / 1000,
    cpu_seconds: cpuSecondsSince(c0),
    evals: [{ iteration: 0, ...first }, ...curve],
    metrics,
    pass_rate_histograms: [],
  };
  writeJsonAtomic(join(args.resultsDir, `${key}.json`), result);
  return result;
}
