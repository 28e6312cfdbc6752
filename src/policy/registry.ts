import { PolicySpecError } from "../errors.ts";
import { openaiBackend } from "./openai.ts";
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
  const backend = POLICY_BACKENDS.find((b) => b.matches(spec, options));
  if (!backend) {
    const accepted = POLICY_BACKENDS.map((b) => b.accepts).join("; or ");
    throw new PolicySpecError(`cannot open a policy from "${spec}": expected ${accepted}`);
  }
  return backend.open(spec, options);
}
