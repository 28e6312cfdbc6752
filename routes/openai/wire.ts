import { existsSync } from "node:fs";
import { basename } from "node:path";
import type { ChatMessage, Completion, GenerateOptions, Policy } from "../../src/policy/types.ts";
import { DEFAULT_GENERATE, type PolicyVersion, type TopLogprob } from "../../src/policy/types.ts";
import type { ChatRequestBody, ChatResponseBody, CompletionRequestBody, CompletionResponseBody } from "./schema.ts";

/** The OpenAI wire shapes to and from the policy's generate call (docs/openai.md). */

/** OpenAI's default generation limit for /v1/completions. */
export const COMPLETIONS_DEFAULT_MAX_TOKENS = 16;

/** The id the policy is served under: a model folder's name, or the name a remote server reports. */
export async function servedModel(policy: Policy): Promise<{ id: string; root: string }> {
  const root = (await policy.version?.())?.model ?? policy.info.model;
  return { id: existsSync(root) ? basename(root) : root, root };
}

/** OpenAI's `system_fingerprint` for a policy version: the weights hash and swap count, or what a server reported. */
export function fingerprint(v: PolicyVersion | undefined): string | null {
  if (!v) return null;
  if (v.weightsHash) return `fp_${v.weightsHash.slice(0, 16)}_${v.swaps ?? 0}`;
  return v.revision ?? null;
}

const stopList = (stop: string | string[] | undefined) =>
  stop === undefined ? undefined : typeof stop === "string" ? [stop] : stop;

/** Sampling options shared by both routes. */
function sampling(
  b: CompletionRequestBody | ChatRequestBody,
  maxTokens: number,
  topLogprobs: number,
  signal: AbortSignal,
): GenerateOptions {
  return {
    n: b.n ?? 1,
    temperature: b.temperature ?? DEFAULT_GENERATE.temperature,
    topP: b.top_p ?? DEFAULT_GENERATE.topP,
    maxTokens,
    ...(b.stop !== undefined ? { stop: stopList(b.stop) } : {}),
    ...(b.seed !== undefined ? { seed: b.seed } : {}),
    ...(topLogprobs > 0 ? { topLogprobs } : {}),
    signal,
  };
}

export function completionOptions(b: CompletionRequestBody, signal: AbortSignal): GenerateOptions {
  return sampling(b, b.max_tokens ?? COMPLETIONS_DEFAULT_MAX_TOKENS, b.logprobs ?? 0, signal);
}

/** Chat's default limit is the rest of the context (the backend clips it to what fits), as OpenAI's is. */
export function chatOptions(b: ChatRequestBody, policy: Policy, signal: AbortSignal): GenerateOptions {
  const max = b.max_completion_tokens ?? b.max_tokens ?? policy.info.contextLength ?? DEFAULT_GENERATE.maxTokens;
  return sampling(b, max, b.logprobs ? (b.top_logprobs ?? 0) : 0, signal);
}

/** Chat messages as the policy renders them: `developer` is a system turn, text parts are joined. */
export function chatMessages(b: ChatRequestBody): ChatMessage[] {
  return b.messages.map((m) => ({
    role: m.role === "developer" ? "system" : m.role,
    content: typeof m.content === "string" ? m.content : (m.content ?? []).map((p) => p.text).join(""),
  }));
}

/** How a token is shown: `token_id:N` (vLLM's `return_tokens_as_token_ids`), else its text. */
export class TokenRenderer {
  constructor(
    private readonly policy: Policy,
    private readonly asIds: boolean,
  ) {}

  texts(ids: readonly number[]): string[] {
    if (this.asIds || !this.policy.tokenTexts) return ids.map((id) => `token_id:${id}`);
    return this.policy.tokenTexts([...ids]);
  }
}

/** Tokens with their log-probs: a whole completion, or what one streaming event carries. */
interface TokenRun {
  tokenIds?: number[] | null;
  logprobs?: number[] | null;
  topLogprobs?: TopLogprob[][] | null;
}

/** /v1/completions log-probs for a run of tokens; `offset` is the text offset of its first token. */
export function completionLogprobs(
  run: TokenRun,
  render: TokenRenderer,
  top: number,
  offset = 0,
): NonNullable<CompletionResponseBody["choices"][number]["logprobs"]> | null {
  if (!run.tokenIds || !run.logprobs) return null;
  const tokens = render.texts(run.tokenIds);
  const offsets: number[] = [];
  let at = offset;
  for (const t of tokens) {
    offsets.push(at);
    at += t.length;
  }
  return {
    tokens,
    token_logprobs: run.logprobs,
    top_logprobs:
      top > 0 && run.topLogprobs
        ? run.topLogprobs.map((alts, k) => topDict(alts, run.tokenIds![k]!, run.logprobs![k]!, render))
        : null,
    text_offset: offsets,
  };
}

/** The alternatives at one position, and the sampled token (vLLM lists it too when it is not among them). */
function topDict(alts: TopLogprob[], sampled: number, lp: number, render: TokenRenderer): Record<string, number> {
  const entries = alts.some((a) => a.id === sampled) ? alts : [...alts, { id: sampled, logprob: lp }];
  const names = render.texts(entries.map((e) => e.id));
  return Object.fromEntries(entries.map((e, i) => [names[i]!, e.logprob]));
}

const bytesOf = (s: string) => [...new TextEncoder().encode(s)];

/** /v1/chat/completions log-probs for a run of tokens. */
export function chatLogprobs(
  run: TokenRun,
  render: TokenRenderer,
  top: number,
): NonNullable<ChatResponseBody["choices"][number]["logprobs"]> | null {
  if (!run.tokenIds || !run.logprobs) return null;
  const tokens = render.texts(run.tokenIds);
  return {
    content: tokens.map((token, k) => {
      const alts = top > 0 ? (run.topLogprobs?.[k] ?? []) : [];
      const names = render.texts(alts.map((a) => a.id));
      return {
        token,
        logprob: run.logprobs![k]!,
        bytes: bytesOf(token),
        top_logprobs: alts.map((a, j) => ({ token: names[j]!, logprob: a.logprob, bytes: bytesOf(names[j]!) })),
      };
    }),
  };
}

/** Token counts for `usage`: the tokenizer's where the backend has one, else its estimate. */
export async function usage(
  policy: Policy,
  prompts: ReadonlyArray<{ prompt: string; promptTokenIds: number[] | null; completions: Completion[] }>,
) {
  let prompt = 0;
  let completion = 0;
  for (const r of prompts) {
    prompt += r.promptTokenIds?.length ?? (await policy.countTokens(r.prompt));
    for (const c of r.completions) completion += c.tokenIds?.length ?? (await policy.countTokens(c.text));
  }
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}
