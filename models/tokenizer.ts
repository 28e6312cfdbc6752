/**
 * Deterministic byte-level BPE (GPT-2 style): a trainer and the writers of the two
 * tokenizer files transformers.js reads (tokenizer.json, tokenizer_config.json).
 *
 * Ids 0–255 are the raw bytes (id = byte value, written as GPT-2's bytes_to_unicode
 * characters), then the learned merges in order, then `<|endoftext|>`.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

export const EOS_TOKEN = "<|endoftext|>";

/** The same pre-tokenizer regex transformers.js uses for ByteLevel with use_regex: true. */
const GPT2_SPLIT = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

/** GPT-2's reversible byte → printable character map (space is "Ġ"). */
export const BYTE_TO_UNICODE: readonly string[] = (() => {
  const printable: number[] = [];
  for (let b = 33; b <= 126; b++) printable.push(b);
  for (let b = 161; b <= 172; b++) printable.push(b);
  for (let b = 174; b <= 255; b++) printable.push(b);
  const table: string[] = new Array(256);
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    table[b] = printable.includes(b) ? String.fromCharCode(b) : String.fromCharCode(256 + extra++);
  }
  return table;
})();

export type BpeTokenizer = {
  /** Token strings by id (bytes, then merges, then the special token). */
  vocab: string[];
  merges: [string, string][];
  eosId: number;
};

export const DEFAULT_MERGES = 1024;
export const TOKENIZER_CORPUS_PATH = join(import.meta.dir, "tokenizer-corpus.txt");

const textEncoder = new TextEncoder();
const pairKey = (a: number, b: number) => a * 0x100000 + b;

/**
 * Learns up to `mergeCount` merges from `text`. Each step merges the most frequent
 * adjacent pair (ties: the smaller pair of ids), counting pairs incrementally over
 * the distinct pre-tokenized words, so 1,024 merges over ~200 KB take well under a
 * second. Stops early when no pair occurs twice.
 */
export function trainBpe(text: string, mergeCount: number): BpeTokenizer {
  const wordCounts = new Map<string, number>();
  for (const piece of text.match(GPT2_SPLIT) ?? []) {
    wordCounts.set(piece, (wordCounts.get(piece) ?? 0) + 1);
  }
  const words: number[][] = [];
  const freqs: number[] = [];
  for (const [piece, count] of wordCounts) {
    words.push(Array.from(textEncoder.encode(piece)));
    freqs.push(count);
  }

  const vocab = [...BYTE_TO_UNICODE];
  const idOf = new Map(vocab.map((t, i) => [t, i]));
  const merges: [string, string][] = [];
  const pairCounts = new Map<number, number>();
  const pairWords = new Map<number, Set<number>>();

  const addPairs = (w: number, sign: 1 | -1) => {
    const syms = words[w]!;
    for (let i = 0; i + 1 < syms.length; i++) {
      const key = pairKey(syms[i]!, syms[i + 1]!);
      pairCounts.set(key, (pairCounts.get(key) ?? 0) + sign * freqs[w]!);
      if (sign === 1) {
        let set = pairWords.get(key);
        if (!set) {
          set = new Set();
          pairWords.set(key, set);
        }
        set.add(w);
      }
    }
  };
  for (let w = 0; w < words.length; w++) addPairs(w, 1);

  while (merges.length < mergeCount) {
    let bestKey = -1;
    let bestCount = 1;
    for (const [key, count] of pairCounts) {
      if (count > bestCount || (count === bestCount && bestKey >= 0 && key < bestKey)) {
        bestKey = key;
        bestCount = count;
      }
    }
    if (bestKey < 0) break;
    const a = Math.floor(bestKey / 0x100000);
    const b = bestKey % 0x100000;
    const merged = vocab[a]! + vocab[b]!;
    let id = idOf.get(merged);
    if (id === undefined) {
      id = vocab.length;
      vocab.push(merged);
      idOf.set(merged, id);
    }
    merges.push([vocab[a]!, vocab[b]!]);

    // Sorted so the visiting order (and thus Map insertion order) is reproducible.
    const affected = [...(pairWords.get(bestKey) ?? [])].sort((x, y) => x - y);
    for (const w of affected) {
      addPairs(w, -1);
      const syms = words[w]!;
      const out: number[] = [];
      for (let i = 0; i < syms.length; i++) {
        if (i + 1 < syms.length && syms[i] === a && syms[i + 1] === b) {
          out.push(id);
          i++;
        } else out.push(syms[i]!);
      }
      words[w] = out;
      addPairs(w, 1);
    }
    pairWords.delete(bestKey);
    for (const [key, count] of pairCounts) if (count <= 0) pairCounts.delete(key);
  }

  const eosId = vocab.length;
  vocab.push(EOS_TOKEN);
  return { vocab, merges, eosId };
}

const trained = new Map<number, BpeTokenizer>();

/** The project tokenizer: merges learned from the committed corpus (memoised per process). */
export function projectTokenizer(mergeCount = DEFAULT_MERGES): BpeTokenizer {
  let tok = trained.get(mergeCount);
  if (!tok) {
    tok = trainBpe(readFileSync(TOKENIZER_CORPUS_PATH, "utf8"), mergeCount);
    trained.set(mergeCount, tok);
  }
  return tok;
}

/** tokenizer.json in the Hugging Face `tokenizers` format, with every key transformers.js requires. */
export function tokenizerJson(tok: BpeTokenizer): object {
  const vocab: Record<string, number> = {};
  tok.vocab.forEach((t, i) => {
    if (i !== tok.eosId) vocab[t] = i;
  });
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: [
      {
        id: tok.eosId,
        content: EOS_TOKEN,
        single_word: false,
        lstrip: false,
        rstrip: false,
        normalized: false,
        special: true,
      },
    ],
    normalizer: null,
    pre_tokenizer: { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: { type: "ByteLevel", add_prefix_space: true, trim_offsets: false, use_regex: true },
    decoder: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: "BPE",
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: "",
      end_of_word_suffix: "",
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      // Pairs, not "a b" strings: unambiguous whatever the tokens contain.
      merges: tok.merges,
    },
  };
}

export function tokenizerConfigJson(modelMaxLength: number): object {
  return {
    tokenizer_class: "GPT2Tokenizer",
    bos_token: EOS_TOKEN,
    eos_token: EOS_TOKEN,
    pad_token: EOS_TOKEN,
    unk_token: EOS_TOKEN,
    add_bos_token: false,
    add_prefix_space: false,
    // The default (true) rewrites " ." and similar on decode, which breaks round trips.
    clean_up_tokenization_spaces: false,
    model_max_length: modelMaxLength,
  };
}
