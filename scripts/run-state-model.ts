/**
 * Diagnostic: a run's per-iteration learner state (`<data>/runs/<run>/learner/iter-N`) as a model
 * folder `spice eval --model` can load, for evaluating a run that was stopped before its end.
 *   bun scripts/run-state-model.ts BASE_MODEL_DIR STATE_DIR OUT_DIR
 */
import { DEFAULT_ADAMW } from "../src/learner/adamw.ts";
import { loadCheckpoint } from "../src/learner/checkpoint.ts";
import { exportOnnx, readModelFolder, writeModelFolder } from "../src/learner/export.ts";
import { TrainState } from "../src/learner/train-state.ts";

const [base, stateDir, out] = process.argv.slice(2);
if (!base || !stateDir || !out) {
  console.error("usage: bun scripts/run-state-model.ts BASE_MODEL_DIR STATE_DIR OUT_DIR");
  process.exit(2);
}
const folder = readModelFolder(base);
const state = TrainState.fromCheckpoint(folder.cfg, DEFAULT_ADAMW, loadCheckpoint(stateDir));
writeModelFolder(folder.dir, out, exportOnnx(folder.onnx, await state.hostParams()));
console.log(`${out}: weights of ${stateDir} (step ${state.step})`);
process.exit(0);
