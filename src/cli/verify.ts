import type { Command } from "commander";
import { createReadStream, createWriteStream, existsSync, statSync } from "node:fs";
import { createInterface } from "node:readline";
import type { Writable } from "node:stream";
import { isErrorRow, verifyJsonLine } from "../verify/rows.ts";
import { fail } from "./util.ts";

interface VerifyFlags {
  in?: string;
  out?: string;
  strict?: boolean;
}

interface Tally {
  rows: number;
  correct: number;
  bad: number;
  badLines: number[];
}

const SHOWN_BAD_LINES = 10;

/** Writes with back-pressure so a large input never piles up in memory. */
function writer(stream: Writable): (text: string) => Promise<void> {
  return (text) =>
    new Promise((resolve, reject) => {
      const ok = stream.write(text, (err) => err && reject(err));
      if (ok) resolve();
      else stream.once("drain", resolve);
    });
}

async function run(flags: VerifyFlags): Promise<Tally> {
  if (flags.in !== undefined && flags.in !== "-" && (!existsSync(flags.in) || !statSync(flags.in).isFile())) {
    fail(`--in: no such file: ${flags.in}`);
  }
  const input = flags.in === undefined || flags.in === "-" ? process.stdin : createReadStream(flags.in);
  const output = flags.out === undefined || flags.out === "-" ? process.stdout : createWriteStream(flags.out);
  if (output !== process.stdout) {
    await new Promise<void>((resolve) => {
      output.once("open", () => resolve());
      output.once("error", (err) => fail(`--out: cannot write ${flags.out}: ${err.message}`));
    });
  }
  const write = writer(output);
  const tally: Tally = { rows: 0, correct: 0, bad: 0, badLines: [] };
  let lineNumber = 0;
  // Lines are batched into one write: a syscall per verdict would dominate on fast rows.
  let pending = "";
  for await (const line of createInterface({ input, crlfDelay: Infinity })) {
    lineNumber++;
    if (line.trim() === "") continue;
    const row = verifyJsonLine(line, lineNumber);
    tally.rows++;
    if (isErrorRow(row)) {
      tally.bad++;
      if (tally.badLines.length < SHOWN_BAD_LINES) tally.badLines.push(lineNumber);
    } else if (row.correct) {
      tally.correct++;
    }
    pending += `${JSON.stringify(row)}\n`;
    if (pending.length > 64 * 1024) {
      await write(pending);
      pending = "";
    }
  }
  if (pending) await write(pending);
  if (output !== process.stdout) await new Promise<void>((resolve) => output.end(resolve));
  return tally;
}

function summary(t: Tally): string {
  const wrong = t.rows - t.correct - t.bad;
  let text = `verify: ${t.rows} rows, ${t.correct} correct, ${wrong} wrong, ${t.bad} bad`;
  if (t.bad > 0)
    text += ` (line${t.bad > 1 ? "s" : ""} ${t.badLines.join(", ")}${t.bad > t.badLines.length ? ", …" : ""})`;
  return `${text}\n`;
}

export function registerVerify(program: Command): void {
  program
    .command("verify")
    .description(
      "verify JSON Lines rows {id?, response, answer, answer_type, options?} → {id, correct, reward, extracted, reason}",
    )
    .option("--in <file>", 'JSON Lines input (default stdin; "-" for stdin)')
    .option("--out <file>", "JSON Lines output (default stdout)")
    .option("--strict", "exit 1 when any row is bad (they are still answered in place)", false)
    .addHelpText(
      "after",
      "\nStreaming, order kept. A malformed row is answered {id, line, error} (line counts from 1) and the rest\n" +
        "go on (exit 0; with --strict, exit 1). Exit 2 for unusable input: a missing --in file, bad flags, or\n" +
        "rows none of which could be read. A summary goes to stderr. A closed stdout (`| head`) ends it\n" +
        "quietly with exit 0. Rules: docs/verifier.md. Example:\n" +
        '  echo \'{"response":"\\\\boxed{4}","answer":"4","answer_type":"Integer"}\' | spice verify',
    )
    .action(async (flags: VerifyFlags) => {
      const tally = await run(flags);
      process.stderr.write(summary(tally));
      if (tally.rows > 0 && tally.bad === tally.rows) fail(`no usable row: all ${tally.rows} rows are bad`);
      if (flags.strict && tally.bad > 0) process.exit(1);
    });
}
