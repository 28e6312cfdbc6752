/**
 * Reads the JSON object a language model meant to write. Tolerates what models really
 * emit — a ```json fence, prose around the object, trailing commas, single quotes,
 * unquoted keys, Python's True/False/None, LaTeX backslashes inside strings — and never
 * evaluates anything: it is a hand-written recursive-descent parser.
 */

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type ParseResult = { ok: true; value: Record<string, JsonValue> } | { ok: false; reason: string };

const MAX_INPUT = 100_000;
const MAX_DEPTH = 64;
/** Bounds the work on prose full of braces: each start may scan to the end. */
const MAX_STARTS = 32;

class Fail extends Error {}

/** LaTeX commands that start with a JSON escape letter; models write "\frac" meaning the macro, not a form feed. */
const LATEX_AFTER_N = /^(?:neq|nu|nabla|notin|not|ne|ni|nmid|nleq|ngeq|newline)(?![A-Za-z])/;

class Parser {
  private i = 0;
  constructor(private readonly s: string) {}

  parseTop(): JsonValue {
    return this.value(0);
  }

  private ws(): void {
    while (this.i < this.s.length && /\s/.test(this.s[this.i]!)) this.i++;
  }

  private value(depth: number): JsonValue {
    if (depth > MAX_DEPTH) throw new Fail("nested too deeply");
    this.ws();
    const c = this.s[this.i];
    if (c === "{") return this.object(depth);
    if (c === "[") return this.array(depth);
    if (c === '"' || c === "'") return this.string();
    if (c === "-" || c === "+" || (c !== undefined && /[0-9.]/.test(c))) return this.number();
    const word = /^[A-Za-z_]+/.exec(this.s.slice(this.i, this.i + 16))?.[0];
    const literals: Record<string, JsonValue> = {
      true: true,
      false: false,
      null: null,
      True: true,
      False: false,
      None: null,
    };
    if (word !== undefined && word in literals) {
      this.i += word.length;
      return literals[word]!;
    }
    throw new Fail(
      c === undefined ? "unexpected end of input" : `unexpected character ${JSON.stringify(c)} at ${this.i}`,
    );
  }

  private object(depth: number): Record<string, JsonValue> {
    this.i++; // {
    const out: Record<string, JsonValue> = {};
    for (;;) {
      this.ws();
      if (this.s[this.i] === "}") {
        this.i++;
        return out;
      }
      const key = this.key();
      this.ws();
      if (this.s[this.i] !== ":") throw new Fail(`expected ':' after key ${JSON.stringify(key)}`);
      this.i++;
      out[key] = this.value(depth + 1);
      this.ws();
      const c = this.s[this.i];
      if (c === ",") this.i++;
      else if (c !== "}") throw new Fail(c === undefined ? "unterminated object" : `expected ',' or '}' at ${this.i}`);
    }
  }

  private key(): string {
    const c = this.s[this.i];
    if (c === '"' || c === "'") return this.string();
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.s.slice(this.i, this.i + 200));
    if (!m) throw new Fail(c === undefined ? "unterminated object" : `expected a key at ${this.i}`);
    this.i += m[0].length;
    return m[0];
  }

  private array(depth: number): JsonValue[] {
    this.i++; // [
    const out: JsonValue[] = [];
    for (;;) {
      this.ws();
      if (this.s[this.i] === "]") {
        this.i++;
        return out;
      }
      out.push(this.value(depth + 1));
      this.ws();
      const c = this.s[this.i];
      if (c === ",") this.i++;
      else if (c !== "]") throw new Fail(c === undefined ? "unterminated array" : `expected ',' or ']' at ${this.i}`);
    }
  }

  private string(): string {
    const quote = this.s[this.i++];
    let out = "";
    for (;;) {
      const c = this.s[this.i++];
      if (c === undefined) throw new Fail("unterminated string");
      if (c === quote) return out;
      if (c !== "\\") {
        out += c;
        continue;
      }
      const e = this.s[this.i];
      if (e === undefined) throw new Fail("unterminated string");
      const rest = this.s.slice(this.i, this.i + 12);
      const latex = ("bfrt".includes(e) && /^[A-Za-z]{2}/.test(rest)) || (e === "n" && LATEX_AFTER_N.test(rest));
      if (latex) {
        out += "\\";
        continue;
      }
      this.i++;
      const simple: Record<string, string> = {
        '"': '"',
        "'": "'",
        "\\": "\\",
        "/": "/",
        b: "\b",
        f: "\f",
        n: "\n",
        r: "\r",
        t: "\t",
      };
      if (e in simple) out += simple[e];
      else if (e === "u" && /^[0-9a-fA-F]{4}$/.test(this.s.slice(this.i, this.i + 4))) {
        out += String.fromCharCode(parseInt(this.s.slice(this.i, this.i + 4), 16));
        this.i += 4;
      } else out += `\\${e}`; // an unknown escape is a LaTeX macro such as \( or \sqrt: keep it
    }
  }

  private number(): number {
    const m = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/.exec(this.s.slice(this.i, this.i + 64));
    if (!m) throw new Fail(`bad number at ${this.i}`);
    this.i += m[0].length;
    return Number(m[0]);
  }
}

/** The texts to try, best first: fenced blocks, then every '{' that starts a balanced-looking object. */
function candidates(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/```[a-zA-Z]*\s*\n?([\s\S]*?)```/g)) out.push(m[1]!);
  const unclosedFence = /```[a-zA-Z]*\s*\n?([\s\S]*)$/.exec(text.replace(/```[a-zA-Z]*\s*\n?[\s\S]*?```/g, ""));
  if (unclosedFence) out.push(unclosedFence[1]!);
  out.push(text);
  return out;
}

/** Parses the first JSON object found in a model's output. */
export function parseModelJson(text: string): ParseResult {
  if (text.length > MAX_INPUT) return { ok: false, reason: `output longer than ${MAX_INPUT} characters` };
  let firstError: string | null = null;
  let tries = 0;
  for (const block of candidates(text)) {
    let start = block.indexOf("{");
    while (start !== -1 && tries++ < MAX_STARTS) {
      try {
        const v = new Parser(block.slice(start)).parseTop();
        if (v !== null && typeof v === "object" && !Array.isArray(v)) return { ok: true, value: v };
      } catch (e) {
        if (!(e instanceof Fail)) throw e;
        firstError ??= e.message;
      }
      start = block.indexOf("{", start + 1);
    }
  }
  return { ok: false, reason: firstError === null ? "no JSON object in the output" : `malformed JSON: ${firstError}` };
}
