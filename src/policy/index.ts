import type { Config } from "../config.ts";
import type { AppContext } from "../context.ts";
import { DEFAULT_LM, ensureModel } from "../../models/index.ts";
import { OpenAIPolicy } from "./openai.ts";
import { TransformersPolicy } from "./transformers.ts";
import type { Policy } from "./types.ts";

export type { Policy, GenerateOptions, GenerationResult, Completion, Prompt, ChatMessage } from "./types.ts";
export { PolicyError } from "./types.ts";

/**
 * The policy the settings ask for: an OpenAI-compatible server when SPICE_POLICY_URL is
 * set, else the local model folder SPICE_MODEL (default: the built spice-lm-tiny).
 */
export async function createPolicy(config: Pick<Config, "dataDir" | "model" | "policyUrl" | "device">): Promise<Policy> {
  if (config.policyUrl) return new OpenAIPolicy({ baseUrl: config.policyUrl });
  const dir = config.model ?? ensureModel(config.dataDir, DEFAULT_LM);
  return TransformersPolicy.load(dir, { device: config.device });
}

/** The process's one policy, shared by routes, CLI commands and the trainer. */
export function getPolicy(ctx: AppContext): Promise<Policy> {
  return ctx.lazy("policy", async () => {
    const policy = await createPolicy(ctx.config);
    ctx.onClose(() => policy.close());
    return policy;
  });
}
