import type { AppContext } from "../context.ts";
import { getPolicy } from "../policy/index.ts";
import type { RoleServices } from "./calls.ts";
import { readDocument } from "./documents.ts";

/** The roles on the process's own policy and corpus: what `spice serve` and the CLI commands use. */
export function roleServices(ctx: AppContext): RoleServices {
  return { policy: () => getPolicy(ctx), document: (source) => readDocument(ctx, source) };
}
