import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_LM, ensureModel } from "../../models/index.ts";
import type { AppContext } from "../context.ts";
import { corpusSettingsPath, getCorpus, ingestPaths } from "../corpus/index.ts";
import { parseDataset } from "../eval/dataset.ts";
import type { EvalItem } from "../eval/dataset.ts";
import { renderPlain } from "../policy/types.ts";
import { generateWorld } from "../world/generate.ts";
import { stratifiedSample } from "../eval/stats.ts";
import { corpusJsonl, evalJsonl, evalRow, toJsonl } from "../world/jsonl.ts";
import { sftPairs } from "../world/sft-data.ts";
import { splitWorld } from "../world/split.ts";
import type { ExperimentPreset, SftStage } from "./presets.ts";

export interface Prepared {
  /** The experiment's working data dir (SQLite, LanceDB corpus, models). */
  dataDir: string;
  /** The supervised warm start every configuration begins from. */
  warmModel: string;
  evalItems: EvalItem[];
  /** The world's gold training tasks with their documents' ids: the `oracle_tasks` file. */
  oracleTasks: string;
  /** Warm-start pairs of the reasoner (gold solutions): `sft_more`'s data. */
  reasonerPairs: string;
  world: {
    train_documents: number;
    eval_documents: number;
    train_tasks: number;
    eval_tasks: number;
    dropped_duplicates: number;
  };
  sft: { supplied: string | null; stages: StageSummary[] };
}

/** Every stage writes its result to a file and is skipped when that file exists: a killed run resumes. */
export interface StageSummary {
  data: SftStage["data"];
  out: string;
  steps: number;
  first_loss: number;
  final_loss: number;
  ms_per_step: number;
  restarts: number;
}

const CLI = join(import.meta.dir, "..", "cli", "main.ts");

/**
 * The staged SFT, each stage a `spice model sft` process resumed from its checkpoints until it
 * completes: long-sequence stages can exhaust jax-js's 4 GiB wasm memory, which kills the process,
 * and a checkpointed restart loses at most `checkpoint-every` steps.
 */
async function runSftStages(
  preset: ExperimentPreset,
  workDir: string,
  base: string,
  files: Record<SftStage["data"], string>,
  log: (line: string) => void,
): Promise<StageSummary[]> {
  const done: StageSummary[] = [];
  let from = base;
  for (const [i, stage] of preset.sft.entries()) {
    const out = join(workDir, "models", `sft-stage-${i + 1}`);
    const summaryFile = `${out}.json`;
    if (existsSync(summaryFile)) {
      done.push(JSON.parse(readFileSync(summaryFile, "utf8")));
      from = out;
      continue;
    }
    log(
      `warm start stage ${i + 1}/${preset.sft.length}: ${stage.steps} steps on ${stage.data} pairs (max length ${stage.maxLength})`,
    );
    let restarts = 0;
    let summary: { steps: number; first_loss: number; final_loss: number; ms_per_step: number } | null = null;
    while (!summary) {
      const p = Bun.spawnSync(
        [
          "bun",
          CLI,
          "--model",
          from,
          "--data-dir",
          workDir,
          "--log-level",
          "warn",
          "model",
          "sft",
          "--data",
          files[stage.data],
          "--out",
          out,
          "--steps",
          String(stage.steps),
          "--batch-size",
          String(stage.batchSize),
          "--lr",
          String(stage.lr),
          "--max-length",
          String(stage.maxLength),
          "--seed",
          String(preset.world.seed + i),
          "--checkpoint-dir",
          `${out}.ckpt`,
          "--checkpoint-every",
          "20",
          "--resume",
          "--json",
        ],
        { stdout: "pipe", stderr: "inherit" },
      );
      if (p.exitCode === 0) summary = JSON.parse(p.stdout.toString());
      else if (++restarts > 40)
        throw new Error(`warm start stage ${i + 1} failed ${restarts} times (last exit ${p.exitCode})`);
      else log(`warm start stage ${i + 1}: process ended with ${p.exitCode}; resuming from its last checkpoint`);
    }
    const s: StageSummary = {
      data: stage.data,
      out,
      steps: summary.steps,
      first_loss: summary.first_loss,
      final_loss: summary.final_loss,
      ms_per_step: summary.ms_per_step,
      restarts,
    };
    writeFileSync(summaryFile, JSON.stringify(s, null, 2));
    done.push(s);
    from = out;
  }
  return done;
}

export async function prepareExperiment(
  preset: ExperimentPreset,
  workDir: string,
  openCtx: (dataDir: string, model?: string) => AppContext,
  log: (line: string) => void,
  options: { warmModel?: string } = {},
): Promise<Prepared> {
  const dataDir = join(workDir, "data");
  const worldDir = join(workDir, "world");
  mkdirSync(worldDir, { recursive: true });

  // 1. The toy world, split by document; held-out documents are never ingested or trained on.
  const world = generateWorld(preset.world);
  const split = splitWorld(world, { evalFraction: preset.evalFraction, seed: preset.world.seed });
  const corpusFile = join(worldDir, "train-corpus.jsonl");
  const evalFile = join(worldDir, "eval.jsonl");
  writeFileSync(corpusFile, corpusJsonl(split.train, preset.world.seed));
  writeFileSync(evalFile, evalJsonl(split.eval));
  const pairs = sftPairs(split.train, { seed: preset.world.seed, render: renderPlain });
  const sftFiles: Record<SftStage["data"], string> = {
    all: join(worldDir, "sft.jsonl"),
    reasoner: join(worldDir, "sft-reasoner.jsonl"),
    challenger: join(worldDir, "sft-challenger.jsonl"),
  };
  for (const [slice, file] of Object.entries(sftFiles)) {
    const rows = pairs
      .filter((p) => slice === "all" || p.role === slice)
      .map(({ prompt, completion }) => ({ prompt, completion }));
    writeFileSync(file, toJsonl(rows));
  }
  const oracleTasks = join(worldDir, "train-tasks.jsonl");
  writeFileSync(oracleTasks, toJsonl(split.train.tasks.map((t) => ({ ...evalRow(t), doc_id: t.doc_id }))));
  const allEval = parseDataset(evalJsonl(split.eval)).items;
  const evalItems =
    preset.evalSample === "all"
      ? allEval
      : stratifiedSample(allEval, (it) => `${it.answerType}|${it.group ?? ""}`, preset.evalSample, preset.world.seed);

  // 2. The corpus. Toy-world documents are templated: near-duplicate curation would reject most of them.
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(
    corpusSettingsPath(dataDir),
    JSON.stringify({ curation: { near_duplicates: { enabled: false } } }, null, 2),
  );
  const ctx = openCtx(dataDir);
  try {
    const corpus = await getCorpus(ctx);
    if ((await corpus.stats()).segments === 0) {
      const summary = await ingestPaths(corpus, [corpusFile], { lockTimeoutMs: 60_000 });
      log(`corpus: ${summary.segments_added} segments ingested, ${summary.rejected_total} rejected`);
    }
  } finally {
    await ctx.close();
  }

  // 3. The warm start: supplied (--warm-model), or trained in stages.
  const warmModel = join(workDir, "models", "warm");
  if (!existsSync(join(warmModel, "onnx", "model.onnx"))) {
    if (options.warmModel) {
      log(`warm start: using ${options.warmModel}`);
      cpSync(options.warmModel, warmModel, { recursive: true });
      writeFileSync(
        join(workDir, "sft-summary.json"),
        JSON.stringify({ supplied: options.warmModel, stages: [] }, null, 2),
      );
    } else {
      const stages = await runSftStages(preset, workDir, ensureModel(dataDir, DEFAULT_LM), sftFiles, log);
      cpSync(stages.at(-1)!.out, warmModel, { recursive: true });
      writeFileSync(join(workDir, "sft-summary.json"), JSON.stringify({ supplied: null, stages }, null, 2));
    }
  }
  const sft = JSON.parse(readFileSync(join(workDir, "sft-summary.json"), "utf8")) as Prepared["sft"];
  return {
    dataDir,
    warmModel,
    evalItems,
    oracleTasks,
    reasonerPairs: sftFiles.reasoner,
    world: {
      train_documents: split.train.documents.length,
      eval_documents: split.eval.documents.length,
      train_tasks: split.train.tasks.length,
      eval_tasks: split.eval.tasks.length,
      dropped_duplicates: split.droppedDuplicates,
    },
    sft,
  };
}
