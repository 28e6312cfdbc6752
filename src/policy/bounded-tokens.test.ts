import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_LM, ensureModel } from "../../models/index.ts";
import { tempDir } from "../../test/helpers.ts";
import { checkTokenLimit, leadingTokens, maxCharsPerToken, SLICE_CHARS } from "./bounded-tokens.ts";

const bpe = (extra: Record<string, unknown> = {}, model: Record<string, unknown> = {}) => ({
  normalizer: null,
  pre_tokenizer: { type: "ByteLevel" },
  model: { type: "BPE", vocab: { a: 0, Ġlonger: 1, xyz: 2 }, unk_token: null, ...model },
  added_tokens: [{ content: "<|eos|>" }],
  ...extra,
});

describe("maxCharsPerToken", () => {
  test("a byte-level BPE: its longest entry, added tokens included; the built model's tokenizer: 13", () => {
    expect(maxCharsPerToken(bpe())).toBe(7);
    expect(maxCharsPerToken(bpe({ added_tokens: [{ content: "<|a very long special|>" }] }))).toBe(23);
    const { dir, cleanup } = tempDir();
    try {
      const json = JSON.parse(readFileSync(join(ensureModel(dir, DEFAULT_LM), "tokenizer.json"), "utf8"));
      expect(maxCharsPerToken(json)).toBe(13);
    } finally {
      cleanup();
    }
  });

  test("composition scales the bound; anything that can drop text has none", () => {
    expect(maxCharsPerToken(bpe({ normalizer: { type: "NFC" } }))).toBe(28);
    expect(maxCharsPerToken(bpe({ normalizer: { type: "Sequence", normalizers: [{ type: "NFKC" }] } }))).toBe(28);
    expect(maxCharsPerToken(bpe({ normalizer: { type: "StripAccents" } }))).toBeNull();
    expect(maxCharsPerToken(bpe({ normalizer: { type: "Strip" } }))).toBeNull();
    expect(maxCharsPerToken(bpe({ pre_tokenizer: { type: "Whitespace" } }))).toBeNull();
    expect(maxCharsPerToken(bpe({ added_tokens: [{ content: "<m>", rstrip: true }] }))).toBeNull();
    expect(maxCharsPerToken({ model: { type: "WordPiece", vocab: { a: 0 } } })).toBeNull();
    // Not byte-level: unknown characters need byte fallback or an unfused unk token.
    const meta = { pre_tokenizer: { type: "Metaspace" } };
    expect(maxCharsPerToken(bpe(meta))).toBeNull();
    expect(maxCharsPerToken(bpe(meta, { byte_fallback: true }))).toBe(7);
    expect(maxCharsPerToken(bpe(meta, { unk_token: "<unk>", fuse_unk: true }))).toBeNull();
    expect(maxCharsPerToken(null)).toBeNull();
  });
});

/** One token per 4 characters, counting the calls and the characters counted. */
function counter() {
  const seen = { calls: 0, chars: 0 };
  const count = (s: string) => {
    seen.calls++;
    seen.chars += s.length;
    return Math.ceil(s.length / 4);
  };
  return { seen, count };
}

describe("checkTokenLimit", () => {
  test("past limit x maxChars characters it refuses without counting anything", async () => {
    const c = counter();
    expect(await checkTokenLimit("x".repeat(10_001), c.count, 1000, 10)).toEqual({
      fits: false,
      chars: 10_001,
      atLeast: null,
    });
    expect(c.seen.calls).toBe(0);
  });

  test("a long text is counted in slices and refused as soon as it is surely over", async () => {
    const c = counter();
    const text = "word ".repeat(200_000); // 1 MB, ~250k tokens
    const v = await checkTokenLimit(text, c.count, 5000, null);
    expect(v.fits).toBe(false);
    expect(c.seen.chars).toBeLessThan(4 * SLICE_CHARS); // 3 slices of 8k characters, not 1 MB
    // Slices end before a space, so the cut never falls inside a word.
    const within = counter();
    expect(await checkTokenLimit(text, within.count, 300_000, null)).toEqual({ fits: true });
    expect(within.seen.chars).toBe(text.length);
  });

  test("the event loop runs between slices", async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    const slow = (s: string) => {
      const until = performance.now() + 2;
      while (performance.now() < until);
      return s.length;
    };
    await checkTokenLimit("y ".repeat(20 * SLICE_CHARS), slow, 1e9, null);
    clearInterval(timer);
    expect(ticks).toBeGreaterThan(5);
  });
});

describe("leadingTokens", () => {
  const encode = (s: string) => Array.from(s.replace(/\s+/g, ""), (ch) => ch.charCodeAt(0));

  test("the first tokens of a long text, encoding a prefix only; null when the whole text fits", async () => {
    const text = "abc ".repeat(2_000_000); // 8 MB
    let encoded = 0;
    const spy = (s: string) => {
      encoded += s.length;
      return encode(s);
    };
    const ids = await leadingTokens(text, spy, 100);
    expect(ids).toEqual(encode(text.slice(0, 200)).slice(0, 100));
    expect(encoded).toBeLessThan(3 * SLICE_CHARS);
    expect(await leadingTokens("abc abc", encode, 6)).toBeNull();
    expect(await leadingTokens("abc abc", encode, 5)).toEqual(encode("abc ab"));
  });
});
