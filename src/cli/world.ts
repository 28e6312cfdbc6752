import { type Command, InvalidArgumentError } from "commander";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createPolicy } from "../policy/index.ts";
import type { Prompt } from "../policy/types.ts";
import { generateWorld, WorldOptionsSchema, type ResolvedWorldOptions } from "../world/generate.ts";
import { corpusJsonl, evalJsonl, toJsonl } from "../world/jsonl.ts";
import { sftPairs } from "../world/sft-data.ts";
import { splitWorld } from "../world/split.ts";
import { DIFFICULTIES, KINDS } from "../world/types.ts";
import { commandConfig, fail, floatArg, intArg, printJson } from "./util.ts";

type GenerateFlags = {
  seed: number;
  documents: number;
  out: string;
  evalFraction: number;
  maxNumber: number;
  maxFactor: number;
  mcqShare: number;
  kinds: string;
  difficulties: string;
  json?: boolean;
};

function listArg<T extends string>(name: string, allowed: readonly T[]) {
  return (value: string): T[] => {
    const items = value
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);
    const bad = items.filter((s) => !(allowed as readonly string[]).includes(s));
    if (items.length === 0 || bad.length > 0)
      throw new InvalidArgumentError(`${name} takes a comma-separated list of ${allowed.join(", ")}.`);
    return items as T[];
  };
}

/** The policy's render() only matters for a model with a chat template; plain rendering otherwise, without loading a model. */
async function promptRenderer(
  modelDir: string | undefined,
  cmd: Command,
): Promise<((p: Prompt) => string) | undefined> {
  if (!modelDir) return undefined;
  const path = join(modelDir, "tokenizer_config.json");
  if (!existsSync(path)) return undefined;
  const cfg = JSON.parse(readFileSync(path, "utf8")) as { chat_template?: unknown };
  if (!cfg.chat_template) return undefined;
  const policy = await createPolicy(commandConfig(cmd));
  return (p) => policy.render(p);
}

function writeAtomic(path: string, text: string): void {
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
}

export function registerWorld(program: Command): void {
  const world = program
    .command("world")
    .description("the toy world: generated documents with quantities and graded questions (docs/world.md)");
  world
    .command("generate")
    .description(
      "write a seeded toy world: corpus.jsonl (train documents), eval.jsonl (held-out questions), sft.jsonl (warm start) and more",
    )
    .requiredOption("--out <dir>", "output folder (files in it are replaced)")
    .option("--seed <n>", "generator seed", intArg("--seed", 0, 2 ** 32 - 1), 1)
    .option("--documents <n>", "documents in all (train + held-out)", intArg("--documents", 2, 1_000_000), 1000)
    .option(
      "--eval-fraction <x>",
      "share of documents held out for evaluation",
      floatArg("--eval-fraction", 0.001, 0.999),
      0.2,
    )
    .option("--max-number <n>", "largest base quantity, price or day offset", intArg("--max-number", 4, 999), 9)
    .option("--max-factor <n>", "largest multiplier", intArg("--max-factor", 2, 99), 4)
    .option("--mcq-share <x>", "share of Integer tasks asked as multiple choice", floatArg("--mcq-share", 0, 1), 0.25)
    .option("--kinds <list>", `document kinds (${KINDS.join(",")})`, listArg("--kinds", KINDS), [...KINDS])
    .option(
      "--difficulties <list>",
      `task difficulties (${DIFFICULTIES.join(",")})`,
      listArg("--difficulties", DIFFICULTIES),
      [...DIFFICULTIES],
    )
    .option("--json", "print the summary as JSON")
    .action(async (flags: GenerateFlags, cmd: Command) => {
      const options: ResolvedWorldOptions = WorldOptionsSchema.parse({
        seed: flags.seed,
        documents: flags.documents,
        kinds: flags.kinds,
        difficulties: flags.difficulties,
        maxNumber: flags.maxNumber,
        maxFactor: flags.maxFactor,
        mcqShare: flags.mcqShare,
      });
      let generated: ReturnType<typeof generateWorld>;
      try {
        generated = generateWorld(options);
      } catch (err) {
        fail((err as Error).message);
      }
      const split = splitWorld(generated, { evalFraction: flags.evalFraction, seed: flags.seed });
      const render = await promptRenderer(commandConfig(cmd).model, cmd);
      const sft = sftPairs(split.train, { seed: flags.seed, render });
      try {
        mkdirSync(flags.out, { recursive: true });
        const files: Record<string, string> = {
          "corpus.jsonl": corpusJsonl(split.train, flags.seed),
          "corpus-eval.jsonl": corpusJsonl(split.eval, flags.seed),
          "train-tasks.jsonl": evalJsonl(split.train),
          "eval.jsonl": evalJsonl(split.eval),
          "sft.jsonl": toJsonl(sft),
        };
        for (const [name, text] of Object.entries(files)) writeAtomic(join(flags.out, name), text);
      } catch (err) {
        fail(`cannot write ${flags.out}: ${(err as Error).message}`);
      }
      const summary = {
        out: flags.out,
        options: { ...options, evalFraction: flags.evalFraction },
        train: { documents: split.train.documents.length, tasks: split.train.tasks.length },
        eval: {
          documents: split.eval.documents.length,
          tasks: split.eval.tasks.length,
          dropped_duplicates: split.droppedDuplicates,
        },
        sft: {
          pairs: sft.length,
          challenger: sft.filter((p) => p.role === "challenger").length,
          reasoner: sft.filter((p) => p.role === "reasoner").length,
        },
      };
      writeAtomic(join(flags.out, "world.json"), `${JSON.stringify(summary, null, 2)}\n`);
      if (flags.json) printJson(summary);
      else {
        process.stdout.write(`${flags.out}\n`);
        process.stderr.write(
          `spice: ${summary.train.documents} train documents (${summary.train.tasks} tasks), ${summary.eval.documents} held out (${summary.eval.tasks} tasks, ${split.droppedDuplicates} duplicate questions dropped), ${sft.length} warm-start pairs\n`,
        );
      }
    });
}
