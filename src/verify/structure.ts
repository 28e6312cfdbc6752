/**
 * The shape of an answer, read from its normalised LaTeX (S1–S6, X2): sets, bare lists,
 * tuples and intervals, unions, matrices, equations, or one scalar. Splitting happens at
 * nesting depth 0 only, so `f(1,2)` or `\{1,2\}` inside a value stays whole.
 */

export type Struct =
  | { kind: "scalar"; text: string }
  | { kind: "set"; items: Struct[]; bare: boolean }
  | { kind: "seq"; open: "(" | "["; close: ")" | "]"; items: Struct[] }
  | { kind: "union"; items: Struct[] }
  | { kind: "matrix"; rows: Struct[][] }
  | { kind: "equation"; sides: Struct[] };

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
const equals: Matcher = (s, i) => {
  if (s[i] !== "=") return 0;
  const prev = s[i - 1] ?? "";
  return prev === "<" || prev === ">" || prev === "!" || prev === ":" || s[i + 1] === "=" ? 0 : 1;
};

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

const MATRIX = /^\\begin\{([pbBvV]?matrix|smallmatrix|array)\}(?:\{[^{}]*\})?([\s\S]*)\\end\{\1\}$/;
const EMPTY_SET = /^(?:\\emptyset|\\varnothing|\\\{\s*\\\}|\\O)$/;
const ELEMENT_OF = /^[A-Za-z](?:_\{?\w+\}?)?\s*\\in(?![A-Za-z])\s*/;

function parseMatrix(body: string): Struct {
  const rows = split(body.trim(), (s, i) => (s.startsWith("\\\\", i) ? 2 : 0)).filter((r) => r !== "");
  const cells = rows.map((r) => split(r, (s, i) => (s[i] === "&" ? 1 : 0)).map((c) => parseStruct(c, false)));
  return { kind: "matrix", rows: cells };
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

/**
 * Reads the structure of a normalised answer. `allowThousands` keeps `1,234` one number
 * (N2) — the caller passes false when the gold is itself a collection.
 */
export function parseStruct(input: string, allowThousands: boolean): Struct {
  let s = input
    .trim()
    .replace(/\\lbrace(?![A-Za-z])/g, "\\{")
    .replace(/\\rbrace(?![A-Za-z])/g, "\\}");
  s = s.replace(ELEMENT_OF, "");
  if (EMPTY_SET.test(s)) return { kind: "set", items: [], bare: false };

  const unionParts = split(s, cup);
  if (unionParts.length > 1) return { kind: "union", items: unionParts.map((p) => parseStruct(p, false)) };

  if (!(allowThousands && /^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$/.test(s))) {
    const listParts = split(s, comma);
    if (listParts.length > 1) return { kind: "set", items: listParts.map((p) => parseStruct(p, false)), bare: true };
  }
  const wordParts = split(s, orAnd);
  if (wordParts.length > 1) return { kind: "set", items: wordParts.map((p) => parseStruct(p, false)), bare: true };

  const eqParts = split(s, equals);
  if (eqParts.length > 1) return { kind: "equation", sides: eqParts.map((p) => parseStruct(p, false)) };

  const matrix = MATRIX.exec(s);
  if (matrix) return parseMatrix(matrix[2]!);

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
