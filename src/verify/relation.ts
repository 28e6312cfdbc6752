/**
 * X4: relations compared as relations, and one-variable relations as the sets they describe.
 *
 * `a op b` is read as f = a − b against 0 with op in <, ≤, ≠ (`a > b` is `b − a < 0`), so two
 * relations match when they have the same symbol after that flip and one f is a positive
 * constant multiple of the other (any nonzero multiple for ≠), checked at seeded points. A
 * relation, a chain (`2 < x \le 5`) or an "or"/"and" list of relations in one variable whose
 * sides are linear in it is also read as an interval or a union of intervals (`x > 2` is
 * `(2, \infty)`), so that it can match an interval answer or gold either way.
 */
import { evalExact, freeSymbols, substitute, valueNode } from "./evaluate.ts";
import type { MathJson } from "./mathjson.ts";
import { Rational } from "./rational.ts";
import { type Comparison, type Scalar, constantRatio, parseScalar } from "./scalar.ts";
import type { RelOp, Struct } from "./structure.ts";

const no = (reason: string): Comparison => ({ equal: false, reason });

const FLIP: Record<RelOp, RelOp> = { "<": ">", "<=": ">=", ">": "<", ">=": "<=", "!=": "!=" };

/** A relation, or an "or"/"and" list whose items are all relations (X4). */
export function isRelational(s: Struct): boolean {
  return (
    s.kind === "relation" ||
    (s.kind === "set" && s.bare && s.joiner !== undefined && s.items.length > 0 && s.items.every(isRelational))
  );
}

function sidesOf(rel: Struct & { kind: "relation" }): Scalar[] | null {
  const out: Scalar[] = [];
  for (const side of rel.sides) {
    if (side.kind !== "scalar") return null;
    const s = parseScalar(side.text);
    if (s === null) return null;
    out.push(s);
  }
  return out;
}

/** One link `l op r` as `f op' 0` with op' in <, <=, != (so `>` and `>=` swap their sides). */
function canonicalLink(l: Scalar, op: RelOp, r: Scalar): { f: Scalar; op: RelOp } {
  const [a, b, o] = op === ">" || op === ">=" ? [r, l, FLIP[op]] : [l, r, op];
  return { f: { text: "", json: ["Subtract", a.json, b.json], decimal: a.decimal || b.decimal }, op: o };
}

/**
 * X4, relation against relation: the same symbols (after flipping `>`/`>=`, and reading a
 * descending chain backwards), and link by link a positive constant ratio between the f's.
 */
export function sameRelation(answer: Struct & { kind: "relation" }, gold: Struct & { kind: "relation" }): Comparison {
  const as = sidesOf(answer);
  const gs = sidesOf(gold);
  if (as === null || gs === null) return no("a side of the relation is not a value");
  if (as.length !== gs.length) return no("different number of relations in the chain");
  const ascending = (ops: RelOp[], sides: Scalar[]): [RelOp[], Scalar[]] =>
    ops.length > 1 && ops.every((o) => o === ">" || o === ">=")
      ? [ops.map((o) => FLIP[o]).reverse(), [...sides].reverse()]
      : [ops, sides];
  const [aOps, aSides] = ascending(answer.ops, as);
  const [gOps, gSides] = ascending(gold.ops, gs);
  for (let k = 0; k < aOps.length; k++) {
    const a = canonicalLink(aSides[k]!, aOps[k]!, aSides[k + 1]!);
    const g = canonicalLink(gSides[k]!, gOps[k]!, gSides[k + 1]!);
    if (a.op !== g.op) return no(a.op === "!=" || g.op === "!=" ? "different relation" : "different strictness");
    const ratio = constantRatio(a.f, g.f);
    if (typeof ratio === "string") return no(ratio);
    const real = Math.abs(ratio.im) <= 1e-9 * Math.abs(ratio.re);
    if (!real || (a.op !== "!=" && ratio.re <= 0)) return no("different relation");
  }
  return { equal: true, reason: "equivalent relation" };
}

// ---- One-variable relations as intervals --------------------------------------------------

interface Bound {
  text: string;
  closed: boolean;
}
interface Interval {
  lower: Bound | null;
  upper: Bound | null;
}
/** A union of intervals, with the variable it is about (null for a written interval). */
interface IntervalSet {
  variable: string | null;
  pieces: Interval[];
}

const INFINITE = (json: MathJson): boolean =>
  json === "PositiveInfinity" || (Array.isArray(json) && json[0] === "Negate" && json[1] === "PositiveInfinity");

/** f(x) = a·x + b exactly (checked at several rational points), or null. */
function linearCoefficients(f: MathJson, x: string): { a: Rational; b: Rational } | null {
  const at = (v: Rational): Rational | null => evalExact(substitute(f, x, valueNode(v)));
  try {
    const b = at(Rational.ZERO);
    const one = at(Rational.ONE);
    if (b === null || one === null) return null;
    const a = one.sub(b);
    if (a.isZero()) return null;
    for (const v of [Rational.of(2n), Rational.of(1n, 2n), Rational.of(-3n), Rational.of(7n, 3n)]) {
      const y = at(v);
      if (y === null || !y.equals(a.mul(v).add(b))) return null;
    }
    return { a, b };
  } catch {
    return null;
  }
}

/** `l op r` in the variable x as `x op' c`, or null when it is not linear in x. */
function solveLink(l: Scalar, op: RelOp, r: Scalar, x: string): { op: RelOp; bound: string } | null {
  const constant = (s: Scalar): boolean => freeSymbols(s.json).size === 0 && !INFINITE(s.json);
  if (l.json === x && constant(r)) return { op, bound: r.text };
  if (r.json === x && constant(l)) return { op: FLIP[op], bound: l.text };
  const lin = linearCoefficients(["Subtract", l.json, r.json], x);
  if (lin === null) return null;
  // a·x + b op 0  ⇔  x op −b/a, the direction flipped when a < 0.
  return { op: lin.a.sign() < 0 ? FLIP[op] : op, bound: lin.b.neg().div(lin.a).toLatex() };
}

/** The one-variable relation as a union of intervals; the conjunction of its links. */
function relationSet(rel: Struct & { kind: "relation" }): IntervalSet | null {
  const sides = sidesOf(rel);
  if (sides === null) return null;
  const vars = new Set<string>();
  for (const s of sides) freeSymbols(s.json, vars);
  if (vars.size !== 1) return null;
  const x = [...vars][0]!;
  const links: { op: RelOp; bound: string }[] = [];
  for (let k = 0; k < rel.ops.length; k++) {
    const link = solveLink(sides[k]!, rel.ops[k]!, sides[k + 1]!, x);
    if (link === null) return null;
    links.push(link);
  }
  if (links.length === 1 && links[0]!.op === "!=") {
    const c = links[0]!.bound;
    return {
      variable: x,
      pieces: [
        { lower: null, upper: { text: c, closed: false } },
        { lower: { text: c, closed: false }, upper: null },
      ],
    };
  }
  const piece = intersect(links);
  return piece === null ? null : { variable: x, pieces: [piece] };
}

/** The conjunction of half-lines `x op c`: at most one lower and one upper bound. */
function intersect(links: { op: RelOp; bound: string }[]): Interval | null {
  const piece: Interval = { lower: null, upper: null };
  for (const { op, bound } of links) {
    if (op === "!=") return null;
    const side = op === "<" || op === "<=" ? "upper" : "lower";
    if (piece[side] !== null) return null;
    piece[side] = { text: bound, closed: op === "<=" || op === ">=" };
  }
  return piece;
}

function writtenInterval(s: Struct): Interval | null {
  if (s.kind !== "seq" || s.items.length !== 2) return null;
  const [lo, hi] = s.items;
  if (lo!.kind !== "scalar" || hi!.kind !== "scalar") return null;
  return { lower: { text: lo!.text, closed: s.open === "[" }, upper: { text: hi!.text, closed: s.close === "]" } };
}

/** The set an answer describes, when it is a one-variable relation (list) or an interval (union). */
function intervalSet(s: Struct): IntervalSet | null {
  if (s.kind === "relation") return relationSet(s);
  const written = writtenInterval(s);
  if (written) return { variable: null, pieces: [written] };
  if (s.kind === "union") {
    const pieces: Interval[] = [];
    for (const item of s.items) {
      const w = writtenInterval(item);
      if (w === null) return null;
      pieces.push(w);
    }
    return { variable: null, pieces };
  }
  if (s.kind === "set" && s.bare && s.joiner !== undefined && s.items.length > 0) {
    const parts: IntervalSet[] = [];
    for (const item of s.items) {
      const p = intervalSet(item);
      if (p === null || (p.variable !== null && parts.some((q) => q.variable !== null && q.variable !== p.variable))) {
        return null;
      }
      parts.push(p);
    }
    const variable = parts.find((p) => p.variable !== null)?.variable ?? null;
    if (s.joiner === "or") return { variable, pieces: parts.flatMap((p) => p.pieces) };
    // "and": only a conjunction of single half-lines and intervals is read (`x > 1 and x \le 3`).
    const links: { op: RelOp; bound: string }[] = [];
    for (const p of parts) {
      if (p.pieces.length !== 1) return null;
      const { lower, upper } = p.pieces[0]!;
      if (lower) links.push({ op: lower.closed ? ">=" : ">", bound: lower.text });
      if (upper) links.push({ op: upper.closed ? "<=" : "<", bound: upper.text });
    }
    const piece = intersect(links);
    return piece === null ? null : { variable, pieces: [piece] };
  }
  return null;
}

/** Intervals written the way S3/S4 compare them: `(c, \infty)`, unions with `\cup`. */
function asStruct(set: IntervalSet): Struct {
  const seqs = set.pieces.map(
    (p): Struct => ({
      kind: "seq",
      open: p.lower?.closed ? "[" : "(",
      close: p.upper?.closed ? "]" : ")",
      items: [
        { kind: "scalar", text: p.lower?.text ?? "-\\infty" },
        { kind: "scalar", text: p.upper?.text ?? "\\infty" },
      ],
    }),
  );
  return seqs.length === 1 ? seqs[0]! : { kind: "union", items: seqs };
}

/**
 * X4 entry point, when either side is relational: relation against relation by the relation
 * rule, then as sets in the same variable; a relation against an interval or union as sets.
 */
export function compareRelational(
  answer: Struct,
  gold: Struct,
  compareSets: (answer: Struct, gold: Struct) => Comparison,
): Comparison {
  let direct: Comparison | null = null;
  if (answer.kind === "relation" && gold.kind === "relation") {
    direct = sameRelation(answer, gold);
    if (direct.equal) return direct;
  }
  const a = intervalSet(answer);
  const g = intervalSet(gold);
  if (a === null || g === null) return direct ?? no("expected the same relation or set");
  if (a.variable !== null && g.variable !== null && a.variable !== g.variable)
    return direct ?? no("different variable");
  const c = compareSets(asStruct(a), asStruct(g));
  return c.equal ? { equal: true, reason: "describes the same set" } : (direct ?? c);
}
