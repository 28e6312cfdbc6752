import type { Rng } from "../prng.ts";

/**
 * Which pool task a reasoner group gets (docs/gym.md#the-task-pool), pure: tasks of medium difficulty for the
 * policy that wrote them and tasks written recently weigh most. A task's weight is
 *
 *     max(4·p̂(1 − p̂), FLOOR) · 2^(−age / halfLife)
 *
 * where age is how many iterations (windows) ago it was written: 1 at p̂ = ½, FLOOR for tasks every sample
 * solved or none did (kept drawable, so a pool of only such tasks still serves), halved every halfLife.
 */

export interface PoolCandidate {
  taskId: number;
  passRate: number;
  policyVersion: number;
}

export const WEIGHT_FLOOR = 0.05;

export function poolWeight(c: PoolCandidate, currentVersion: number, halfLife: number): number {
  const difficulty = Math.max(4 * c.passRate * (1 - c.passRate), WEIGHT_FLOOR);
  const age = Math.max(0, currentVersion - c.policyVersion);
  return difficulty * 2 ** (-age / halfLife);
}

/** A weighted draw; null for an empty pool. */
export function drawTask(
  candidates: readonly PoolCandidate[],
  currentVersion: number,
  halfLife: number,
  rng: Rng,
): PoolCandidate | null {
  if (candidates.length === 0) return null;
  const weights = candidates.map((c) => poolWeight(c, currentVersion, halfLife));
  const total = weights.reduce((a, b) => a + b, 0);
  let r = rng.next() * total;
  for (const [i, w] of weights.entries()) {
    r -= w;
    if (r < 0) return candidates[i]!;
  }
  return candidates.at(-1)!;
}
