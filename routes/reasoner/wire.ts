import type { z } from "@hono/zod-openapi";
import type { AskedQuestion } from "../../src/roles/calls.ts";
import type { SolveOptions, SolveResult } from "../../src/roles/solve.ts";
import type { SolveRequest, SolveResponse } from "./schema.ts";

/** The reasoner's wire shapes (snake_case, from the route schemas) to and from the library's call. */

export type SolveRequestBody = z.infer<typeof SolveRequest>;
export type SolveResponseBody = z.infer<typeof SolveResponse>;

export function askedQuestion(b: SolveRequestBody): AskedQuestion {
  return { question: b.question, options: b.options, answer: b.answer, answerType: b.answer_type };
}

export function solveOptions(b: SolveRequestBody, call: Pick<SolveOptions, "onToken" | "signal"> = {}): SolveOptions {
  return { rollouts: b.k, temperature: b.temperature, topP: b.top_p, maxTokens: b.max_tokens, seed: b.seed, ...call };
}

/** The HTTP answer; `spice solve --json` prints the same. */
export function solveBody(r: SolveResult): SolveResponseBody {
  return {
    rollouts: r.rollouts.map((x) => ({
      text: x.text,
      extracted: x.extracted,
      ...(x.correct !== undefined ? { correct: x.correct } : {}),
      ...(x.reason !== undefined ? { reason: x.reason } : {}),
      finish_reason: x.step.completion.finishReason,
    })),
    ...(r.passRate !== undefined ? { pass_rate: r.passRate } : {}),
  };
}
