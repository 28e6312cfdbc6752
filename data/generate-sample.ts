#!/usr/bin/env bun
/**
 * Writes the committed sample corpus: `bun data/generate-sample.ts [--n 120] [--seed 1] [--out data/sample/corpus.jsonl]`.
 * Larger synthetic corpora for benchmarks: `--n 5000 --out /tmp/big.jsonl`. Same seed, same bytes.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { generateSampleDocuments } from '../src/corpus/synthetic.ts';

const { values } = parseArgs({ options: { n: { type: 'string', default: '120' }, seed: { type: 'string', default: '1' }, out: { type: 'string' } } });
const n = Number(values.n);
const seed = Number(values.seed);
if (!Number.isInteger(n) || n < 1 || !Number.isInteger(seed)) {
  process.stderr.write('generate-sample: --n and --seed must be integers (n >= 1)\n');
  process.exit(2);
}
const out = values.out ?? join(import.meta.dir, 'sample', 'corpus.jsonl');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, generateSampleDocuments(n, seed).map((d) => JSON.stringify(d)).join('\n') + '\n');
process.stderr.write(`wrote ${n} documents to ${out}\n`);
