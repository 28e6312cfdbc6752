import type { Config } from "../config.ts";
import type { AppContext } from "../context.ts";
import { DEFAULT_LM } from "../../models/index.ts";
import { openPolicy } from "./registry.ts";
import { modelFolder } from "./transformers.ts";
import type { Registry } from "prom-client";
import type { Policy, RemotePolicyOptions } from "./types.ts";

export type { Policy, GenerateOptions, GenerationResult, Completion, Prompt, ChatMessage } from "./types.ts";
export { PolicyError } from "./types.ts";
export { openPolicy } from "./registry.ts";

type PolicySettings = Pick<
  Config,
  "dataDir" | "model" | "policyUrl" | "device" | "policyModel" | "policyEndpoint" | "policyApiKey"
>;

/** The spec the settings name: SPICE_POLICY_URL when set, else SPICE_MODEL (default: the built spice-lm-tiny). */
export function policySpec(config: PolicySettings): string {
  return config.policyUrl ?? config.model ?? DEFAULT_LM;
}

/** SPICE_POLICY_MODEL / _ENDPOINT / _API_KEY: how to talk to the server(s) SPICE_POLICY_URL names. */
export function remoteOptions(config: Partial<PolicySettings>): RemotePolicyOptions {
  return {
    ...(config.policyModel ? { model: config.policyModel } : {}),
    ...(config.policyEndpoint ? { endpoint: config.policyEndpoint } : {}),
    ...(config.policyApiKey ? { apiKey: config.policyApiKey } : {}),
  };
}

/** The policy the settings ask for, opened through the backend registry; `registry` takes the pool's metrics. */
export function createPolicy(config: PolicySettings, registry?: Registry): Promise<Policy> {
  return openPolicy(policySpec(config), {
    dataDir: config.dataDir,
    device: config.device,
    remote: remoteOptions(config),
    ...(registry ? { registry } : {}),
  });
}

/**
 * The local model folder the settings serve (null with SPICE_POLICY_URL, or when SPICE_MODEL names
 * no folder): the embedded learner trains from its files.
 */
export function localModelFolder(config: PolicySettings): string | null {
  return config.policyUrl ? null : modelFolder(config.model ?? DEFAULT_LM, config.dataDir);
}

/** The process's one policy, shared by routes, CLI commands and the trainer. */
export function getPolicy(ctx: AppContext): Promise<Policy> {
  return ctx.lazy("policy", async () => {
    const policy = await createPolicy(ctx.config, ctx.registry);
    ctx.onClose(() => policy.close());
    return policy;
  });
}
