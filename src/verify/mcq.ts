import { MCQ_LETTERS, type OptionTexts } from "./types.ts";

/** MCQ rules (M1–M3). Input is the normalised answer (E6 applied). */

export type McqResult = { correct: boolean; reason: string };

const LETTERS: readonly string[] = MCQ_LETTERS;

const BARE_LETTER = /^[([]?\s*([A-Za-z])\s*[)\]]?$/;
const PAREN_LETTER_PREFIX = /^\(\s*([A-Za-z])\s*\)\s*\S/;
const LETTER_PREFIX = /^([A-Za-z])\s*[).:]\s*\S/;

/** M2: `BD`, `B, D`, `B and D`, `C or D`, `Both B and D`. */
function namesSeveralLetters(s: string): boolean {
  const body = s.replace(/^(?:both|either|options?|choices?)\s+/i, "");
  if (/^[A-D]{2,4}$/.test(body)) return true;
  const parts = body.split(/\s*(?:,|&|\/|\band\b|\bor\b|\s)\s*/i).filter((p) => p !== "");
  return parts.length >= 2 && parts.every((p) => /^[([]?[A-Da-d][)\]]?$/.test(p));
}

function cleanMcq(text: string): string {
  return text.trim().replace(/\.+$/, "").trim();
}

/** The single letter an answer names (M1), 'many' for two or more (M2), or null for none. */
export function letterOf(answer: string): string | "many" | null {
  const s = cleanMcq(answer);
  const single = BARE_LETTER.exec(s) ?? PAREN_LETTER_PREFIX.exec(s) ?? LETTER_PREFIX.exec(s);
  if (single) return single[1]!.toUpperCase();
  if (namesSeveralLetters(s)) return "many";
  return null;
}

/**
 * M1–M3. `textMatches(answer, optionText)` applies the Expression or String rules to an
 * option's text; it is only consulted when the answer carries no letter.
 */
export function verifyMcq(
  answer: string,
  gold: string,
  options: OptionTexts | undefined,
  textMatches: (answer: string, optionText: string) => boolean,
): McqResult {
  let goldLetter = letterOf(gold);
  if (typeof goldLetter !== "string" || goldLetter === "many" || !LETTERS.includes(goldLetter)) {
    // A gold written as option text is mapped back to its letter when the options say which.
    const byText = options ? LETTERS.filter((l) => options[l] !== undefined && textMatches(gold, options[l]!)) : [];
    if (byText.length !== 1) return { correct: false, reason: "gold is not a letter A-D" };
    goldLetter = byText[0]!;
  }
  if (cleanMcq(answer) === "") return { correct: false, reason: "empty answer" };
  const letter = letterOf(answer);
  if (letter === "many") return { correct: false, reason: "more than one letter" };
  if (letter !== null) {
    if (!LETTERS.includes(letter)) return { correct: false, reason: `letter ${letter} is not an option` };
    return letter === goldLetter
      ? { correct: true, reason: "same letter" }
      : { correct: false, reason: `answered ${letter}` };
  }
  if (!options) return { correct: false, reason: "no option letter in the answer" };
  const matches = LETTERS.filter((l) => options[l] !== undefined && textMatches(answer, options[l]!));
  if (matches.length === 0) return { correct: false, reason: "answer matches no option text" };
  if (matches.length > 1) return { correct: false, reason: "answer matches several options" };
  return matches[0] === goldLetter
    ? { correct: true, reason: "matches the gold option text" }
    : { correct: false, reason: `matches option ${matches[0]}` };
}
