import { shapeOf } from "./matrix.ts";
import { BudgetExceeded } from "./rational.ts";
import { compareRelational, isRelational } from "./relation.ts";
import { type Comparison, type Scalar, compareScalars, constantRatio, parseScalar } from "./scalar.ts";
import type { Struct } from "./structure.ts";

/** Structural comparison (S1–S6, X2, X4) down to scalar leaves (N5, X1, X3). */

const MAX_COLLECTION = 200;

const SINGLE_VARIABLE = /^(?:[A-Za-z]|\\[A-Za-z]+)(?:_\{?[A-Za-z0-9]+\}?)?(?:')*$/;

/**
 * X2's mirror case: labels that only name the quantity asked for. A variable; a function value
 * `f(x)`, `g(2)`, `P(A)` (a one-letter name whose arguments are variables or numbers, none of
 * them the name itself, so `x(x+1)` stays a product); a length `|AB|`, `\overline{AB}` or a
 * segment `AB`; an angle `\angle ABC`; a ratio of names `A:B`; a tuple of variables `(p,q)`.
 */
const FUNCTION_VALUE = /^([A-Za-z])(?:_\{?[A-Za-z0-9]+\}?)?'*\(([^()]*)\)$/;
const ARGUMENT = /^(?:[A-Za-z]|\\[A-Za-z]+|-?\d+(?:\.\d+)?)(?:_\{?[A-Za-z0-9]+\}?)?$/;
const GEOMETRIC_NAME = /^(?:\|[A-Z]{2,3}'*\||\\overline\{[A-Z]{2,3}'*\}|[A-Z]{2,3}|(?:m)?\\angle[A-Z]{1,3})$/;
const RATIO_NAME = /^(?:[A-Za-z]+|\\[A-Za-z]+)(?:_\{?[A-Za-z0-9]+\}?)?$/;

function namesQuantity(label: Struct): boolean {
  if (label.kind === "ratio") {
    return label.items.every((x) => x.kind === "scalar" && RATIO_NAME.test(x.text.replace(/\s+/g, "")));
  }
  if (label.kind === "seq") {
    return (
      label.open === "(" &&
      label.close === ")" &&
      label.items.every((x) => x.kind === "scalar" && SINGLE_VARIABLE.test(x.text.replace(/\s+/g, "")))
    );
  }
  if (label.kind !== "scalar") return false;
  const text = label.text.replace(/\s+/g, "");
  if (SINGLE_VARIABLE.test(text) || GEOMETRIC_NAME.test(text)) return true;
  const f = FUNCTION_VALUE.exec(text);
  if (!f) return false;
  const argsList = f[2]!.split(",");
  return argsList.every((a) => ARGUMENT.test(a) && a !== f[1]);
}

/** X2: the value a gold `label = v` asks for, when its label only names the quantity; else null. */
export function labelledValue(gold: Struct): Struct | null {
  return gold.kind === "equation" && namesQuantity(gold.sides[0]!) ? gold.sides[gold.sides.length - 1]! : null;
}

const no = (reason: string): Comparison => ({ equal: false, reason });

function scalarOf(s: Struct): Scalar | null {
  return s.kind === "scalar" ? parseScalar(s.text) : null;
}

/** How two scalar texts compare; the caller supplies the number rules for its answer type. */
export type LeafCompare = (answer: string, gold: string) => Comparison;

export const defaultLeaf: LeafCompare = (answer, gold) => {
  const a = parseScalar(answer);
  if (a === null) return no("answer is not valid math");
  const g = parseScalar(gold);
  if (g === null) return no("gold is not valid math");
  return compareScalars(a, g);
};

const isAssignment = (s: Struct): boolean =>
  s.kind === "equation" &&
  s.sides.length === 2 &&
  s.sides[0]!.kind === "scalar" &&
  SINGLE_VARIABLE.test(s.sides[0]!.text.replace(/\s+/g, ""));

/** X2: an equation item inside a non-equation context stands for its right-most side. */
const rightMost = (s: Struct): Struct => (s.kind === "equation" ? s.sides[s.sides.length - 1]! : s);

/** Unordered comparison with duplicates ignored: every item has a partner on the other side. */
function sameItems(answer: Struct[], gold: Struct[], leaf: LeafCompare): Comparison {
  if (answer.length > MAX_COLLECTION || gold.length > MAX_COLLECTION) throw new BudgetExceeded("collection too large");
  if ((answer.length === 0) !== (gold.length === 0)) return no("different number of items");
  const matched = new Array<boolean>(gold.length).fill(false);
  for (const a of answer) {
    let found = false;
    for (let k = 0; k < gold.length; k++) {
      if (compareStruct(a, gold[k]!, leaf).equal) {
        matched[k] = true;
        found = true;
      }
    }
    if (!found) return no("an item is not in the gold");
  }
  return matched.every(Boolean) ? { equal: true, reason: "same items" } : no("an item of the gold is missing");
}

function sameSequence(answer: Struct[], gold: Struct[], leaf: LeafCompare): Comparison {
  if (answer.length !== gold.length) return no("different number of items");
  for (let k = 0; k < gold.length; k++) {
    const c = compareStruct(answer[k]!, gold[k]!, leaf);
    if (!c.equal) return no(`item ${k + 1}: ${c.reason}`);
  }
  return { equal: true, reason: "same items in order" };
}

/** S5: (variable, value) pairs, any order, all present, none extra. */
function sameAssignments(answer: Struct[], gold: Struct[], leaf: LeafCompare): Comparison {
  if (!answer.every(isAssignment)) return no("gold is a list of assignments");
  const key = (s: Struct): string =>
    (s as { sides: Struct[] }).sides[0]!.kind === "scalar"
      ? ((s as { sides: Struct[] }).sides[0] as { text: string }).text.replace(/\s+/g, "")
      : "";
  const goldByVar = new Map(gold.map((g) => [key(g), rightMost(g)]));
  const answerByVar = new Map(answer.map((a) => [key(a), rightMost(a)]));
  if (goldByVar.size !== answerByVar.size) return no("different variables");
  for (const [name, value] of goldByVar) {
    const other = answerByVar.get(name);
    if (other === undefined) return no(`no value for ${name}`);
    const c = compareStruct(other, value, leaf);
    if (!c.equal) return no(`${name}: ${c.reason}`);
  }
  return { equal: true, reason: "same assignments" };
}

/**
 * X2: two equations match when (lhs − rhs) of one is a nonzero constant multiple of the
 * other's, checked at random points.
 */
function sameEquation(answer: Struct[], gold: Struct[], leaf: LeafCompare): Comparison {
  const parts = [answer[0]!, answer[answer.length - 1]!, gold[0]!, gold[gold.length - 1]!].map(scalarOf);
  if (parts.some((p) => p === null)) {
    // Sides that are not single values (sets, tuples) compare side by side.
    if (answer.length !== gold.length) return no("different equation");
    return sameSequence(answer, gold, leaf);
  }
  const [al, ar, gl, gr] = parts as Scalar[];
  const fa: Scalar = { text: "", json: ["Subtract", al!.json, ar!.json], decimal: al!.decimal || ar!.decimal };
  const fg: Scalar = { text: "", json: ["Subtract", gl!.json, gr!.json], decimal: gl!.decimal || gr!.decimal };
  const ratio = constantRatio(fa, fg);
  if (ratio === "could not be compared") return no("equations could not be compared");
  if (typeof ratio === "string") return no("different equation");
  return { equal: true, reason: "equivalent equation" };
}

/** A ratio `a:b:…` equals another with proportional terms: a_k·b_0 = a_0·b_k for every k. */
function sameRatio(answer: Struct[], gold: Struct[], leaf: LeafCompare): Comparison {
  if (answer.length !== gold.length) return no("different number of terms in the ratio");
  if (![...answer, ...gold].every((x) => x.kind === "scalar")) return no("a term of the ratio is not a value");
  const text = (x: Struct): string => (x as { text: string }).text;
  for (let k = 1; k < gold.length; k++) {
    const c = leaf(`(${text(answer[k]!)})\\cdot(${text(gold[0]!)})`, `(${text(answer[0]!)})\\cdot(${text(gold[k]!)})`);
    if (!c.equal) return no("different ratio");
  }
  return { equal: true, reason: "same ratio" };
}

/** Compares an answer structure against the gold structure. */
export function compareStruct(answer: Struct, gold: Struct, leaf: LeafCompare = defaultLeaf): Comparison {
  // X4: relations against relations, intervals and unions.
  if (isRelational(gold) || isRelational(answer)) {
    return compareRelational(answer, gold, (a, g) => compareStruct(a, g, leaf));
  }
  // X2: outside an equation context an answer equation stands for its right-most side.
  if (gold.kind === "seq" || gold.kind === "union" || gold.kind === "matrix") answer = rightMost(answer);
  switch (gold.kind) {
    case "scalar": {
      const a = rightMost(answer);
      if (a.kind !== "scalar") return no(`expected one value, got a ${a.kind}`);
      return leaf(a.text, gold.text);
    }
    case "equation": {
      if (answer.kind === "equation") return sameEquation(answer.sides, gold.sides, leaf);
      // The mirror case: a bare value against `x = 5`, `f(x) = 1`, `(p,q) = (3,2)`.
      const value = labelledValue(gold);
      if (value) return compareStruct(answer, value, leaf);
      return no("gold is an equation whose left side is an expression");
    }
    case "relation":
      return no(`expected a relation, got a ${answer.kind}`);
    case "ratio": {
      const a = rightMost(answer);
      if (a.kind !== "ratio") return no(`expected a ratio, got a ${a.kind}`);
      return sameRatio(a.items, gold.items, leaf);
    }
    case "set": {
      if (gold.bare && gold.items.length > 0 && gold.items.every(isAssignment)) {
        if (answer.kind === "set") return sameAssignments(answer.items, gold.items, leaf);
        if (answer.kind === "equation" && gold.items.length === 1) return sameAssignments([answer], gold.items, leaf);
        return no("gold is a list of assignments");
      }
      const goldItems = gold.items.map(rightMost);
      const a = rightMost(answer);
      if (a.kind === "set") return sameItems(a.items.map(rightMost), goldItems, leaf);
      if (a.kind === "seq" && gold.bare && a.open === "(" && a.close === ")") {
        return sameItems(a.items, goldItems, leaf);
      }
      return no(`expected a collection, got a ${a.kind}`);
    }
    case "seq": {
      if (answer.kind === "seq") {
        if (answer.open !== gold.open || answer.close !== gold.close) return no("different brackets");
        return sameSequence(answer.items, gold.items, leaf);
      }
      if (answer.kind === "set" && answer.bare && gold.open === "(" && gold.close === ")") {
        return sameSequence(answer.items, gold.items, leaf);
      }
      return no(`expected a tuple or interval, got a ${answer.kind}`);
    }
    case "union":
      if (answer.kind !== "union") return no("expected a union of intervals");
      return sameItems(answer.items, gold.items, leaf);
    case "matrix": {
      if (answer.kind !== "matrix") return no("expected a matrix");
      if (answer.rows.length !== gold.rows.length || answer.rows.some((r, k) => r.length !== gold.rows[k]!.length)) {
        return no(`different matrix shape: answer ${shapeOf(answer.rows)}, gold ${shapeOf(gold.rows)}`);
      }
      for (let r = 0; r < gold.rows.length; r++) {
        const c = sameSequence(answer.rows[r]!, gold.rows[r]!, leaf);
        if (!c.equal) return no(`row ${r + 1}: ${c.reason}`);
      }
      return { equal: true, reason: "same matrix" };
    }
  }
}
