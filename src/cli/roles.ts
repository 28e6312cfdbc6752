import { type Command, InvalidArgumentError, Option } from "commander";
import { existsSync, readFileSync } from "node:fs";
import { challengeBody } from "../../routes/challenger/wire.ts";
import { solveBody } from "../../routes/reasoner/wire.ts";
import type { AppContext } from "../context.ts";
import { challengeCall, solveCall, type DocumentChallenge } from "../roles/calls.ts";
import type { DocumentSource } from "../roles/calls.ts";
import { roleServices } from "../roles/services.ts";
import type { SolveResult } from "../roles/solve.ts";
import { openContext } from "../server.ts";
import { TASK_TYPES } from "../spice/task-types.ts";
import { ANSWER_TYPES, McqOptionsSchema, parseAnswerType } from "../verify/index.ts";
import { commandConfig, fail, floatArg, intArg, printJson } from "./util.ts";

/**
 * `spice challenge` and `spice solve`: one challenger / reasoner call from the shell. `--json` prints the
 * HTTP answer's shape, so it maps the result with the routes' own mapping.
 */

function optionsArg(value: string) {
  try {
    return McqOptionsSchema.parse(JSON.parse(value));
  } catch {
    throw new InvalidArgumentError('--options takes a JSON object {"A": "...", "B": "...", "C": "...", "D": "..."}.');
  }
}

function answerTypeArg(value: string) {
  const t = parseAnswerType(value);
  if (!t) throw new InvalidArgumentError(`--answer-type must be one of ${ANSWER_TYPES.join(", ")}.`);
  return t;
}

function readText(path: string): string {
  if (path === "-") return readFileSync(0, "utf8");
  if (!existsSync(path)) fail(`no such file: ${path}`);
  return readFileSync(path, "utf8");
}

/** Runs one call with a context; a library error reaches main(), which answers it from the error table. */
async function withContext<T>(cmd: Command, run: (ctx: AppContext) => Promise<T>): Promise<T> {
  const config = commandConfig(cmd);
  const ctx = openContext({ ...config, logLevel: "silent" });
  try {
    return await run(ctx);
  } finally {
    await ctx.close();
  }
}

function printChallenge(r: DocumentChallenge): void {
  const notes = `${r.skipped ? ", skipped (no valid task)" : ""}${r.truncated ? ", document trimmed" : ""}`;
  process.stdout.write(`doc ${r.docId ?? "(inline)"}: ${r.attempts} samples in ${r.rounds} round(s)${notes}\n`);
  r.group.forEach(({ result: t }, i) => {
    if (!t.valid) {
      process.stdout.write(`  ${i + 1}. invalid: ${t.error}\n`);
      return;
    }
    process.stdout.write(`  ${i + 1}. [${t.taskType}/${t.answerType}] ${t.question}\n`);
    if (t.options) for (const [k, v] of Object.entries(t.options)) process.stdout.write(`       ${k}) ${v}\n`);
    process.stdout.write(`     answer: ${t.answer}\n`);
  });
}

function printSolve(r: SolveResult): void {
  r.rollouts.forEach((x, i) => {
    const verdict = x.correct === undefined ? "" : x.correct ? " ✓" : " ✗";
    process.stdout.write(`rollout ${i + 1}: ${x.extracted ?? "(no answer)"}${verdict}\n`);
  });
  if (r.passRate !== undefined) process.stdout.write(`pass rate: ${r.passRate}\n`);
}

export function registerRoles(program: Command): void {
  program
    .command("challenge")
    .description("one challenger call: write tasks from a document (a file, a corpus segment or a seeded draw)")
    .option("--document <file>", "the document to read (`-` for stdin)")
    .option("--doc-id <id>", "a corpus segment id")
    .option("--sample", "draw one segment from the corpus")
    .option("--seed <n>", "seeds the draw and the sampling", intArg("--seed", 0))
    .option("--n <n>", "G: samples per round", intArg("--n", 1, 32), 8)
    .addOption(new Option("--task-type <type>", "restrict the task type").choices(TASK_TYPES))
    .option("--max-attempts <n>", "samples drawn in all before giving up", intArg("--max-attempts", 1, 100_000), 16)
    .option("--temperature <t>", "sampling temperature", floatArg("--temperature", 0, 2), 1.0)
    .option("--top-p <p>", "nucleus sampling", floatArg("--top-p", 0.000001, 1), 1.0)
    .option("--max-tokens <n>", "generation budget of the task step", intArg("--max-tokens", 1, 4096), 512)
    .option("--json", "print the result as JSON (the HTTP answer's shape)")
    .action(async (o, cmd: Command) => {
      const sources = [o.document !== undefined, o.docId !== undefined, o.sample === true].filter(Boolean).length;
      if (sources !== 1) fail("give exactly one of --document, --doc-id or --sample");
      const document = o.document !== undefined ? readText(o.document) : undefined;
      if (document !== undefined && document.trim() === "") fail("the document is empty");
      let source: DocumentSource = { kind: "draw", seed: o.seed };
      if (document !== undefined) source = { kind: "inline", text: document };
      else if (o.docId !== undefined) source = { kind: "segment", id: o.docId };
      const r = await withContext(cmd, (ctx) =>
        challengeCall(roleServices(ctx), source, {
          samples: o.n,
          maxAttempts: o.maxAttempts,
          taskTypes: o.taskType ? [o.taskType] : undefined,
          temperature: o.temperature,
          topP: o.topP,
          maxTokens: o.maxTokens,
          seed: o.seed,
        }),
      );
      if (o.json) printJson(challengeBody(r));
      else printChallenge(r);
    });

  program
    .command("solve")
    .description("one reasoner call: K rollouts for a question, verified when a gold answer is given")
    .argument("<question>", "the question (`-` reads it from stdin)")
    .option("--options <json>", 'multiple choice: {"A": "...", "B": "...", "C": "...", "D": "..."}', optionsArg)
    .option("--k <n>", "K: rollouts", intArg("--k", 1, 64), 8)
    .option("--answer <gold>", "gold answer: verify every rollout")
    .option("--answer-type <type>", `${ANSWER_TYPES.join(" | ")} (default MCQ with --options)`, answerTypeArg)
    .option("--stream", "print the first rollout's tokens on stderr as they come")
    .option("--temperature <t>", "sampling temperature", floatArg("--temperature", 0, 2), 1.0)
    .option("--top-p <p>", "nucleus sampling", floatArg("--top-p", 0.000001, 1), 1.0)
    .option("--max-tokens <n>", "generation budget", intArg("--max-tokens", 1, 4096), 512)
    .option("--seed <n>", "sampling seed", intArg("--seed", 0))
    .option("--json", "print the result as JSON (the HTTP answer's shape)")
    .action(async (questionArg: string, o, cmd: Command) => {
      const question = questionArg === "-" ? readText("-").trim() : questionArg;
      if (question === "") fail("the question is empty");
      if (o.answer !== undefined && o.answerType === undefined && o.options === undefined)
        fail("--answer needs --answer-type (or --options for a multiple-choice question)");
      const onToken = o.stream
        ? (e: { sample: number; text: string }) => void (e.sample === 0 && process.stderr.write(e.text))
        : undefined;
      const r = await withContext(cmd, (ctx) =>
        solveCall(
          roleServices(ctx),
          { question, options: o.options, answer: o.answer, answerType: o.answerType },
          { rollouts: o.k, temperature: o.temperature, topP: o.topP, maxTokens: o.maxTokens, seed: o.seed, onToken },
        ),
      );
      if (o.stream) process.stderr.write("\n");
      if (o.json) printJson(solveBody(r));
      else printSolve(r);
    });
}
