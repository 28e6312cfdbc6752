/**
 * Presentation around a single number (N2–N4): digit-group separators, currency,
 * units and percent signs. These apply when the gold is a single number.
 */

const DEGREE_TAIL = /\s*\^\s*(?:\{\s*\\circ\s*\}|\\circ)\s*$/;
const EXPONENT_TAIL = /\s*\^\s*(?:\{\s*-?\d+\s*\}|-?\d)\s*$/;
// A unit word: two letters or more, not a macro name, not a list connective (S2).
const UNIT_WORD_TAIL = /(?<![A-Za-z\\])([A-Za-z]{2,})\s*$/;
const PER_UNIT_TAIL = /(?<![A-Za-z\\])[A-Za-z]{2,}\s*\/\s*[A-Za-z]+\s*$/;
const CONNECTIVES = new Set(["or", "and"]);

/** N3: drops trailing units (`3 km`, `5 \text{ cm}^2`, `30^\circ`, `60 km/h`) after a number. */
export function stripUnits(text: string): string {
  let s = text.trim();
  let changed = true;
  while (changed) {
    changed = false;
    const degree = DEGREE_TAIL.exec(s);
    if (degree && degree.index > 0) {
      s = s.slice(0, degree.index).trim();
      changed = true;
      continue;
    }
    const per = PER_UNIT_TAIL.exec(s);
    if (per && per.index > 0) {
      s = s.slice(0, per.index).trim();
      changed = true;
      continue;
    }
    // An exponent belongs to a unit only when a unit word stands before it.
    const exponent = EXPONENT_TAIL.exec(s);
    const beforeExponent = exponent ? s.slice(0, exponent.index) : s;
    const word = UNIT_WORD_TAIL.exec(beforeExponent);
    if (word && word.index > 0 && !CONNECTIVES.has(word[1]!.toLowerCase())) {
      s = beforeExponent.slice(0, word.index).trim();
      changed = true;
    }
  }
  return s;
}

/** N3: a leading dollar sign (`\$`) is currency, not math. */
export function stripCurrency(text: string): string {
  return text
    .replace(/^\s*([+-]?)\s*\\\$\s*/, "$1")
    .replace(/\\\$\s*$/, "")
    .trim();
}

/** N4: splits a trailing `%`/`\%` off; `percent` says whether there was one. */
export function splitPercent(text: string): { text: string; percent: boolean } {
  const m = /\s*\\?%\s*$/.exec(text);
  return m ? { text: text.slice(0, m.index).trim(), percent: true } : { text: text.trim(), percent: false };
}

/** A plain number with `,` digit grouping (N2), as a bare comma list would otherwise read it. */
export function isGroupedNumber(text: string): boolean {
  return /^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$/.test(text.trim());
}
