/**
 * Diagnostic: the paired gain of a `spice eval --details` run over the warm start, on the items that
 * run scored, with its 95% bootstrap interval (src/eval/stats.ts).
 *   bun scripts/paired-gain.ts WORK_DIR/start-eval.json WORK_DIR/world/eval.jsonl DETAILS.jsonl
 * The start evaluation's per-item verdicts are in the evaluation set's order.
 */
import { readFileSync } from "node:fs";
import { parseDataset } from "../src/eval/dataset.ts";
import { pairedGain } from "../src/eval/stats.ts";

const [startFile, datasetFile, detailsFile] = process.argv.slice(2);
if (!startFile || !datasetFile || !detailsFile) {
  console.error("usage: bun scripts/paired-gain.ts START_EVAL.json EVAL.jsonl DETAILS.jsonl");
  process.exit(2);
}
const start = JSON.parse(readFileSync(startFile, "utf8")).eval as { greedy: string };
const { items } = parseDataset(readFileSync(datasetFile, "utf8"));
const index = new Map(items.map((it, i) => [it.id, i]));
const details = readFileSync(detailsFile, "utf8")
  .trim()
  .split("\n")
  .map((l) => JSON.parse(l) as { id: string; greedy: { correct: boolean } });
const before: number[] = details.map((d) => (start.greedy[index.get(d.id)!] === "1" ? 1 : 0));
const after: number[] = details.map((d) => (d.greedy.correct ? 1 : 0));
const g = pairedGain(before, [after], { seed: 1 });
const pct = (x: number) => (x * 100).toFixed(1);
console.log(
  `n ${g.n}: start ${pct(before.reduce((a, b) => a + b, 0) / g.n)}%, after ${pct(after.reduce((a, b) => a + b, 0) / g.n)}%, gain ${pct(g.mean)} points [${pct(g.lo)}, ${pct(g.hi)}]`,
);
