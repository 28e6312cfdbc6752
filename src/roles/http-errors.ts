import { HttpProblem } from "../problem.ts";
import { PolicyError } from "../policy/types.ts";

const STATUS = { unavailable: 503, timeout: 504, bad_response: 502, invalid_request: 400 } as const;
const TITLE = {
  unavailable: "Policy unavailable",
  timeout: "Policy timed out",
  bad_response: "Bad answer from the policy",
  invalid_request: "Request does not fit the policy",
} as const;

/** The problem a caller should see for a policy failure; null for any other error. */
function policyProblem(err: unknown): HttpProblem | null {
  if (err instanceof PolicyError) return new HttpProblem(STATUS[err.kind], TITLE[err.kind], err.message);
  // fitDocument's "the context leaves no room" is about the request's budgets.
  if (err instanceof RangeError) return new HttpProblem(400, TITLE.invalid_request, err.message);
  return null;
}

export function asPolicyProblem(err: unknown): never {
  throw policyProblem(err) ?? err;
}
