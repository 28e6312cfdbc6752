// `spice model sft`: supervised warm start of a model folder, written as a new folder that
// transformers.js loads like any other. Checkpoints make a long run resumable.
import { readFileSync } from "node:fs";
import { AutoTokenizer } from "@huggingface/transformers";
import { init } from "@jax-js/jax";
import { DEFAULT_ADAMW } from "./adamw.ts";
import { latestCheckpoint, loadCheckpoint, saveCheckpoint } from "./checkpoint.ts";
import { exportOnnx, readModelFolder, writeModelFolder } from "./export.ts";
import { type BadLine, parseSftJsonl, runSft, sftRows } from "./sft.ts";
import { TrainState } from "./train-state.ts";
import { useLocalModelsOnly } from "../models/load.ts";

export type SftFolderOptions = {
  model: string;
  data: string;
  out: string;
  steps: number;
  batchSize: number;
  lr: number;
  seed: number;
  /** Longest training sequence; shorter than the model's context keeps steps fast. */
  maxLength: number;
  checkpointDir?: string;
  checkpointEvery?: number;
  keep?: number;
  resume?: boolean;
  log?: (line: string) => void;
  /** After every step (a progress bar); without it, a log line every 10 steps. */
  onStep?: (step: number, steps: number, loss: number) => void;
};

export type SftSummary = {
  out: string;
  steps: number;
  step: number;
  resumed_from: number | null;
  rows: number;
  dropped: number;
  bad_lines: BadLine[];
  first_loss: number;
  final_loss: number;
  ms_per_step: number;
  ms: number;
};

export async function sftModelFolder(o: SftFolderOptions): Promise<SftSummary> {
  const t0 = performance.now();
  const log = o.log ?? (() => {});
  await init();
  const folder = readModelFolder(o.model);
  useLocalModelsOnly();
  const tokenizer = await AutoTokenizer.from_pretrained(folder.dir);
  const eos = tokenizer.eos_token_id;
  if (eos === undefined || eos === null) throw new Error(`${o.model}: the tokenizer has no eos_token`);
  const { examples, bad } = parseSftJsonl(readFileSync(o.data, "utf8"));
  for (const b of bad) log(`${o.data}:${b.line}: ${b.error}`);
  const context = Math.min(o.maxLength, folder.cfg.nPositions);
  const tokenize = (s: string) => tokenizer.encode(s, { add_special_tokens: false });
  const { rows, dropped } = sftRows(examples, tokenize, Number(eos), context);
  if (rows.length === 0) throw new Error(`${o.data}: no usable training lines`);

  const opt = { ...DEFAULT_ADAMW, lr: o.lr };
  const resumePath = o.resume && o.checkpointDir ? latestCheckpoint(o.checkpointDir) : null;
  const state = resumePath
    ? TrainState.fromCheckpoint(folder.cfg, opt, loadCheckpoint(resumePath))
    : new TrainState(folder.cfg, opt, folder.weights);
  const resumedFrom = resumePath ? state.step : null;
  if (resumePath) log(`resuming from ${resumePath} (step ${state.step})`);
  const remaining = Math.max(0, o.steps - state.step);
  const trainStart = performance.now();
  const losses = await runSft(state, rows, {
    steps: remaining,
    batchSize: o.batchSize,
    seed: o.seed,
    onStep: async (step, loss) => {
      if (o.onStep) o.onStep(step, o.steps, loss);
      else if (step % 10 === 0 || step === o.steps) log(`step ${step}/${o.steps} loss ${loss.toFixed(4)}`);
      if (o.checkpointDir && o.checkpointEvery && step % o.checkpointEvery === 0) {
        saveCheckpoint(o.checkpointDir, await state.toCheckpoint({ seed: o.seed, data: o.data }), o.keep ?? 3);
      }
    },
  });
  const trainMs = performance.now() - trainStart;
  const out = writeModelFolder(folder.dir, o.out, exportOnnx(folder.onnx, await state.hostParams()));
  const step = state.step;
  state.dispose();
  return {
    out,
    steps: losses.length,
    step,
    resumed_from: resumedFrom,
    rows: rows.length,
    dropped,
    bad_lines: bad,
    first_loss: losses[0] ?? NaN,
    final_loss: losses.at(-1) ?? NaN,
    ms_per_step: losses.length ? Math.round(trainMs / losses.length) : 0,
    ms: Math.round(performance.now() - t0),
  };
}
