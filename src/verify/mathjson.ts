/**
 * The MathJSON subset the verifier evaluates: what `@cortex-js/compute-engine` produces
 * with `canonical: false`, and what the fast exact parser (exact-parser.ts) emits.
 */
export type MathJson = number | string | { num: string } | { str: string } | MathJson[];

export const isNumberNode = (x: MathJson): x is number | { num: string } =>
  typeof x === "number" || (typeof x === "object" && !Array.isArray(x) && "num" in x);

export const head = (x: MathJson): string | null => (Array.isArray(x) && typeof x[0] === "string" ? x[0] : null);

export const args = (x: MathJson): MathJson[] => (Array.isArray(x) ? x.slice(1) : []);

/** True when the tree contains a parse error (R6: malformed input is false). */
export function hasError(x: MathJson): boolean {
  if (!Array.isArray(x)) return false;
  if (x[0] === "Error") return true;
  for (let i = 1; i < x.length; i++) if (hasError(x[i]!)) return true;
  return false;
}
