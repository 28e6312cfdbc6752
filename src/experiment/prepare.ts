import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_LM, ensureModel } from "../../models/index.ts";
import type { AppContext } from "../context.ts";
import { corpusSettingsPath, getCorpus, ingestPaths } from "../corpus/index.ts";
import { parseDataset } from "../eval/dataset.ts";
import type { EvalItem } from "../eval/dataset.ts";
import { sftModelFolder } from "../learner/sft-folder.ts";
import { renderPlain } from "../policy/types.ts";
import { generateWorld } from "../world/generate.ts";
import { corpusJsonl, evalJsonl, toJsonl } from "../world/jsonl.ts";
import { sftPairs } from "../world/sft-data.ts";
import { splitWorld } from "../world/split.ts";
import type { ExperimentPreset } from "./presets.ts";

export interface Prepared {
  /** The experiment's working data dir (SQLite, LanceDB corpus, models). */
  dataDir: string;
  /** The supervised warm start every configuration begins from. */
  warmModel: string;
  evalItems: EvalItem[];
  world: { train_documents: number; eval_documents: number; train_tasks: number; eval_tasks: number; dropped_duplicates: number };
  sft: { steps: number; first_loss: number; final_loss: number; ms_per_step: number } | null;
}

/** Every stage writes its result to a file and is skipped when that file exists: a killed run resumes. */
export async function prepareExperiment(
  preset: ExperimentPreset,
  workDir: string,
  openCtx: (dataDir: string, model?: string) => AppContext,
  log: (line: string) => void,
): Promise<Prepared> {
  const dataDir = join(workDir, "data");
  const worldDir = join(workDir, "world");
  mkdirSync(worldDir, { recursive: true });

  // 1. The toy world, split by document; held-out documents are never ingested or trained on.
  const world = generateWorld(preset.world);
  const split = splitWorld(world, { evalFraction: preset.evalFraction, seed: preset.world.seed });
  const corpusFile = join(worldDir, "train-corpus.jsonl");
  const evalFile = join(worldDir, "eval.jsonl");
  const sftFile = join(worldDir, "sft.jsonl");
  writeFileSync(corpusFile, corpusJsonl(split.train, preset.world.seed));
  writeFileSync(evalFile, evalJsonl(split.eval));
  writeFileSync(sftFile, toJsonl(sftPairs(split.train, { seed: preset.world.seed, render: renderPlain }).map(({ prompt, completion }) => ({ prompt, completion }))));
  const evalItems = parseDataset(evalJsonl(split.eval)).items.slice(0, preset.evalItems);

  // 2. The corpus. Toy-world documents are templated: near-duplicate curation would reject most of them.
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(corpusSettingsPath(dataDir), JSON.stringify({ curation: { near_duplicates: { enabled: false } } }, null, 2));
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

  // 3. The warm start: supervised fine-tuning of the built tiny model on both roles' formats.
  const warmModel = join(workDir, "models", "warm");
  let sft: Prepared["sft"] = null;
  if (!existsSync(join(warmModel, "onnx", "model.onnx"))) {
    const base = ensureModel(dataDir, DEFAULT_LM);
    log(`warm start: ${preset.sft.steps} SFT steps on ${sftFile}`);
    const summary = await sftModelFolder({
      model: base,
      data: sftFile,
      out: warmModel,
      ...preset.sft,
      seed: preset.world.seed,
      checkpointDir: join(workDir, "sft-checkpoints"),
      checkpointEvery: Math.max(50, Math.floor(preset.sft.steps / 10)),
      resume: true,
      log,
    });
    sft = { steps: summary.steps, first_loss: summary.first_loss, final_loss: summary.final_loss, ms_per_step: summary.ms_per_step };
    writeFileSync(join(workDir, "sft-summary.json"), JSON.stringify(sft, null, 2));
  } else if (existsSync(join(workDir, "sft-summary.json"))) {
    sft = JSON.parse(await Bun.file(join(workDir, "sft-summary.json")).text());
  }
  return {
    dataDir,
    warmModel,
    evalItems,
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
