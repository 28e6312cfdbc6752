/**
 * Token sampling for the in-process backend: temperature, nucleus (top-p) and greedy,
 * driven by a per-row seeded generator so that a seeded call repeats exactly.
 * transformers.js has no top-p, and its sampler cannot report log-probs, hence this module.
 */

/** Mixes integers into one 32-bit seed (murmur3 finaliser), so rows get independent streams. */
export function mixSeed(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const p of parts) {
    h = Math.imul(h ^ (p >>> 0), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}

/** log-softmax of `logits[offset .. offset+V)` into `out`. */
export function logSoftmax(logits: Float32Array, offset: number, vocab: number, out: Float64Array): void {
  let max = -Infinity;
  for (let v = 0; v < vocab; v++) if (logits[offset + v]! > max) max = logits[offset + v]!;
  let sum = 0;
  for (let v = 0; v < vocab; v++) sum += Math.exp(logits[offset + v]! - max);
  const lse = max + Math.log(sum);
  for (let v = 0; v < vocab; v++) out[v] = logits[offset + v]! - lse;
}

export interface SampleParams {
  temperature: number;
  topP: number;
}

/**
 * Draws a token from log-probs `lp` (the model's own distribution) reshaped by temperature
 * and top-p. `probs` is scratch space of the same length. Temperature 0 is greedy.
 */
export function sampleToken(
  lp: Float64Array,
  params: SampleParams,
  uniform: () => number,
  probs: Float64Array,
): number {
  const V = lp.length;
  if (params.temperature <= 0) {
    let best = 0;
    for (let v = 1; v < V; v++) if (lp[v]! > lp[best]!) best = v;
    return best;
  }
  if (params.temperature === 1 && params.topP >= 1) {
    // The common case (the method's temperature 1.0, docs/method.md §1): lp already is the distribution;
    // invert its CDF directly.
    const u = uniform();
    let acc = 0;
    for (let v = 0; v < V; v++) {
      acc += Math.exp(lp[v]!);
      if (acc > u) return v;
    }
    return V - 1;
  }
  const invT = 1 / params.temperature;
  let max = -Infinity;
  for (let v = 0; v < V; v++) if (lp[v]! * invT > max) max = lp[v]! * invT;
  let sum = 0;
  for (let v = 0; v < V; v++) {
    const p = Math.exp(lp[v]! * invT - max);
    probs[v] = p;
    sum += p;
  }
  for (let v = 0; v < V; v++) probs[v]! /= sum;
  if (params.topP >= 1) return drawFrom(probs, null, 1, uniform());
  const nucleus = nucleusOf(probs, params.topP);
  let mass = 0;
  for (const v of nucleus) mass += probs[v]!;
  return drawFrom(probs, nucleus, mass, uniform());
}

function drawFrom(probs: Float64Array, support: number[] | null, mass: number, u: number): number {
  const target = u * mass;
  let acc = 0;
  const n = support ? support.length : probs.length;
  for (let i = 0; i < n; i++) {
    const v = support ? support[i]! : i;
    acc += probs[v]!;
    if (acc > target) return v;
  }
  return support ? support[n - 1]! : n - 1; // rounding left u * mass just above the total
}

/**
 * The smallest set of most-probable tokens whose mass reaches topP, sorted by probability.
 * Sorting the whole vocabulary every step would dominate a small model's step time, so only
 * tokens above a threshold are sorted; the threshold halves until they carry enough mass,
 * which makes the result exact (everything in the nucleus lies above the final threshold).
 */
export function nucleusOf(probs: Float64Array, topP: number): number[] {
  let max = 0;
  for (let v = 0; v < probs.length; v++) max = Math.max(max, probs[v]!);
  for (let threshold = max / 64; ; threshold /= 8) {
    const candidates: number[] = [];
    let mass = 0;
    for (let v = 0; v < probs.length; v++) {
      if (probs[v]! >= threshold) {
        candidates.push(v);
        mass += probs[v]!;
      }
    }
    if (mass >= topP || threshold === 0 || candidates.length === probs.length) {
      candidates.sort((a, b) => probs[b]! - probs[a]! || a - b);
      const out: number[] = [];
      let acc = 0;
      for (const v of candidates) {
        out.push(v);
        acc += probs[v]!;
        if (acc >= topP) break;
      }
      return out;
    }
  }
}
