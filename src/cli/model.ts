import { type Command, Option } from "commander";
import { join } from "node:path";
import { buildModel, type BuildResult } from "../../models/build.ts";
import { MODEL_KINDS, PRESET_NAMES, type ModelKind, type PresetName } from "../../models/presets.ts";
import { commandConfig, fail, intArg, printJson } from "./util.ts";
import { registerModelSft } from "./model-sft.ts";

type BuildFlags = { kind: ModelKind; preset: PresetName; seed: number; out?: string; json?: boolean };

/** `spice model …`; returns the group so other model commands (e.g. `sft`) can join it. */
export function registerModel(program: Command): Command {
  const model = program.command("model").description("the project's own small ONNX models (docs/models.md)");
  model
    .command("build")
    .description("build a model folder (config, tokenizer, onnx/model.onnx) that transformers.js loads like any other")
    .addOption(new Option("--kind <kind>", "model kind").choices(MODEL_KINDS).default("causal-lm"))
    .addOption(new Option("--preset <preset>", "size preset").choices(PRESET_NAMES).default("tiny"))
    .option(
      "--seed <n>",
      "weight-initialisation seed (same seed, byte-identical files)",
      intArg("--seed", 0, 2 ** 32 - 1),
      1,
    )
    .option(
      "--out <dir>",
      "output folder, replaced if it exists [default: <data-dir>/models/spice-<lm|encoder>-<preset>]",
    )
    .option("--json", "print the build summary as JSON")
    .action((flags: BuildFlags, cmd: Command) => {
      const outDir =
        flags.out ??
        join(
          commandConfig(cmd).dataDir,
          "models",
          `spice-${flags.kind === "causal-lm" ? "lm" : "encoder"}-${flags.preset}`,
        );
      process.stderr.write(`spice: building ${flags.kind} ${flags.preset} (seed ${flags.seed}) …\n`);
      let result: BuildResult;
      try {
        result = buildModel({ kind: flags.kind, preset: flags.preset, seed: flags.seed, outDir });
      } catch (err) {
        // A folder we cannot write is unusable input, not a crash.
        if ((err as NodeJS.ErrnoException).code) fail(`cannot write ${outDir}: ${(err as Error).message}`);
        throw err;
      }
      if (flags.json) printJson(result);
      else {
        process.stdout.write(`${result.dir}\n`);
        process.stderr.write(
          `spice: ${result.parameters.toLocaleString("en-US")} parameters, vocabulary ${result.vocabSize}\n`,
        );
      }
    });
  registerModelSft(model);
  return model;
}
