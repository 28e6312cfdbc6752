/**
 * SPICE rewards and Dr. GRPO advantages (docs/method.md §1 steps 4–5). Pure: no I/O, web-standard only.
 */

export const REWARD_FUNCTIONS = ["variance", "threshold", "one_minus_p", "rzero"] as const;
export type RewardFunction = (typeof REWARD_FUNCTIONS)[number];

/** ρ: the challenger's reward for an output that does not parse or fails the format checks. */
export const INVALID_PENALTY = -0.1;

/** σ² of the variance Gaussian (the paper's 0.01). */
const VARIANCE_SIGMA2 = 0.01;

/**
 * The challenger's reward for a valid task whose reasoner pass rate is `passRate` (p̂ = correct / K).
 * - variance (SPICE): exp(-((p̂(1-p̂) - 0.25)²) / (2·0.01)), maximal at p̂ = 0.5;
 * - threshold: 1 when 0 < p̂ < 1, else 0;
 * - one_minus_p (Absolute-Zero style): 1 - p̂;
 * - rzero (R-Zero style): 1 - 2|p̂ - 0.5|.
 */
export function challengerReward(passRate: number, fn: RewardFunction = "variance"): number {
  if (!(passRate >= 0 && passRate <= 1)) throw new RangeError(`pass rate must be in [0, 1], got ${passRate}`);
  switch (fn) {
    case "variance": {
      const d = passRate * (1 - passRate) - 0.25;
      return Math.exp(-(d * d) / (2 * VARIANCE_SIGMA2));
    }
    case "threshold":
      return passRate > 0 && passRate < 1 ? 1 : 0;
    case "one_minus_p":
      return 1 - passRate;
    case "rzero":
      return 1 - 2 * Math.abs(passRate - 0.5);
  }
}

/** Reward of one challenger output: the penalty when invalid, else the chosen function of p̂. */
export function challengerOutputReward(valid: boolean, passRate: number | null, fn: RewardFunction): number {
  if (!valid || passRate === null) return INVALID_PENALTY;
  return challengerReward(passRate, fn);
}

export function reasonerReward(correct: boolean): number {
  return correct ? 1 : 0;
}

/**
 * Dr. GRPO group advantages A_i = r_i − mean(r), with no division by the standard deviation.
 * A group whose rewards are all equal gets all-zero advantages (exactly 0, not 1e-17 noise).
 */
export function drGrpoAdvantages(rewards: readonly number[]): number[] {
  if (rewards.length === 0) return [];
  if (rewards.every((r) => r === rewards[0])) return rewards.map(() => 0);
  const mean = rewards.reduce((a, b) => a + b, 0) / rewards.length;
  return rewards.map((r) => r - mean);
}
