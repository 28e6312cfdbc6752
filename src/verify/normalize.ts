/**
 * Text normalisation shared by every answer type: Unicode (E7), unwrapping of
 * presentation-only LaTeX (E6), the identity key (R5) and the depth check (R3).
 */

// biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is this regex's purpose.
const CONTROL_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g;

// Symbols that NFKC would destroy or leave as non-LaTeX; mapped before NFKC.
const UNICODE_MATH: Record<string, string> = {
  "\u2212": "-", // minus sign
  "\u2013": "-", // en dash, used as a minus by some models
  "\u221E": "\\infty ",
  "\u03C0": "\\pi ",
  "\u00D7": "\\times ",
  "\u00B7": "\\cdot ",
  "\u22C5": "\\cdot ",
  "\u00F7": "\\div ",
  "\u00B1": "\\pm ",
  "\u2213": "\\mp ",
  "\u221A": "\\sqrt",
  "\u2264": "\\le ",
  "\u2265": "\\ge ",
  "\u2260": "\\ne ",
  "\u2248": "\\approx ",
  "\u222A": "\\cup ",
  "\u2229": "\\cap ",
  "\u2208": "\\in ",
  "\u2205": "\\emptyset ",
  "\u00B0": "^\\circ ",
  "\u00B2": "^{2}",
  "\u00B3": "^{3}",
  "\u00B9": "^{1}",
};
const UNICODE_MATH_RE = new RegExp(`[${Object.keys(UNICODE_MATH).join("")}]`, "g");

/** E7: NFKC, the listed symbol mappings, control characters dropped. */
export function normalizeUnicode(text: string): string {
  // Printable ASCII is already normal: the common case skips three passes.
  if (/^[\x20-\x7E\t\n\r]*$/.test(text)) return text;
  return text
    .replace(CONTROL_CHARS, "")
    .replace(UNICODE_MATH_RE, (ch) => UNICODE_MATH[ch]!)
    .normalize("NFKC");
}

/** Macros whose argument is kept and whose wrapper is dropped (E6). */
const UNWRAP_MACROS = new Set([
  "text",
  "textbf",
  "textit",
  "textnormal",
  "textrm",
  "textup",
  "textsf",
  "texttt",
  "mathrm",
  "mathbf",
  "mathit",
  "mathsf",
  "mbox",
  "hbox",
  "emph",
  "boldsymbol",
  "bm",
]);

/** Presentation macros that are dropped with no argument (E6). */
const DROP_MACROS = new Set([
  "displaystyle",
  "textstyle",
  "scriptstyle",
  "left",
  "right",
  "big",
  "Big",
  "bigg",
  "Bigg",
  "bigl",
  "bigr",
  "Bigl",
  "Bigr",
  "biggl",
  "biggr",
  "Biggl",
  "Biggr",
  "middle",
  "limits",
  "nolimits",
]);

/** Spacing macros (E6); they become one space so that neighbouring words stay apart. */
const SPACE_MACROS = new Set(["quad", "qquad", "enspace", "thinspace", "medspace", "thickspace", "negthinspace"]);

const FRAC_ALIASES = new Set(["dfrac", "tfrac", "cfrac"]);

/**
 * E6: drops `$`, math delimiters, `\displaystyle`, `\left`/`\right`, spacing; unwraps
 * `\text{}`-like macros (content kept, padded with spaces so words do not fuse);
 * `\dfrac`/`\tfrac`/`\cfrac` become `\frac`. One left-to-right pass, linear in the length.
 */
export function unwrapLatex(text: string): string {
  if (!/[$~{}\\]/.test(text)) return text;
  let out = "";
  // For each open brace: whether its closing brace is dropped (it closed an unwrapped macro).
  const braces: boolean[] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    const ch = text[i]!;
    if (ch === "$") {
      i++;
      continue;
    }
    if (ch === "~") {
      out += " ";
      i++;
      continue;
    }
    if (ch === "{") {
      braces.push(false);
      out += ch;
      i++;
      continue;
    }
    if (ch === "}") {
      const dropped = braces.pop();
      out += dropped ? " " : "}";
      i++;
      continue;
    }
    if (ch !== "\\") {
      out += ch;
      i++;
      continue;
    }
    const next = text[i + 1];
    if (next === undefined) {
      out += ch;
      i++;
      continue;
    }
    if (!/[A-Za-z]/.test(next)) {
      // Control symbols: spacing and math delimiters vanish; escapes like \{ \% \$ stay.
      if (
        next === "," ||
        next === ";" ||
        next === "!" ||
        next === ":" ||
        next === ">" ||
        next === " " ||
        next === "\n" ||
        next === "\t"
      ) {
        out += " ";
      } else if (next === "(" || next === ")" || next === "[" || next === "]") {
        out += " ";
      } else {
        out += ch + next;
      }
      i += 2;
      continue;
    }
    let j = i + 1;
    while (j < n && /[A-Za-z]/.test(text[j]!)) j++;
    const name = text.slice(i + 1, j);
    if (DROP_MACROS.has(name)) {
      // `\left.` and `\right.` are invisible delimiters.
      let k = j;
      while (k < n && text[k] === " ") k++;
      i = (name === "left" || name === "right") && text[k] === "." ? k + 1 : j;
      continue;
    }
    if (SPACE_MACROS.has(name)) {
      out += " ";
      i = j;
      continue;
    }
    if (UNWRAP_MACROS.has(name)) {
      let k = j;
      while (k < n && (text[k] === " " || text[k] === "\t")) k++;
      if (text[k] === "{") {
        braces.push(true);
        out += " ";
        i = k + 1;
        continue;
      }
    }
    out += FRAC_ALIASES.has(name) ? "\\frac" : text.slice(i, j);
    i = j;
  }
  return out;
}

/** Collapses whitespace runs and trims. */
export function squashSpaces(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

/**
 * N2: digits grouped with `,\!` (the MATH dataset's `10,\!000`) or `{,}`. These separators never
 * separate list items, so a run of them is one number wherever it stands, in the answer and in
 * the gold alike; only valid grouping joins (1–3 digits, then groups of exactly 3).
 */
const GROUPED_RUN = /(?<![\d.])\d+(?:(?:,\s*\\!|\{,\})\d+)+/g;
const GROUP_SEPARATOR = /,\s*\\!|\{,\}/g;

function joinDigitGroups(text: string): string {
  if (!text.includes("\\!") && !text.includes("{,}")) return text;
  return text.replace(GROUPED_RUN, (run) => {
    const groups = run.split(GROUP_SEPARATOR);
    const valid = groups[0]!.length <= 3 && groups.slice(1).every((g) => g.length === 3);
    return valid ? groups.join("") : run;
  });
}

/** E6 + E7 and whitespace collapse: the form every rule starts from. */
export function normalizeAnswer(text: string): string {
  return squashSpaces(unwrapLatex(joinDigitGroups(normalizeUnicode(text))));
}

/** R5: the identity key; answers with equal keys are correct without evaluation. */
export function identityKey(normalized: string): string {
  return normalized.replace(/\s+/g, "");
}

/** R3: maximal nesting of braces, brackets and parentheses (escaped braces included). */
export function nestingDepth(text: string): number {
  let depth = 0;
  let max = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === "\\") {
      const next = text[i + 1];
      if (next === "{" || next === "}") {
        depth += next === "{" ? 1 : -1;
        if (depth > max) max = depth;
        i++;
      }
      continue;
    }
    if (ch === "{" || ch === "(" || ch === "[") {
      depth++;
      if (depth > max) max = depth;
    } else if (ch === "}" || ch === ")" || ch === "]") {
      depth--;
    }
  }
  return max;
}
