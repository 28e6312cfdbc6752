#!/usr/bin/env bun
/**
 * Writes the committed sample corpus, the one the default model (models/spice-lm-tiny-world) can handle:
 *
 *   bun data/generate-sample.ts            # data/sample/corpus.jsonl
 *
 * = the first 120 held-out documents of the toy world `spice world generate --seed 1 --documents 2000`
 * (the world the default model's warm start was trained on; held-out documents were never seen in
 * training). `--n`, `--seed` (the world's seed), `--documents` and `--out` change that.
 *
 * `--prose` writes the older synthetic prose instead (word problems, science and history passages,
 * src/corpus/synthetic.ts), for benchmarks and the corpus tests' fixture:
 *
 *   bun data/generate-sample.ts --prose --n 120 --seed 1 --out test/corpus/fixtures/prose/corpus.jsonl
 *
 * Same flags, same bytes.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { generateSampleDocuments } from "../src/corpus/synthetic.ts";
import { generateWorld } from "../src/world/generate.ts";
import { corpusJsonl, toJsonl } from "../src/world/jsonl.ts";
import { splitWorld } from "../src/world/split.ts";

const { values } = parseArgs({
  options: {
    n: { type: "string", default: "120" },
    seed: { type: "string", default: "1" },
    documents: { type: "string", default: "2000" },
    out: { type: "string" },
    prose: { type: "boolean", default: false },
  },
});
const n = Number(values.n);
const seed = Number(values.seed);
const documents = Number(values.documents);
if (![n, seed, documents].every(Number.isInteger) || n < 1 || seed < 0 || documents < 2) {
  process.stderr.write("generate-sample: --n, --seed and --documents must be integers (n >= 1, documents >= 2)\n");
  process.exit(2);
}
const out = values.out ?? join(import.meta.dir, "sample", "corpus.jsonl");
let text: string;
if (values.prose) text = toJsonl(generateSampleDocuments(n, seed));
else {
  const { eval: heldOut } = splitWorld(generateWorld({ seed, documents }), { evalFraction: 0.2, seed });
  if (heldOut.documents.length < n) {
    process.stderr.write(`generate-sample: the world holds out only ${heldOut.documents.length} documents\n`);
    process.exit(2);
  }
  text = corpusJsonl({ documents: heldOut.documents.slice(0, n), tasks: [] }, seed);
}
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, text);
process.stderr.write(`wrote ${n} documents to ${out}\n`);
