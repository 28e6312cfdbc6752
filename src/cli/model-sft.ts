import { existsSync } from "node:fs";
import type { Command } from "commander";
import { DEFAULT_LM, ensureModel } from "../../models/index.ts";
import { sftModelFolder, type SftFolderOptions } from "../learner/sft-folder.ts";
import { Progress } from "./progress.ts";
import { commandConfig, fail, floatArg, intArg, printJson } from "./util.ts";

/** The command's flags are the SFT options, less the model (the global --model) and the logger. */
type SftFlags = Omit<SftFolderOptions, "model" | "log" | "keep" | "onStep"> & { keep: number; json?: boolean };

/** `spice model sft`: supervised warm start (cross-entropy) with the embedded jax-js learner. */
export function registerModelSft(model: Command): void {
  model
    .command("sft")
    .description(
      'supervised warm start of --model DIR (global flag; default the built tiny model): JSON Lines of {"text"} or {"prompt","completion"} (loss on the completion only)',
    )
    .requiredOption("--data <file>", "training data, JSON Lines")
    .requiredOption("--out <dir>", "output model folder (replaced atomically if it exists)")
    .option("--steps <n>", "optimizer steps (total, counting resumed ones)", intArg("--steps", 0, 10_000_000), 100)
    .option("--batch-size <n>", "sequences per step", intArg("--batch-size", 1, 4096), 8)
    .option("--lr <x>", "AdamW learning rate (constant)", floatArg("--lr", 0, 1), 1e-3)
    .option("--seed <n>", "batch-sampling seed", intArg("--seed", 0, 2 ** 32 - 1), 1)
    .option(
      "--max-length <n>",
      "longest training sequence in tokens (capped at the model's context)",
      intArg("--max-length", 2, 1 << 20),
      256,
    )
    .option("--checkpoint-dir <dir>", "write resumable checkpoints here")
    .option("--checkpoint-every <n>", "steps between checkpoints", intArg("--checkpoint-every", 1, 10_000_000))
    .option("--keep <n>", "checkpoints to keep", intArg("--keep", 1, 1000), 3)
    .option("--resume", "continue from the newest checkpoint in --checkpoint-dir")
    .option("--json", "print the run summary as JSON")
    .action(async (flags: SftFlags, cmd: Command) => {
      // --model is the global setting (SPICE_MODEL); by default the built tiny model.
      const config = commandConfig(cmd);
      const modelDir = config.model ?? ensureModel(config.dataDir, DEFAULT_LM);
      if (!existsSync(modelDir)) fail(`--model ${modelDir}: no such folder`);
      if (!existsSync(flags.data)) fail(`--data ${flags.data}: no such file`);
      if (flags.resume && !flags.checkpointDir) fail("--resume needs --checkpoint-dir");
      let summary: Awaited<ReturnType<typeof sftModelFolder>>;
      const bar = new Progress("sft", flags.steps);
      try {
        summary = await sftModelFolder({
          ...flags,
          model: modelDir,
          checkpointEvery: flags.checkpointEvery ?? (flags.checkpointDir ? 100 : undefined),
          log: (line) => bar.log(`spice: ${line}`),
          onStep: (step, steps, loss) => bar.update(step, `loss ${loss.toFixed(4)}`, steps),
        });
      } catch (err) {
        bar.finish();
        fail((err as Error).message);
      }
      bar.finish();
      if (flags.json) printJson(summary);
      else process.stdout.write(`${summary.out}\n`);
      // jax-js keeps a worker pool alive; the command is done.
      process.exit(0);
    });
}
