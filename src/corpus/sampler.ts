import { z } from "zod";
import { createRng } from "../prng.ts";

/**
 * Seeded uniform sampling over segment ids, without replacement within an epoch. Pure: the
 * permutation of an epoch is a function of (seed, epoch, ids), so the state is just a cursor.
 */
export const SamplerStateSchema = z.strictObject({
  version: z.literal(1),
  seed: z.string(),
  epoch: z.number().int().min(0),
  cursor: z.number().int().min(0),
  size: z.number().int().min(0),
  /** Hash of the sorted id list: a restored state only continues over the same corpus. */
  fingerprint: z.string(),
});
export type SamplerState = z.infer<typeof SamplerStateSchema>;

export interface Sampler {
  /** The next n ids; past the end of an epoch it continues with the next epoch's permutation. */
  next(n: number): string[];
  state(): SamplerState;
  readonly epoch: number;
}

export interface SamplerOptions {
  ids: readonly string[];
  seed: number | string;
  state?: SamplerState | unknown;
  /** What a state recorded over a different corpus does: start a fresh epoch (default) or throw. */
  onCorpusChange?: "new_epoch" | "throw";
}

export class SamplerStateMismatch extends Error {}

export function createSampler(opts: SamplerOptions): Sampler {
  const ids = [...opts.ids].sort();
  const fingerprint = fingerprintIds(ids);
  let seed = String(opts.seed);
  let epoch = 0;
  let cursor = 0;
  if (opts.state !== undefined) {
    const st = SamplerStateSchema.parse(opts.state);
    seed = st.seed;
    if (st.fingerprint === fingerprint) {
      epoch = st.epoch;
      cursor = st.cursor;
    } else if (opts.onCorpusChange === "throw") {
      throw new SamplerStateMismatch(
        `sampler state was recorded over ${st.size} segments (${st.fingerprint}); the corpus now has ${ids.length} (${fingerprint})`,
      );
    } else {
      epoch = st.epoch + 1;
    }
  }
  let order = ids.length ? permutation(ids.length, seed, epoch) : new Uint32Array(0);

  return {
    next(n) {
      if (ids.length === 0) return [];
      const out: string[] = [];
      while (out.length < n) {
        if (cursor >= ids.length) {
          epoch++;
          cursor = 0;
          order = permutation(ids.length, seed, epoch);
        }
        out.push(ids[order[cursor++]!]!);
      }
      return out;
    },
    state: () => ({ version: 1, seed, epoch, cursor, size: ids.length, fingerprint }),
    get epoch() {
      return epoch;
    },
  };
}

/** A pure seeded draw: n distinct ids (all of them when n exceeds the corpus), same seed → same draw. */
export function drawSample(ids: readonly string[], n: number, seed: number | string): string[] {
  const sorted = [...ids].sort();
  const order = permutation(sorted.length, String(seed), 0);
  return Array.from(order.subarray(0, Math.min(n, sorted.length)), (i) => sorted[i]!);
}

function permutation(n: number, seed: string, epoch: number): Uint32Array {
  const rng = createRng(hash32(`${seed}\u0000${epoch}`));
  const rand = () => rng.next();
  const p = new Uint32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = p[i]!;
    p[i] = p[j]!;
    p[j] = t;
  }
  return p;
}

function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h >>> 0;
}

function fingerprintIds(sortedIds: readonly string[]): string {
  // Two independent 32-bit FNV streams: cheap, stable, and collisions are irrelevant at this use.
  let a = 0x811c9dc5,
    b = 0x01000193;
  for (const id of sortedIds) {
    for (let i = 0; i < id.length; i++) {
      const c = id.charCodeAt(i);
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(b ^ c, 0x5bd1e995);
    }
    a = Math.imul(a ^ 10, 0x01000193);
    b = Math.imul(b ^ 10, 0x5bd1e995);
  }
  return `${sortedIds.length}-${(a >>> 0).toString(16).padStart(8, "0")}${(b >>> 0).toString(16).padStart(8, "0")}`;
}
