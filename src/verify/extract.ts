/** Final-answer extraction from a free-text response (docs/verifier-rules.md E1–E5, R2). */

export type Extraction = { ok: true; answer: string; source: "box" | "phrase" } | { ok: false; reason: string };

const BOX_OPENING = /\\(?:boxed|fbox)(?![A-Za-z])/g;

/**
 * Index just past the brace that closes the one opened at `open`, or -1 when it never
 * closes. Escaped braces (`\{`, `\}`) do not count; a backslash always consumes the
 * next character so `\\{` is a line break followed by a real brace.
 */
function matchBrace(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 92 /* \ */) {
      i++;
    } else if (ch === 123 /* { */) {
      depth++;
    } else if (ch === 125 /* } */) {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}

/** E1–E3: the content of the box whose opening comes last. */
function extractBox(text: string, lastOpening: number, macroLength: number): Extraction {
  let i = lastOpening + macroLength;
  while (i < text.length && /\s/.test(text[i]!)) i++;
  if (text[i] !== "{") return { ok: false, reason: "last box has no braced argument" };
  const end = matchBrace(text, i);
  if (end < 0) return { ok: false, reason: "last box never closes (truncated response)" };
  return { ok: true, answer: text.slice(i + 1, end - 1), source: "box" };
}

// "answer is", "answer is:", "answer:", with markdown emphasis allowed around the colon.
const ANSWER_MARKER = /\banswer\**\s*(?:is\b\s*\**\s*:?|:)/gi;

/** E4: the text after the last answer marker, up to a newline or the end of a sentence. */
function extractPhrase(text: string): Extraction {
  let last: RegExpExecArray | null = null;
  ANSWER_MARKER.lastIndex = 0;
  for (let m = ANSWER_MARKER.exec(text); m; m = ANSWER_MARKER.exec(text)) last = m;
  if (!last) return { ok: false, reason: "no \\boxed{} answer and no answer phrase" };
  let rest = text.slice(last.index + last[0].length);
  rest = rest.replace(/^[\s*:]+/, "");
  const newline = rest.indexOf("\n");
  if (newline >= 0) rest = rest.slice(0, newline);
  const sentenceEnd = /\.(?=\s|$)/.exec(rest);
  if (sentenceEnd) rest = rest.slice(0, sentenceEnd.index);
  rest = stripPhraseWrappers(rest);
  if (rest === "") return { ok: false, reason: "nothing after the answer phrase" };
  return { ok: true, answer: rest, source: "phrase" };
}

function stripPhraseWrappers(text: string): string {
  let s = text.replace(/\*/g, "").trim();
  s = s.replace(/^:+/, "").trim();
  if (s.startsWith("\\(") && s.endsWith("\\)")) s = s.slice(2, -2);
  if (s.startsWith("\\[") && s.endsWith("\\]")) s = s.slice(2, -2);
  return s.replace(/\$/g, "").trim();
}

/**
 * E1–E5: the last box wins; the phrase fallback applies only when the response has no
 * `\boxed`/`\fbox` at all. Linear in the response length: one regex scan, one brace scan.
 */
export function extractAnswer(response: string): Extraction {
  let lastIndex = -1;
  let lastLength = 0;
  BOX_OPENING.lastIndex = 0;
  for (let m = BOX_OPENING.exec(response); m; m = BOX_OPENING.exec(response)) {
    lastIndex = m.index;
    lastLength = m[0].length;
  }
  if (lastIndex >= 0) return extractBox(response, lastIndex, lastLength);
  return extractPhrase(response);
}
