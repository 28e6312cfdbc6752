import { LatexSyntax } from '@cortex-js/compute-engine/latex-syntax';
import type { MathJson } from './mathjson.ts';

/**
 * LaTeX → MathJSON with compute-engine's LaTeX parser, without boxing: the tree mirrors
 * what was written (nothing folded, literals kept as exact decimal strings), so huge
 * powers are never evaluated by the library and the evaluator (evaluate.ts) keeps
 * control of the work budget (R4). The parser alone is edge-friendly and cheap to load.
 */

let syntax: LatexSyntax | null = null;

/** Parses LaTeX to MathJSON; null when the library throws (never expected, but R1). */
export function parseLatex(latex: string): MathJson | null {
  try {
    syntax ??= new LatexSyntax();
    return syntax.parse(latex) as MathJson | null;
  } catch {
    return null;
  }
}
