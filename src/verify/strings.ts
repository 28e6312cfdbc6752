import { normalizeAnswer } from "./normalize.ts";

const ARTICLE = /^(?:a|an|the)\s+/;
const TRAILING_PUNCTUATION = /[\s.,!?;:]+$/;

/**
 * T1: unwrap (E6), Unicode casefold, collapse whitespace, drop trailing punctuation and
 * one leading article. Upper- then lower-casing folds `ß` to `ss` as full casefolding does.
 */
export function normalizeString(text: string): string {
  let s = normalizeAnswer(text).replace(/\\([&%$#_])/g, "$1");
  s = s.toUpperCase().toLowerCase().normalize("NFKC");
  s = s.replace(/\s+/g, " ").trim().replace(TRAILING_PUNCTUATION, "");
  return s.replace(ARTICLE, "");
}

export function stringsMatch(answer: string, gold: string): boolean {
  const a = normalizeString(answer);
  return a !== "" && a === normalizeString(gold);
}
