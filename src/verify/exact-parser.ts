import type { MathJson } from "./mathjson.ts";

/**
 * A small strict parser for plain exact arithmetic: number literals, `\frac`, `/`, mixed
 * numbers (N7), repeating decimals (N6), `+ - \times \cdot * ^ !`, `\binom`, groups. It
 * exists for speed (the common answers never reach the LaTeX library) and for exactness
 * (literals stay decimal strings). Anything else returns null and goes to the library.
 */

type Token =
  | { t: "num"; v: string; space: boolean }
  | { t: "cmd"; v: string; space: boolean }
  | { t: "ch"; v: string; space: boolean };

const NUMBER = /\d+\.?\d*|\.\d+/y;
const COMMAND = /\\(?:[A-Za-z]+|.)/y;

function tokenize(text: string): Token[] | null {
  const tokens: Token[] = [];
  let i = 0;
  let space = false;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === " ") {
      space = true;
      i++;
      continue;
    }
    // Sticky regexes match in place: no slicing, so long literals stay linear.
    const re = (ch >= "0" && ch <= "9") || ch === "." ? NUMBER : ch === "\\" ? COMMAND : null;
    if (re) {
      re.lastIndex = i;
      const m = re.exec(text);
      if (!m) return null;
      tokens.push(re === NUMBER ? { t: "num", v: m[0], space } : { t: "cmd", v: m[0].slice(1), space });
      i += m[0].length;
    } else if ("+-*/^!(){}".includes(ch)) {
      tokens.push({ t: "ch", v: ch, space });
      i++;
    } else {
      return null;
    }
    space = false;
  }
  return tokens;
}

class Fail extends Error {}

class Parser {
  private pos = 0;
  constructor(private readonly tokens: Token[]) {}

  parse(): MathJson {
    const e = this.sum();
    if (this.pos !== this.tokens.length) throw new Fail();
    return e;
  }

  private peek(offset = 0): Token | undefined {
    return this.tokens[this.pos + offset];
  }

  private isCh(v: string): boolean {
    const t = this.peek();
    return t !== undefined && t.t === "ch" && t.v === v;
  }

  private isCmd(v: string): boolean {
    const t = this.peek();
    return t !== undefined && t.t === "cmd" && t.v === v;
  }

  private expectCh(v: string): void {
    if (!this.isCh(v)) throw new Fail();
    this.pos++;
  }

  private sum(): MathJson {
    let left = this.product();
    for (;;) {
      if (this.isCh("+")) {
        this.pos++;
        left = ["Add", left, this.product()];
      } else if (this.isCh("-")) {
        this.pos++;
        left = ["Subtract", left, this.product()];
      } else {
        return left;
      }
    }
  }

  private product(): MathJson {
    let left = this.unary();
    for (;;) {
      if (this.isCh("*") || this.isCmd("times") || this.isCmd("cdot")) {
        this.pos++;
        left = ["Multiply", left, this.unary()];
      } else if (this.isCh("/") || this.isCmd("div")) {
        this.pos++;
        left = ["Divide", left, this.unary()];
      } else {
        return left;
      }
    }
  }

  private unary(): MathJson {
    if (this.isCh("-")) {
      this.pos++;
      return ["Negate", this.unary()];
    }
    if (this.isCh("+")) {
      this.pos++;
      return this.unary();
    }
    return this.power();
  }

  private power(): MathJson {
    const base = this.postfix();
    if (!this.isCh("^")) return base;
    this.pos++;
    // `2^-1` is not standard LaTeX but is common in model output; the exponent binds tightly.
    const t = this.peek();
    if (t?.t === "num") {
      // `2^10` in LaTeX means 2^1 followed by 0: only the first digit is the exponent.
      this.pos++;
      if (t.v.length > 1) throw new Fail();
      return ["Power", base, { num: t.v }];
    }
    if (this.isCh("{")) return ["Power", base, this.group()];
    throw new Fail();
  }

  private postfix(): MathJson {
    let e = this.primary();
    while (this.isCh("!")) {
      this.pos++;
      e = ["Factorial", e];
    }
    return e;
  }

  private group(): MathJson {
    const close = this.isCh("{") ? "}" : this.isCh("(") ? ")" : null;
    if (close === null) throw new Fail();
    this.pos++;
    const e = this.sum();
    this.expectCh(close);
    return e;
  }

  /** One `\frac` argument: a group, or a single digit (`\frac12`, `\frac1{b}`). */
  private fracArg(): MathJson {
    const t = this.peek();
    if (t?.t === "num" && /^\d/.test(t.v)) {
      if (t.v.length === 1) {
        this.pos++;
      } else {
        // The tokenizer read "12" as one number; in LaTeX each argument is one digit.
        this.tokens[this.pos] = { t: "num", v: t.v.slice(1), space: false };
      }
      return { num: t.v[0]! };
    }
    return this.group();
  }

  private frac(): MathJson {
    const num = this.fracArg();
    const den = this.fracArg();
    return ["Divide", num, den];
  }

  private primary(): MathJson {
    const t = this.peek();
    if (t === undefined) throw new Fail();
    if (t.t === "num") {
      this.pos++;
      return this.afterNumber(t.v);
    }
    if (t.t === "cmd" && t.v === "frac") {
      this.pos++;
      return this.frac();
    }
    if (t.t === "cmd" && t.v === "binom") {
      this.pos++;
      const n = this.group();
      const k = this.group();
      return ["Binomial", n, k];
    }
    if (this.isCh("{") || this.isCh("(")) return this.group();
    throw new Fail();
  }

  /** Number literal, possibly a repeating decimal (N6) or a mixed number (N7). */
  private afterNumber(literal: string): MathJson {
    if (this.isCmd("overline") && literal.includes(".")) {
      this.pos++;
      this.expectCh("{");
      const rep = this.peek();
      if (rep?.t !== "num" || !/^\d+$/.test(rep.v)) throw new Fail();
      this.pos++;
      this.expectCh("}");
      return ["RepeatingDecimal", { num: literal }, { num: rep.v }];
    }
    const next = this.peek();
    if (next?.t === "num") throw new Fail(); // "45 67": two numbers, not one.
    if (/^\d+$/.test(literal) && this.isCmd("frac")) {
      const save = this.pos;
      this.pos++;
      const f = this.frac();
      const [, a, b] = f as [string, MathJson, MathJson];
      if (isIntLiteral(a) && isIntLiteral(b) && BigInt(a.num) < BigInt(b.num)) {
        return ["Add", { num: literal }, f];
      }
      this.pos = save;
      throw new Fail(); // a product such as 2\frac{x}{3} is left to the library.
    }
    return { num: literal };
  }
}

const isIntLiteral = (x: MathJson): x is { num: string } =>
  typeof x === "object" && !Array.isArray(x) && "num" in x && /^\d+$/.test(x.num);

/** Parses plain exact arithmetic, or returns null when the text needs the LaTeX library. */
export function parseExact(text: string): MathJson | null {
  const tokens = tokenize(text);
  if (!tokens || tokens.length === 0) return null;
  try {
    return new Parser(tokens).parse();
  } catch {
    return null;
  }
}
