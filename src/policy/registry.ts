import { PolicySpecError } from "../errors.ts";
import { openaiBackend } from "./openai-backend.ts";
import { transformersBackend } from "./transformers.ts";
import type { OpenPolicyOptions, Policy, PolicyBackend } from "./types.ts";

/**
 * Every policy backend, tried in order: the first whose `matches(spec)` holds opens the spec.
 * A new backend is one file (a class implementing `Policy`, and a `PolicyBackend` entry exported
 * beside it) plus its line here; nothing else in the code names a backend.
 */
export const POLICY_BACKENDS: readonly PolicyBackend[] = [openaiBackend, transformersBackend];

/**
 * The policy a spec names (an http(s) URL, a model folder, a built model name), opened by the backend
 * that takes it. A spec no backend takes is a PolicySpecError that lists what each one accepts.
 */
export async function openPolicy(spec: string, options: OpenPolicyOptions = {}): Promise<Policy> {
  const problem = policySpecProblem(spec, options);
  if (problem) throw new PolicySpecError(problem);
  return POLICY_BACKENDS.find((b) => b.matches(spec, options))!.open(spec, options);
}

/**
 * Why no backend can open `spec`, or null when one can: the checks openPolicy makes, without loading anything,
 * so a setting (SPICE_MODEL, a trainer's `challenger_policy`) is refused before a run or request starts.
 */
export function policySpecProblem(spec: string, options: OpenPolicyOptions = {}): string | null {
  const accepted = POLICY_BACKENDS.map((b) => b.accepts).join("; or ");
  const backend = POLICY_BACKENDS.find((b) => b.matches(spec, options));
  const why = backend ? (backend.check?.(spec, options) ?? null) : "no backend takes it";
  return why === null ? null : `cannot open a policy from "${spec}": ${why} (expected ${accepted})`;
}
