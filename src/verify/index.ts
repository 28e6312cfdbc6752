/**
 * The SPICE verifier: `verify(response, gold, answerType, options?)` (docs/method.md §2, docs/verifier-rules.md).
 * Pure TypeScript with no runtime-specific imports; it never throws and never hangs.
 */
import { extractAnswer } from "./extract.ts";
import { type LeafCompare, compareStruct, defaultLeaf, labelledValue } from "./expression.ts";
import { MAX_NESTING_DEPTH, MAX_RESPONSE_CHARS } from "./limits.ts";
import { verifyMcq } from "./mcq.ts";
import { identityKey, nestingDepth, normalizeAnswer } from "./normalize.ts";
import { isGroupedNumber, splitPercent, stripCurrency, stripUnits } from "./numbers.ts";
import { BudgetExceeded, type Rational } from "./rational.ts";
import { type Comparison, type Scalar, compareScalars, parseScalar } from "./scalar.ts";
import { Malformed, parseStruct } from "./structure.ts";
import { normalizeString, stringsMatch } from "./strings.ts";
import { evalExact, freeSymbols } from "./evaluate.ts";
import {
  type AnswerType,
  MCQ_LETTERS,
  type OptionTexts,
  type Verdict,
  type VerifyOptions,
  parseAnswerType,
} from "./types.ts";

export { ANSWER_TYPES, AnswerTypeSchema, MCQ_LETTERS, McqOptionsSchema, parseAnswerType } from "./types.ts";
export type { AnswerType, McqOptions, OptionTexts, Verdict, VerifyOptions } from "./types.ts";
export { MAX_EXACT_DIGITS, MAX_NESTING_DEPTH, MAX_RESPONSE_CHARS } from "./limits.ts";

const verdict = (correct: boolean, extracted: string | null, reason: string): Verdict => ({
  correct,
  extracted,
  reason,
});

/** A word of three letters or more outside macros: the gold is prose, not only math. */
const PROSE = /(?<![\\A-Za-z])[A-Za-z]{3,}/;

/** N1: the answer must have exactly the gold value; no tolerance, no variables. */
const integerLeaf: LeafCompare = (answer, gold) => {
  const a = parseScalar(answer);
  if (a === null) return { equal: false, reason: "answer is not valid math" };
  const g = parseScalar(gold);
  if (g === null) return { equal: false, reason: "gold is not valid math" };
  if (freeSymbols(a.json).size > 0) return { equal: false, reason: "answer is not a number" };
  return compareScalars({ ...a, decimal: false }, { ...g, decimal: false });
};

/** N4: a gold in percent also accepts its value over 100 when the answer has no `%`. */
function percentOfGold(leaf: LeafCompare): LeafCompare {
  return (answer, gold) => {
    const direct = leaf(answer, gold);
    if (direct.equal) return direct;
    const g = parseScalar(gold);
    const a = parseScalar(answer);
    if (g === null || a === null) return direct;
    const hundredth: Scalar = { text: `(${gold})/100`, json: ["Divide", g.json, 100], decimal: g.decimal };
    const c = compareScalars(leaf === integerLeaf ? { ...a, decimal: false } : a, hundredth);
    return c.equal ? { equal: true, reason: "equals the gold percentage as a fraction" } : direct;
  };
}

/** True when the gold is one constant value (units, currency and percent rules apply, N3/N4). */
function isSingleNumber(goldText: string): boolean {
  try {
    const s = parseScalar(goldText);
    return s !== null && freeSymbols(s.json).size === 0 && evalExactSafe(s) !== undefined;
  } catch {
    return false;
  }
}

function evalExactSafe(s: Scalar): Rational | null | undefined {
  try {
    return evalExact(s.json);
  } catch (err) {
    if (err instanceof BudgetExceeded) return null;
    return undefined;
  }
}

function verifyMath(answerNorm: string, goldNorm: string, type: "Integer" | "Expression"): Comparison {
  const goldPct = splitPercent(goldNorm);
  const goldStruct = parseStruct(goldPct.text, true);
  // X2's mirror case: for a gold `x = 5` the value asked for is 5, so N2–N4 apply as for a gold 5.
  const goldValue = labelledValue(goldStruct) ?? goldStruct;
  // R5 for that value: identical to it after normalisation is correct without evaluation.
  if (goldValue !== goldStruct && goldValue.kind === "scalar" && !goldPct.percent) {
    if (identityKey(goldValue.text) === identityKey(answerNorm))
      return { equal: true, reason: "identical to the gold's value" };
  }
  const goldIsNumber = goldValue.kind === "scalar" && isSingleNumber(goldValue.text);
  let answerText = answerNorm;
  let answerPct = false;
  if (goldIsNumber) {
    const split = splitPercent(stripUnits(stripCurrency(answerText)));
    answerPct = split.percent;
    answerText = stripUnits(split.text);
    if (isGroupedNumber(answerText)) answerText = answerText.replace(/,/g, "");
  }
  const goldIsCollection = goldStruct.kind !== "scalar" && goldStruct.kind !== "equation";
  const answerStruct = parseStruct(answerText, !goldIsCollection);
  let leaf = type === "Integer" ? integerLeaf : defaultLeaf;
  if (goldPct.percent && !answerPct) leaf = percentOfGold(leaf);
  const result = compareStruct(answerStruct, goldStruct, leaf);
  if (!result.equal && type === "Expression" && PROSE.test(goldNorm) && stringsMatch(answerNorm, goldNorm)) {
    return { equal: true, reason: "same text" };
  }
  return result;
}

function optionsOf(options: VerifyOptions | OptionTexts | undefined): OptionTexts | undefined {
  if (!options || typeof options !== "object") return undefined;
  if ("options" in options && options.options && typeof options.options === "object")
    return options.options as OptionTexts;
  const map = options as OptionTexts;
  return MCQ_LETTERS.some((k) => typeof map[k] === "string") ? map : undefined;
}

/** Text with something mathematical in it; plain words are compared as strings only. */
const MATHY = /[\d\\^_=+*/]/;

/** Option text comparison for M3: equal under the String rules or the Expression rules. */
function optionTextMatches(answer: string, text: string): boolean {
  if (stringsMatch(answer, text)) return true;
  if (!MATHY.test(answer) && !MATHY.test(text)) return false;
  const a = normalizeAnswer(answer);
  const t = normalizeAnswer(text);
  if (a === "" || t === "") return false;
  if (identityKey(a) === identityKey(t)) return true;
  try {
    return verifyMath(a, t, "Expression").equal;
  } catch {
    return false;
  }
}

function judge(extracted: string, gold: string, type: AnswerType, mcqOptions: OptionTexts | undefined): Verdict {
  const answerNorm = normalizeAnswer(extracted);
  if (answerNorm === "") return verdict(false, extracted, "empty answer");
  if (nestingDepth(extracted) > MAX_NESTING_DEPTH)
    return verdict(false, extracted, `answer nested deeper than ${MAX_NESTING_DEPTH}`);
  if (type === "String") {
    const equal = normalizeString(extracted) === normalizeString(gold);
    return verdict(equal, extracted, equal ? "same text" : "different text");
  }
  const goldNorm = normalizeAnswer(gold);
  if (goldNorm === "") return verdict(false, extracted, "empty gold");
  if (type === "MCQ") {
    const r = verifyMcq(answerNorm, goldNorm, mcqOptions, optionTextMatches);
    return verdict(r.correct, extracted, r.reason);
  }
  if (identityKey(answerNorm) === identityKey(goldNorm)) return verdict(true, extracted, "identical to the gold");
  const r = verifyMath(answerNorm, goldNorm, type);
  return verdict(r.equal, extracted, r.reason);
}

/**
 * Verifies a reasoner response against the gold answer. `options` carries the MCQ option
 * texts (either `{options: {A: …}}` or the map itself). Never throws.
 */
export function verify(
  response: unknown,
  gold: unknown,
  answerType: unknown,
  options?: VerifyOptions | OptionTexts,
): Verdict {
  try {
    const type = parseAnswerType(answerType);
    if (type === null) return verdict(false, null, "unknown answer type");
    if (typeof response !== "string") return verdict(false, null, "response is not a string");
    if (typeof gold !== "string" && typeof gold !== "number") return verdict(false, null, "gold is not a string");
    if (response.length > MAX_RESPONSE_CHARS)
      return verdict(false, null, `response longer than ${MAX_RESPONSE_CHARS} characters`);
    const goldText = String(gold);
    if (goldText.length > MAX_RESPONSE_CHARS)
      return verdict(false, null, `gold longer than ${MAX_RESPONSE_CHARS} characters`);
    const extraction = extractAnswer(response);
    if (!extraction.ok) return verdict(false, null, extraction.reason);
    try {
      return judge(extraction.answer, goldText, type, optionsOf(options));
    } catch (err) {
      return verdict(false, extraction.answer, failureReason(err));
    }
  } catch (err) {
    return verdict(false, null, failureReason(err));
  }
}

function failureReason(err: unknown): string {
  if (err instanceof BudgetExceeded) return err.message;
  if (err instanceof Malformed) return `malformed answer: ${err.message}`;
  // Deep recursion inside a library is a work-budget refusal too (R1: never throw).
  return `not comparable: ${err instanceof Error ? err.message : String(err)}`;
}
