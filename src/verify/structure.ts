/**
 * The shape of an answer, read from its normalised LaTeX (S1–S6, X2, X4): sets, bare lists,
 * tuples and intervals, unions, matrices (and expressions of literal matrices), equations,
 * relations, ratios, or one scalar. Splitting happens at nesting depth 0 only, so `f(1,2)` or
 * `\{1,2\}` inside a value stays whole.
 */
import { type Cells, addCells, multiplyCells, scaleCells } from "./matrix.ts";

/** X4: relation symbols after normalisation (notation is irrelevant). */
export type RelOp = "<" | "<=" | ">" | ">=" | "!=";

export type Struct =
  | { kind: "scalar"; text: string }
  /** `joiner`: the items were joined by that word only (a union or an intersection of relations, X4). */
  | { kind: "set"; items: Struct[]; bare: boolean; joiner?: "or" | "and" }
  | { kind: "seq"; open: "(" | "["; close: ")" | "]"; items: Struct[] }
  | { kind: "union"; items: Struct[] }
  | { kind: "matrix"; rows: Struct[][] }
  | { kind: "equation"; sides: Struct[] }
  | { kind: "relation"; sides: Struct[]; ops: RelOp[] }
  | { kind: "ratio"; items: Struct[] };

export class Malformed extends Error {}

type Matcher = (s: string, i: number) => number;

/**
 * Spans [start, end) at depth 0 where `match` answers a length > 0. Throws Malformed on
 * unbalanced delimiters (R6). Linear in the length of `s`.
 */
function topLevel(s: string, match: Matcher): [number, number][] {
  const spans: [number, number][] = [];
  let depth = 0;
  for (let i = 0; i < s.length; ) {
    if (depth === 0) {
      const len = match(s, i);
      if (len > 0) {
        spans.push([i, i + len]);
        i += len;
        continue;
      }
    }
    const ch = s[i]!;
    if (ch === "\\") {
      const next = s[i + 1];
      if (next === "{") depth++;
      else if (next === "}") depth--;
      if (next !== undefined && /[A-Za-z]/.test(next)) {
        let j = i + 1;
        while (j < s.length && /[A-Za-z]/.test(s[j]!)) j++;
        i = j;
      } else {
        i += 2;
      }
    } else {
      if (ch === "{" || ch === "(" || ch === "[") depth++;
      else if (ch === "}" || ch === ")" || ch === "]") depth--;
      i++;
    }
    if (depth < 0) throw new Malformed("unbalanced delimiters");
  }
  if (depth !== 0) throw new Malformed("unbalanced delimiters");
  return spans;
}

function split(s: string, match: Matcher): string[] {
  const spans = topLevel(s, match);
  if (spans.length === 0) return [s];
  const parts: string[] = [];
  let start = 0;
  for (const [a, b] of spans) {
    parts.push(s.slice(start, a));
    start = b;
  }
  parts.push(s.slice(start));
  return parts.map((p) => p.trim());
}

const comma: Matcher = (s, i) => (s[i] === "," || s[i] === ";" ? 1 : 0);
const cup: Matcher = (s, i) => (s.startsWith("\\cup", i) && !/[A-Za-z]/.test(s[i + 4] ?? "") ? 4 : 0);
const orAnd: Matcher = (s, i) => {
  const m = /^\s(?:or|and)\s/i.exec(s.slice(i, i + 5));
  return m ? m[0].length : 0;
};
/** `=`, and `\approx`, which counts as `=` (X2). */
const equals: Matcher = (s, i) => {
  if (s[i] === "\\") return s.startsWith("\\approx", i) && !/[A-Za-z]/.test(s[i + 7] ?? "") ? 7 : 0;
  if (s[i] !== "=") return 0;
  const prev = s[i - 1] ?? "";
  return prev === "<" || prev === ">" || prev === "!" || prev === ":" || s[i + 1] === "=" ? 0 : 1;
};
const colon: Matcher = (s, i) => (s[i] === ":" && s[i + 1] !== "=" ? 1 : 0);

/** X4: the relation macros and what they normalise to. */
const RELATION_MACROS: Record<string, RelOp> = {
  lt: "<",
  gt: ">",
  le: "<=",
  leq: "<=",
  leqslant: "<=",
  leqq: "<=",
  ge: ">=",
  geq: ">=",
  geqslant: ">=",
  geqq: ">=",
  ne: "!=",
  neq: "!=",
};

/** The relation at `i` and its length, or null. */
function relationAt(s: string, i: number): [RelOp, number] | null {
  const ch = s[i];
  if (ch === "<" || ch === ">") {
    return s[i + 1] === "=" ? [ch === "<" ? "<=" : ">=", 2] : [ch, 1];
  }
  if (ch !== "\\") return null;
  let j = i + 1;
  while (j < s.length && j - i <= 9 && /[A-Za-z]/.test(s[j]!)) j++;
  const op = RELATION_MACROS[s.slice(i + 1, j)];
  return op === undefined ? null : [op, j - i];
}
const relation: Matcher = (s, i) => relationAt(s, i)?.[1] ?? 0;

/** Index of the delimiter closing the one at `open`, with all bracket kinds counted together. */
function closingIndex(s: string, open: number): number {
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    const ch = s[i]!;
    if (ch === "\\") {
      const next = s[i + 1];
      if (next === "{") depth++;
      else if (next === "}") {
        depth--;
        if (depth === 0) return i;
      }
      i++;
      continue;
    }
    if (ch === "{" || ch === "(" || ch === "[") depth++;
    else if (ch === "}" || ch === ")" || ch === "]") {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

const EMPTY_SET = /^(?:\\emptyset|\\varnothing|\\\{\s*\\\}|\\O)$/;
const ELEMENT_OF = /^[A-Za-z](?:_\{?\w+\}?)?\s*\\in(?![A-Za-z])\s*/;
const GROUPED_NUMBER = /^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$/;

// ---- S6: matrices -------------------------------------------------------------------------

const MATRIX_BEGIN = /\\begin\{([pbBvV]?matrix\*?|smallmatrix|array)\}/y;

/**
 * A matrix environment opening at `i`: its body and the index just past its `\end{…}`, or
 * null. `array` takes a column specification (`{cc}`, `{c|c}`, `{*{3}{c}}`), skipped whatever
 * it says. Nested environments of the same name are counted.
 */
function matrixAt(s: string, i: number, unclosed?: Set<string>): { body: string; end: number } | null {
  MATRIX_BEGIN.lastIndex = i;
  const m = MATRIX_BEGIN.exec(s);
  if (!m || unclosed?.has(m[1]!)) return null;
  const env = m[1]!;
  let start = i + m[0].length;
  if (env === "array") {
    while (s[start] === " ") start++;
    if (s[start] !== "{") return null;
    const close = closingIndex(s, start);
    if (close < 0) return null;
    start = close + 1;
  }
  const open = `\\begin{${env}}`;
  const close = `\\end{${env}}`;
  let depth = 1;
  let k = start;
  for (;;) {
    const nextClose = s.indexOf(close, k);
    if (nextClose < 0) {
      // No later opening of this environment closes either: the caller skips them (linear scan).
      unclosed?.add(env);
      return null;
    }
    const nextOpen = s.indexOf(open, k);
    if (nextOpen >= 0 && nextOpen < nextClose) {
      depth++;
      k = nextOpen + open.length;
      continue;
    }
    depth--;
    if (depth === 0) return { body: s.slice(start, nextClose), end: nextClose + close.length };
    k = nextClose + close.length;
  }
}

/** A matrix literal starting at `i`, bare or wrapped in `( … )` / `[ … ]` (`\left[ … \right]` once normalised). */
function matrixLiteralAt(s: string, i: number, unclosed?: Set<string>): { body: string; end: number } | null {
  const ch = s[i];
  if (ch === "(" || ch === "[") {
    const close = closingIndex(s, i);
    if (close < 0 || s[close] !== (ch === "(" ? ")" : "]")) return null;
    const inner = s.slice(i + 1, close);
    const lead = inner.length - inner.trimStart().length;
    const m = matrixAt(inner, lead);
    return m && inner.slice(m.end).trim() === "" ? { body: m.body, end: close + 1 } : null;
  }
  return ch === "\\" ? matrixAt(s, i, unclosed) : null;
}

function parseMatrix(body: string): Struct & { kind: "matrix" } {
  const rows = split(body.replace(/\\hline(?![A-Za-z])/g, " ").trim(), (s, i) =>
    s.startsWith("\\\\", i) ? 2 : 0,
  ).filter((r) => r !== "");
  const cells = rows.map((r) => split(r, (s, i) => (s[i] === "&" ? 1 : 0)).map((c) => parseStruct(c, false)));
  return { kind: "matrix", rows: cells };
}

function cellsOf(m: Struct & { kind: "matrix" }): Cells {
  return m.rows.map((row) =>
    row.map((c) => {
      if (c.kind !== "scalar") throw new Malformed("a matrix entry is not a single value");
      return c.text;
    }),
  );
}

const OPERATOR_EDGE =
  /^(?:\s|\\cdot(?![A-Za-z])|\\times(?![A-Za-z])|\*)+|(?:\s|\\cdot(?![A-Za-z])|\\times(?![A-Za-z])|\*)+$/g;

type Factor = { scalar: string } | { matrix: Struct & { kind: "matrix" } };

/**
 * S6: an expression of literal matrices: terms joined by `+`/`-`, each a product of matrices
 * and scalar factors (`2M`, `M N`, `M \cdot N`, `-\frac12 M`). Evaluated on entry texts; null
 * when the text holds no matrix literal. Throws Malformed naming the shapes when they do not fit.
 */
function parseMatrixExpression(s: string): Struct | null {
  if (!s.includes("\\begin{")) return null;
  const terms: { sign: 1 | -1; factors: Factor[] }[] = [];
  let current: { sign: 1 | -1; factors: Factor[] } = { sign: 1, factors: [] };
  let chunk = "";
  let matrices = 0;
  const unclosed = new Set<string>();
  const flush = (): void => {
    const text = chunk.replace(OPERATOR_EDGE, "");
    if (text !== "") current.factors.push({ scalar: text });
    chunk = "";
  };
  let depth = 0;
  for (let i = 0; i < s.length; ) {
    const ch = s[i]!;
    if (depth === 0) {
      const literal = matrixLiteralAt(s, i, unclosed);
      if (literal) {
        flush();
        current.factors.push({ matrix: parseMatrix(literal.body) });
        matrices++;
        i = literal.end;
        continue;
      }
      if (ch === "+" || ch === "-") {
        const pending = chunk.replace(OPERATOR_EDGE, "");
        const afterOperator = /(?:\\cdot|\\times|\*)\s*$/.test(chunk);
        if ((current.factors.length === 0 && pending === "") || afterOperator) {
          if (ch === "-") current.sign = current.sign === 1 ? -1 : 1;
        } else {
          flush();
          terms.push(current);
          current = { sign: ch === "-" ? -1 : 1, factors: [] };
        }
        i++;
        continue;
      }
    }
    if (ch === "\\") {
      const next = s[i + 1];
      if (next === "{") depth++;
      else if (next === "}") depth--;
      let j = i + 2;
      if (next !== undefined && /[A-Za-z]/.test(next)) while (j < s.length && /[A-Za-z]/.test(s[j]!)) j++;
      chunk += s.slice(i, j);
      i = j;
      continue;
    }
    if (ch === "{" || ch === "(" || ch === "[") depth++;
    else if (ch === "}" || ch === ")" || ch === "]") depth--;
    chunk += ch;
    i++;
  }
  flush();
  terms.push(current);
  if (matrices === 0) return null;
  if (
    terms.length === 1 &&
    terms[0]!.sign === 1 &&
    terms[0]!.factors.length === 1 &&
    "matrix" in terms[0]!.factors[0]!
  ) {
    return terms[0]!.factors[0]!.matrix;
  }
  let total: Cells | null = null;
  for (const term of terms) {
    const scalars: string[] = [];
    let product: Cells | null = null;
    for (const f of term.factors) {
      if ("scalar" in f) {
        if (/^[\^_']/.test(f.scalar)) throw new Malformed("matrix powers and transposes are not evaluated");
        if (/\\(?:det|operatorname)(?![A-Za-z])/.test(f.scalar))
          throw new Malformed("matrix functions are not evaluated");
        scalars.push(f.scalar);
        continue;
      }
      const m = cellsOf(f.matrix);
      const next: Cells | string = product === null ? m : multiplyCells(product, m);
      if (typeof next === "string") throw new Malformed(next);
      product = next;
    }
    if (product === null) throw new Malformed("a number added to a matrix");
    if (scalars.length > 0) product = scaleCells(scalars.map((x) => `(${x})`).join("\\cdot"), product);
    if (total === null) {
      total = term.sign === 1 ? product : scaleCells("-1", product);
    } else {
      const sum: Cells | string = addCells(total, product, term.sign);
      if (typeof sum === "string") throw new Malformed(sum);
      total = sum;
    }
  }
  return { kind: "matrix", rows: total!.map((row) => row.map((text): Struct => ({ kind: "scalar", text }))) };
}

function expandPlusMinus(text: string): Struct | null {
  const m = /\\(pm|mp)(?![A-Za-z])/.exec(text);
  if (!m) return null;
  const rest = text.slice(m.index + m[0].length);
  if (/\\(pm|mp)(?![A-Za-z])/.test(rest)) return null;
  const before = text.slice(0, m.index);
  const signs = m[1] === "pm" ? ["+", "-"] : ["-", "+"];
  const items = signs.map((sign): Struct => ({ kind: "scalar", text: `${before}${sign}${rest}`.trim() }));
  return { kind: "set", items, bare: true };
}

/** E6: a plain brace group around the whole text only groups: `{1,2}` is 1, 2 and `{{5}}` is 5. */
function stripBraceGroups(s: string): string {
  let out = s;
  while (out.startsWith("{") && out.endsWith("}") && closingIndex(out, 0) === out.length - 1) {
    out = out.slice(1, -1).trim();
  }
  return out;
}

/** X4: a chain `a < b \le c` split at its relation symbols. */
function parseRelation(s: string): Struct | null {
  if (!/[<>\\]/.test(s)) return null;
  const spans = topLevel(s, relation);
  if (spans.length === 0) return null;
  const ops = spans.map(([a]) => relationAt(s, a)![0]);
  const sides = split(s, relation).map((p) => parseStruct(p, false));
  if (sides.some((x) => x.kind === "scalar" && x.text === "")) throw new Malformed("a relation without a side");
  return { kind: "relation", sides, ops };
}

/**
 * Reads the structure of a normalised answer. `allowThousands` keeps `1,234` one number
 * (N2) — the caller passes false when the gold is itself a collection.
 */
export function parseStruct(input: string, allowThousands: boolean): Struct {
  let s = input
    .trim()
    .replace(/\\lbrace(?![A-Za-z])/g, "\\{")
    .replace(/\\rbrace(?![A-Za-z])/g, "\\}");
  s = stripBraceGroups(s);
  s = s.replace(ELEMENT_OF, "");
  if (EMPTY_SET.test(s)) return { kind: "set", items: [], bare: false };

  const unionParts = split(s, cup);
  if (unionParts.length > 1) return { kind: "union", items: unionParts.map((p) => parseStruct(p, false)) };

  if (allowThousands && GROUPED_NUMBER.test(s)) return { kind: "scalar", text: s.replace(/,/g, "") };
  const listParts = split(s, comma);
  if (listParts.length > 1) return { kind: "set", items: listParts.map((p) => parseStruct(p, false)), bare: true };

  const wordSpans = topLevel(s, orAnd);
  if (wordSpans.length > 0) {
    const words = new Set(wordSpans.map(([a, b]) => s.slice(a, b).trim().toLowerCase()));
    const items = split(s, orAnd).map((p) => parseStruct(p, false));
    const joiner = words.size === 1 ? ([...words][0] as "or" | "and") : undefined;
    return joiner ? { kind: "set", items, bare: true, joiner } : { kind: "set", items, bare: true };
  }

  const rel = parseRelation(s);
  if (rel) return rel;

  const eqParts = split(s, equals);
  if (eqParts.length > 1) return { kind: "equation", sides: eqParts.map((p) => parseStruct(p, false)) };

  const ratioParts = s.includes(":") ? split(s, colon) : [s];
  if (ratioParts.length > 1) return { kind: "ratio", items: ratioParts.map((p) => parseStruct(p, false)) };

  const literal = matrixLiteralAt(s, 0);
  if (literal && literal.end === s.length) return parseMatrix(literal.body);
  const matrixExpression = parseMatrixExpression(s);
  if (matrixExpression) return matrixExpression;

  if (s.startsWith("\\{") && closingIndex(s, 0) === s.length - 2 && s.endsWith("\\}")) {
    const inner = s.slice(2, -2).trim();
    if (inner === "") return { kind: "set", items: [], bare: false };
    return { kind: "set", items: split(inner, comma).map((p) => parseStruct(p, false)), bare: false };
  }
  const first = s[0];
  const last = s[s.length - 1];
  if ((first === "(" || first === "[") && (last === ")" || last === "]") && closingIndex(s, 0) === s.length - 1) {
    const inner = s.slice(1, -1);
    const items = split(inner, comma);
    if (items.length > 1) {
      return { kind: "seq", open: first, close: last, items: items.map((p) => parseStruct(p, false)) };
    }
  }
  return expandPlusMinus(s) ?? { kind: "scalar", text: s };
}
