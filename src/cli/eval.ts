import { type Command, Option } from "commander";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { basename } from "node:path";
import { dbPath, openDb } from "../db/client.ts";
import { compareTable } from "../eval/compare.ts";
import { CONVERT_FORMATS, convertJsonl, type ConvertFormat } from "../eval/convert.ts";
import { parseDataset, type BadRow } from "../eval/dataset.ts";
import { stratifiedSample } from "../eval/stats.ts";
import { runEval } from "../eval/run.ts";
import { resultsFor, saveResult } from "../eval/store.ts";
import { createPolicy } from "../policy/index.ts";
import type { Policy } from "../policy/types.ts";
import { commandConfig, fail, floatArg, intArg, printJson } from "./util.ts";
import { Progress } from "./progress.ts";

type EvalFlags = {
  dataset?: string;
  k: number;
  temperature: number;
  maxTokens: number;
  seed: number;
  limit?: number;
  sample?: number;
  batchItems: number;
  checkpoint?: string;
  compare?: boolean;
  details?: string;
  json?: boolean;
};

type ConvertFlags = { format: ConvertFormat; in: string; out: string; json?: boolean };

function readInput(path: string, flag: string): string {
  if (!existsSync(path)) fail(`${flag} ${path}: no such file`);
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    fail(`${flag} ${path}: ${(err as Error).message}`);
  }
}

function reportBad(path: string, bad: readonly BadRow[]): void {
  for (const b of bad) process.stderr.write(`spice: ${path}:${b.line}: ${b.error} (skipped)\n`);
}

function writeAtomic(path: string, text: string): void {
  try {
    writeFileSync(`${path}.tmp`, text);
    renameSync(`${path}.tmp`, path);
  } catch (err) {
    fail(`cannot write ${path}: ${(err as Error).message}`);
  }
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

async function evaluate(flags: EvalFlags, cmd: Command): Promise<void> {
  const config = commandConfig(cmd);
  if (!flags.dataset) fail("--dataset <file> is required");
  const content = readInput(flags.dataset, "--dataset");
  const datasetHash = createHash("sha256").update(content).digest("hex");
  const db = openDb(dbPath(config.dataDir));

  if (flags.compare) {
    const results = resultsFor(db, datasetHash);
    if (flags.json) printJson({ dataset: flags.dataset, dataset_hash: datasetHash, results });
    else if (results.length === 0)
      process.stderr.write(`spice: no stored results for ${flags.dataset} (run spice eval on it first)\n`);
    else process.stdout.write(compareTable(results));
    return;
  }

  const { items: all, bad } = parseDataset(content);
  reportBad(flags.dataset, bad);
  const limited = flags.limit !== undefined ? all.slice(0, flags.limit) : all;
  // A stratified sample keeps each (answer type, difficulty) stratum's share of the set.
  const items =
    flags.sample !== undefined
      ? stratifiedSample(limited, (it) => `${it.answerType}|${it.group ?? ""}`, flags.sample, flags.seed)
      : limited;
  if (items.length === 0) fail(`--dataset ${flags.dataset}: no usable rows`);

  let policy: Policy;
  try {
    policy = await createPolicy(config);
  } catch (err) {
    fail(`cannot load the model: ${(err as Error).message}`);
  }
  const checkpoint = flags.checkpoint ?? basename(policy.info.model);
  process.stderr.write(`spice: evaluating ${checkpoint} on ${items.length} items, k=${flags.k} …\n`);
  let report: Awaited<ReturnType<typeof runEval>>;
  const bar = new Progress("eval", items.length);
  // A failing policy server (PolicyError) reaches main(), which answers it from the error table.
  try {
    report = await runEval(policy, items, {
      k: flags.k,
      temperature: flags.temperature,
      maxTokens: flags.maxTokens,
      seed: flags.seed,
      batchItems: flags.batchItems,
      onProgress: (done, total) => bar.update(done, "items", total),
    });
  } finally {
    bar.finish();
    await policy.close();
  }
  const { items: perItem, groups, by_answer_type, ci95, mcq_chance, ...summary } = report;
  saveResult(db, {
    ...summary,
    groups,
    checkpoint,
    dataset: flags.dataset,
    datasetHash,
    model: policy.info.model,
    temperature: flags.temperature,
    seed: flags.seed,
    createdAt: new Date(),
  });
  if (flags.details) writeAtomic(flags.details, `${perItem.map((r) => JSON.stringify(r)).join("\n")}\n`);
  if (flags.json)
    printJson({
      ...summary,
      ci95,
      groups,
      by_answer_type,
      mcq_chance,
      checkpoint,
      dataset: flags.dataset,
      bad_rows: bad.length,
    });
  else {
    const ci = (c: [number, number]) => `[${pct(c[0])}, ${pct(c[1])}]`;
    process.stdout.write(
      `avg@${summary.k} ${pct(summary.avg_at_k)} ${ci(ci95.avg_at_k)}  pass@1 ${pct(summary.pass_at_1)} ${ci(ci95.pass_at_1)}${summary.k > 1 ? `  pass@${summary.k} ${pct(summary.pass_at_k)}` : ""}  (n=${summary.n}; 95% bootstrap intervals over items)\n`,
    );
    for (const [g, s] of Object.entries(groups))
      process.stdout.write(`  ${g}: avg@${s.k} ${pct(s.avg_at_k)}  pass@1 ${pct(s.pass_at_1)}  (n=${s.n})\n`);
    for (const [t, s] of Object.entries(by_answer_type))
      process.stdout.write(
        `  ${t}: avg@${s.k} ${pct(s.avg_at_k)}  pass@1 ${pct(s.pass_at_1)}  (n=${s.n})${t === "MCQ" ? `  chance ${pct(mcq_chance)}` : ""}\n`,
      );
  }
}

function convert(flags: ConvertFlags): void {
  const content = readInput(flags.in, "--in");
  const { rows, bad } = convertJsonl(content, flags.format);
  reportBad(flags.in, bad);
  writeAtomic(flags.out, rows.map((r) => JSON.stringify(r)).join("\n") + (rows.length > 0 ? "\n" : ""));
  if (flags.json) printJson({ out: flags.out, written: rows.length, bad_rows: bad.length });
  else process.stderr.write(`spice: ${rows.length} rows written to ${flags.out}, ${bad.length} bad rows skipped\n`);
}

export function registerEval(program: Command): void {
  const evalCmd = program
    .command("eval")
    .description(
      "a model (--model folder or --policy-url) as the reasoner over a JSON Lines benchmark: avg@k, pass@1, pass@k (docs/eval.md)",
    )
    .option("--dataset <file>", "JSON Lines of {id?, question, answer, answer_type, options?, difficulty?}")
    .option("--k <n>", "sampled answers per item", intArg("--k", 1, 1024), 8)
    .option(
      "--temperature <x>",
      "sampling temperature of the k answers (pass@1 is always greedy)",
      floatArg("--temperature", 0, 10),
      1.0,
    )
    .option("--max-tokens <n>", "generation budget per answer", intArg("--max-tokens", 1, 1 << 20), 512)
    .option("--seed <n>", "sampling seed", intArg("--seed", 0, 2 ** 32 - 1), 1)
    .option("--limit <n>", "evaluate only the first n usable items", intArg("--limit", 1, Number.MAX_SAFE_INTEGER))
    .option(
      "--sample <n>",
      "evaluate a stratified sample of n items (each answer type × difficulty keeps its share; seeded by --seed)",
      intArg("--sample", 1, Number.MAX_SAFE_INTEGER),
    )
    .option("--batch-items <n>", "items per generation batch", intArg("--batch-items", 1, 4096), 16)
    .option("--checkpoint <name>", "name the result is stored under [default: the model folder's name]")
    .option("--compare", "print the stored results of every checkpoint on this dataset (runs no model)")
    .option("--details <file>", "also write per-item verdicts as JSON Lines")
    .option("--json", "print the result as JSON")
    .action((flags: EvalFlags, cmd: Command) => evaluate(flags, cmd));
  evalCmd
    .command("convert")
    .description("convert a GSM8K-, MATH- or MCQ-style JSON Lines file to the spice eval layout")
    .addOption(new Option("--format <format>", "input layout").choices(CONVERT_FORMATS).makeOptionMandatory())
    .requiredOption("--in <file>", "input JSON Lines")
    .requiredOption("--out <file>", "output JSON Lines (replaced)")
    .option("--json", "print the summary as JSON")
    // `eval` has its own --json, which commander would give the parent: read both levels.
    .action((_flags: ConvertFlags, cmd: Command) => convert(cmd.optsWithGlobals() as ConvertFlags));
}
