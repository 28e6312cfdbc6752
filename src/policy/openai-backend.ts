import { OpenAIPolicy } from "./openai.ts";
import { poolMetrics } from "./pool-metrics.ts";
import type { PolicyBackend } from "./types.ts";
import { splitUrls } from "./urls.ts";

/** The registry's entry for this backend (src/policy/registry.ts): one URL, or several comma-separated replicas. */
export const openaiBackend: PolicyBackend = {
  name: "openai",
  accepts: "the http(s) URL of an OpenAI-compatible server (several comma-separated: replicas of one model)",
  matches: (spec) => /^https?:\/\//i.test(spec.trim()),
  check: (spec) => {
    for (const part of splitUrls(spec)) {
      let url: URL;
      try {
        url = new URL(part);
      } catch {
        return `"${part}" is not a valid URL`;
      }
      if (!/^https?:$/.test(url.protocol)) return `"${part}" is not an http(s) URL`;
      if (!url.hostname) return `"${part}" names no host`;
    }
    return splitUrls(spec).length ? null : "no URL";
  },
  open: async (spec, o) =>
    new OpenAIPolicy({ baseUrl: spec, ...o.remote, ...(o.registry ? { metrics: poolMetrics(o.registry) } : {}) }),
};
