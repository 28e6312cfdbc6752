// Supervised warm start: cross-entropy on `{"text"}` lines (every token) or `{"prompt","completion"}`
// lines (completion tokens only), trained with the same fused AdamW step as the policy gradient.
import { z } from "zod";
import { parseJsonLines, type BadLine } from "../jsonl.ts";
import { makeTrainStep } from "./adamw.ts";
import { type Row, packRows } from "./batch.ts";
import { crossEntropyLoss, type SftBatch } from "./loss.ts";
import { createRng } from "../prng.ts";
import { type TrainState, rowsArray } from "./train-state.ts";

const SftLine = z.union([
  z.object({ prompt: z.string(), completion: z.string().min(1) }),
  z.object({ text: z.string().min(1) }),
]);
export type SftExample = z.infer<typeof SftLine>;

export type { BadLine };

/** Parses JSON Lines; bad lines are reported with their 1-based number, not fatal. */
export function parseSftJsonl(text: string): { examples: SftExample[]; bad: BadLine[] } {
  const { rows, bad } = parseJsonLines(text, (value) => {
    const parsed = SftLine.safeParse(value);
    return parsed.success
      ? { ok: true, value: parsed.data }
      : { ok: false, error: 'expected {"text"} or {"prompt","completion"} with non-empty strings' };
  });
  return { examples: rows, bad };
}

/**
 * Token rows for training. A completion ends with EOS so the model learns to stop. Texts longer than
 * the context are cut into windows; a prompt + completion that does not fit is dropped (counted).
 */
export function sftRows(
  examples: SftExample[],
  tokenize: (text: string) => number[],
  eosId: number,
  context: number,
): { rows: Row[]; dropped: number } {
  const rows: Row[] = [];
  let dropped = 0;
  const span = context + 1;
  for (const ex of examples) {
    if ("prompt" in ex) {
      const prompt = tokenize(ex.prompt);
      const tokens = [...prompt, ...tokenize(ex.completion), eosId];
      if (tokens.length > span) dropped++;
      else rows.push({ tokens, lossStart: Math.max(1, prompt.length) });
      continue;
    }
    const tokens = [...tokenize(ex.text), eosId];
    if (tokens.length < 2) continue;
    for (let start = 0; start < tokens.length - 1; start += context) {
      rows.push({ tokens: tokens.slice(start, start + span), lossStart: 1 });
    }
  }
  return { rows, dropped };
}

/** Rows for a step: a draw without replacement seeded by (seed, step), so a resumed run repeats exactly. */
export function rowsForStep(rows: Row[], batchSize: number, seed: number, step: number): Row[] {
  const rng = createRng((Math.imul(seed, 0x9e3779b1) ^ step) >>> 0);
  const rand = () => rng.next();
  const idx = rows.map((_, i) => i);
  const n = Math.min(batchSize, rows.length);
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(rand() * (idx.length - i));
    [idx[i], idx[j]] = [idx[j]!, idx[i]!];
  }
  return idx.slice(0, n).map((i) => rows[i]!);
}

export type SftOptions = {
  steps: number;
  batchSize: number;
  seed: number;
  lengthBucket?: number;
  onStep?: (step: number, loss: number) => void | Promise<void>;
};

/** Trains `steps` steps from the state's current step; returns the per-step losses. */
export async function runSft(state: TrainState, rows: Row[], o: SftOptions): Promise<number[]> {
  if (rows.length === 0) throw new Error("no training rows");
  const stepFn = makeTrainStep<SftBatch>((p, b) => crossEntropyLoss(state.cfg, p, b), state.opt);
  const losses: number[] = [];
  try {
    for (let i = 0; i < o.steps; i++) {
      const picked = rowsForStep(rows, o.batchSize, o.seed, state.step);
      const p = packRows(picked, o.batchSize, o.lengthBucket ?? 32, state.cfg.nPositions);
      const batch = {
        ids: rowsArray(p.ids, p.rows, p.length),
        targets: rowsArray(p.targets, p.rows, p.length),
        mask: rowsArray(p.mask, p.rows, p.length),
      };
      const { loss } = await state.apply(stepFn, batch);
      losses.push(loss);
      await o.onStep?.(state.step, loss);
    }
  } finally {
    stepFn.dispose();
  }
  return losses;
}
