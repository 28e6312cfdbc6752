/**
 * S6: arithmetic on literal matrices (a sum, a scalar multiple, a product), done on entry texts
 * so that the usual leaf rules (exact rationals, decimals, symbols) compare the results. Entries
 * that are exact numbers without a decimal point are folded to their value; the others become
 * `(a)\cdot(b)+…` texts (keeping decimals visible to N5), under a size cap so that chained
 * products cannot grow without bound (R4). Shape errors are returned as sentences naming the
 * shapes, never thrown.
 */
import { evalExact } from "./evaluate.ts";
import { parseExact } from "./exact-parser.ts";
import { MAX_PARSED_ANSWER_CHARS } from "./limits.ts";
import { BudgetExceeded, Rational, UndefinedValue } from "./rational.ts";

/** Entry texts, row by row. */
export type Cells = string[][];

/** Matrices larger than this (rows or columns) are compared as literals but not multiplied or added. */
export const MAX_MATRIX_ARITHMETIC_DIM = 20;

/** `2×3`, or the row lengths when the rows differ (`rows of 2, 3`). */
export function shapeOf(rows: readonly (readonly unknown[])[]): string {
  if (rows.length === 0) return "0×0";
  const width = rows[0]!.length;
  if (rows.every((r) => r.length === width)) return `${rows.length}×${width}`;
  return `rows of ${rows.map((r) => r.length).join(", ")}`;
}

const isRectangular = (m: Cells): boolean => m.length > 0 && m.every((r) => r.length === m[0]!.length);

function checkSize(m: Cells): void {
  if (m.length > MAX_MATRIX_ARITHMETIC_DIM || (m[0]?.length ?? 0) > MAX_MATRIX_ARITHMETIC_DIM) {
    throw new BudgetExceeded("matrix too large for arithmetic");
  }
}

function entry(text: string): string {
  if (text.length > MAX_PARSED_ANSWER_CHARS) throw new BudgetExceeded("matrix expression too large");
  return text;
}

const DECIMAL = /\d\.|\.\d/;

/** The exact value of an entry written with plain numbers and no decimal point, else null. */
function exactEntry(text: string): Rational | null {
  if (DECIMAL.test(text)) return null;
  const json = parseExact(text);
  if (json === null) return null;
  try {
    return evalExact(json);
  } catch (err) {
    if (err instanceof BudgetExceeded || err instanceof UndefinedValue) return null;
    throw err;
  }
}

/** Σ_k a_k·b_k as one entry: folded to a number when every factor is one. */
function dot(pairs: [string, string][], signs?: number[]): string {
  let value: Rational | null = Rational.ZERO;
  for (let k = 0; k < pairs.length && value !== null; k++) {
    const a = exactEntry(pairs[k]![0]);
    const b = a === null ? null : exactEntry(pairs[k]![1]);
    if (a === null || b === null) value = null;
    else value = (signs?.[k] ?? 1) < 0 ? value.sub(a.mul(b)) : value.add(a.mul(b));
  }
  if (value !== null) return value.toLatex();
  let text = "";
  for (let k = 0; k < pairs.length; k++) {
    const sign = (signs?.[k] ?? 1) < 0 ? "-" : k > 0 ? "+" : "";
    const [a, b] = pairs[k]!;
    text = entry(b === "1" ? `${text}${sign}(${a})` : `${text}${sign}(${a})\\cdot(${b})`);
  }
  return text;
}

/** a + sign·b, entry by entry; a sentence naming both shapes when they differ. */
export function addCells(a: Cells, b: Cells, sign: 1 | -1): Cells | string {
  if (!isRectangular(a) || !isRectangular(b) || a.length !== b.length || a[0]!.length !== b[0]!.length) {
    return `matrix shapes ${shapeOf(a)} and ${shapeOf(b)} cannot be added`;
  }
  checkSize(a);
  return a.map((row, i) =>
    row.map((x, j) =>
      dot(
        [
          [x, "1"],
          [b[i]![j]!, "1"],
        ],
        [1, sign],
      ),
    ),
  );
}

/** The matrix product a·b; a sentence naming both shapes when the inner sizes differ. */
export function multiplyCells(a: Cells, b: Cells): Cells | string {
  if (!isRectangular(a) || !isRectangular(b) || a[0]!.length !== b.length) {
    return `matrix shapes ${shapeOf(a)} and ${shapeOf(b)} cannot be multiplied`;
  }
  checkSize(a);
  checkSize(b);
  const inner = b.length;
  const cols = b[0]!.length;
  return a.map((row) => {
    const out: string[] = [];
    for (let j = 0; j < cols; j++) {
      const pairs: [string, string][] = [];
      for (let k = 0; k < inner; k++) pairs.push([row[k]!, b[k]![j]!]);
      out.push(dot(pairs));
    }
    return out;
  });
}

/** coefficient · m, entry by entry (the coefficient is a scalar text). */
export function scaleCells(coefficient: string, m: Cells): Cells {
  checkSize(m);
  return m.map((row) => row.map((x) => dot([[coefficient, x]])));
}
