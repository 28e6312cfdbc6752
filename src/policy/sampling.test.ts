import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { createRng } from "../prng.ts";
import { BatchQueue } from "./batch-queue.ts";
import { logSoftmax, nucleusOf, sampleToken } from "./sampling.ts";

function bruteNucleus(probs: Float64Array, topP: number): number[] {
  const order = [...probs.keys()].sort((a, b) => probs[b]! - probs[a]! || a - b);
  const out: number[] = [];
  let acc = 0;
  for (const v of order) {
    out.push(v);
    acc += probs[v]!;
    if (acc >= topP) break;
  }
  return out;
}

describe("sampling", () => {
  test("the thresholded nucleus equals the fully sorted one", () => {
    fc.assert(
      fc.property(
        fc.array(fc.float({ min: -20, max: 20, noNaN: true }), { minLength: 1, maxLength: 300 }),
        fc.double({ min: 0.01, max: 0.999, noNaN: true }),
        (logits, topP) => {
          const lp = new Float64Array(logits.length);
          logSoftmax(Float32Array.from(logits), 0, logits.length, lp);
          const probs = lp.map(Math.exp);
          expect(nucleusOf(probs, topP)).toEqual(bruteNucleus(probs, topP));
        },
      ),
      { seed: 7, numRuns: 200 },
    );
  });

  test("draws follow the distribution; top-p removes the tail; temperature 0 is greedy", () => {
    const lp = Float64Array.from([0.6, 0.3, 0.1].map(Math.log));
    const scratch = new Float64Array(3);
    const rng = createRng(1);
    const counts = [0, 0, 0];
    for (let i = 0; i < 20000; i++) counts[sampleToken(lp, { temperature: 1, topP: 1 }, rng.next, scratch)]!++;
    expect(counts[0]! / 20000).toBeCloseTo(0.6, 1);
    expect(counts[2]! / 20000).toBeCloseTo(0.1, 1);
    for (let i = 0; i < 2000; i++)
      expect(sampleToken(lp, { temperature: 1, topP: 0.8 }, rng.next, scratch)).toBeLessThan(2);
    expect(sampleToken(lp, { temperature: 0, topP: 1 }, rng.next, scratch)).toBe(0);
  });
});

describe("BatchQueue", () => {
  test("groups items arriving together, caps the batch, and propagates failures", async () => {
    const q = new BatchQueue<number, number>({ maxBatch: 4, maxWaitMs: 20 }, async (xs) => {
      if (xs.includes(-1)) throw new Error("boom");
      return xs.map((x) => x * 2);
    });
    expect(await Promise.all([1, 2, 3, 4, 5, 6].map((x) => q.push(x)))).toEqual([2, 4, 6, 8, 10, 12]);
    expect(q.batchSizes).toEqual([4, 2]);
    expect(q.push(-1)).rejects.toThrow("boom");
  });
});
