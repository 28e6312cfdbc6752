import { z } from "zod";

/**
 * The base URLs of an OpenAI-compatible policy: one, or several separated by commas (replicas of one
 * model, docs/openai.md#a-pool-of-inference-servers). One schema for SPICE_POLICY_URL and the trainer's
 * `challenger_policy.url`; the value is kept as a string, each URL trimmed.
 */
export const PolicyUrlsSchema = z
  .string()
  .superRefine((s, ctx) => {
    for (const part of s.split(",").map((p) => p.trim())) {
      if (!z.url({ protocol: /^https?$/ }).safeParse(part).success)
        ctx.addIssue({ code: "custom", message: `"${part}" is not an http(s) URL` });
    }
  })
  .transform((s) => splitUrls(s).join(","));

/** The replicas a spec names: one URL, or several separated by commas. */
export function splitUrls(spec: string | readonly string[]): string[] {
  const list = typeof spec === "string" ? spec.split(",") : spec;
  return list.map((u) => u.trim()).filter((u) => u !== "");
}

/** A base URL as the pool keeps it: no trailing slash, ending in /v1. */
export function normaliseBaseUrl(url: string): string {
  const trimmed = url.trim().replace(/\/+$/, "");
  return /\/v1$/.test(trimmed) ? trimmed : `${trimmed}/v1`;
}
