// Packs token sequences into the fixed-shape, right-padded arrays the compiled step takes. Shapes are
// bucketed (rows padded to a fixed count, length rounded up) so that a few compiled programs serve
// every batch: jax-js compiles once per distinct input shape.

/** One training sequence: targets are trained from token index `lossStart` (≥ 1) on. */
export type Row = { tokens: number[]; lossStart: number; coef?: number };

export type PackedBatch = {
  rows: number;
  length: number;
  ids: Int32Array<ArrayBuffer>;
  targets: Int32Array<ArrayBuffer>;
  mask: Float32Array<ArrayBuffer>;
  coef: Float32Array<ArrayBuffer>;
  /** Trained target tokens in the batch. */
  tokens: number;
};

export function bucketLength(n: number, bucket: number, max: number): number {
  return Math.min(max, Math.max(bucket, Math.ceil(n / bucket) * bucket));
}

/** `rows.length` must be ≤ `padRows`; every row must fit: tokens.length - 1 ≤ maxLength. */
export function packRows(rows: Row[], padRows: number, bucket: number, maxLength: number): PackedBatch {
  if (rows.length > padRows) throw new Error(`${rows.length} rows exceed the batch size ${padRows}`);
  const longest = rows.reduce((n, r) => Math.max(n, r.tokens.length - 1), 1);
  if (longest > maxLength) throw new Error(`a row of ${longest + 1} tokens exceeds the context ${maxLength}`);
  const T = bucketLength(longest, bucket, maxLength);
  const ids = new Int32Array(padRows * T);
  const targets = new Int32Array(padRows * T);
  const mask = new Float32Array(padRows * T);
  const coef = new Float32Array(padRows);
  let tokens = 0;
  rows.forEach((r, b) => {
    coef[b] = r.coef ?? 0;
    for (let t = 0; t < r.tokens.length - 1; t++) {
      ids[b * T + t] = r.tokens[t]!;
      targets[b * T + t] = r.tokens[t + 1]!;
      if (t + 1 >= r.lossStart) {
        mask[b * T + t] = 1;
        tokens++;
      }
    }
  });
  return { rows: padRows, length: T, ids, targets, mask, coef, tokens };
}

/** Splits `items` into consecutive chunks of at most `size`. */
export function chunk<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
