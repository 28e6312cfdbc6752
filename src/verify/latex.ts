import { LatexSyntax } from "@cortex-js/compute-engine/latex-syntax";
import type { MathJson } from "./mathjson.ts";

/**
 * LaTeX → MathJSON with compute-engine's LaTeX parser, without boxing: the tree mirrors
 * what was written (nothing folded, literals kept as exact decimal strings), so huge
 * powers are never evaluated by the library and the evaluator (evaluate.ts) keeps
 * control of the work budget (R4). The parser alone is edge-friendly and cheap to load.
 */

let syntax: LatexSyntax | null = null;

/**
 * Parsed trees by source text. The library parser costs 50–200 µs a call, and the same
 * texts recur: one gold is checked against K rollouts, and rollouts often agree. Trees are
 * never mutated, so sharing them is safe. Bounded: the oldest entry goes first.
 */
const cache = new Map<string, MathJson | null>();
const CACHE_ENTRIES = 20_000;

function parseUncached(latex: string): MathJson | null {
  try {
    syntax ??= new LatexSyntax();
    return syntax.parse(latex) as MathJson | null;
  } catch {
    return null;
  }
}

/** Parses LaTeX to MathJSON; null when the library throws (never expected, but R1). */
export function parseLatex(latex: string): MathJson | null {
  const hit = cache.get(latex);
  if (hit !== undefined || cache.has(latex)) return hit ?? null;
  const tree = parseUncached(latex);
  if (cache.size >= CACHE_ENTRIES) cache.delete(cache.keys().next().value!);
  cache.set(latex, tree);
  return tree;
}
