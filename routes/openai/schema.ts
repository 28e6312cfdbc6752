import { z } from "@hono/zod-openapi";

/**
 * The OpenAI-compatible request and response shapes (docs/openai.md). Requests accept and ignore
 * fields they do not know, as OpenAI-compatible servers do; `null` counts as absent. Fields that
 * change what a completion means but are not implemented (`echo`, `suffix`, `best_of` > n,
 * `logit_bias`, penalties, tools) are refused with a 400 naming them rather than silently ignored.
 */

const nullish = <T extends z.ZodType>(t: T) => t.nullish().transform((v) => v ?? undefined);

const Stop = nullish(z.union([z.string(), z.array(z.string()).max(16)])).describe(
  "up to 16 strings; generation stops before the first one",
);

const shared = {
  model: nullish(z.string().min(1)).describe("the served model's id (GET /v1/models); omitted: that model"),
  temperature: nullish(z.number().min(0).max(2)).describe("default 1; 0 is greedy"),
  top_p: nullish(z.number().gt(0).max(1)).describe("nucleus sampling, default 1"),
  n: nullish(z.number().int().min(1).max(128)).describe("completions per prompt, default 1 (decoded in one batch)"),
  stop: Stop,
  seed: nullish(z.number().int()).describe("a seeded request repeats exactly (with the same batch composition)"),
  stream: nullish(z.boolean()).describe("server-sent events: chunks, then `data: [DONE]`"),
  stream_options: nullish(z.object({ include_usage: nullish(z.boolean()) })).describe(
    "`include_usage`: a last chunk with `usage` and no choices",
  ),
  return_tokens_as_token_ids: nullish(z.boolean()).describe(
    "vLLM's: log-prob tokens rendered as `token_id:N`, so that the ids can be read back",
  ),
  max_tokens: nullish(z.number().int().min(1)).describe("generation limit"),
  // Known fields whose meaning is not implemented: accepted only at their neutral value.
  logit_bias: nullish(z.record(z.string(), z.number())),
  presence_penalty: nullish(z.number()),
  frequency_penalty: nullish(z.number()),
};

/** Fields present with a value that would change the answer, which these routes do not implement. */
function refuseUnsupported(
  b: {
    logit_bias?: Record<string, number>;
    presence_penalty?: number;
    frequency_penalty?: number;
    n?: number;
    best_of?: number;
    echo?: boolean;
    suffix?: string;
  },
  ctx: z.RefinementCtx,
): void {
  const no = (path: string, why: string) => ctx.addIssue({ code: "custom", path: [path], message: why });
  if (b.logit_bias && Object.keys(b.logit_bias).length) no("logit_bias", "is not supported");
  if (b.presence_penalty) no("presence_penalty", "is not supported (only 0)");
  if (b.frequency_penalty) no("frequency_penalty", "is not supported (only 0)");
  if (b.best_of !== undefined && b.best_of !== (b.n ?? 1)) no("best_of", "is not supported (only equal to n)");
  if (b.echo) no("echo", "is not supported");
  if (b.suffix) no("suffix", "is not supported");
}

export const CompletionRequest = z
  .object({
    ...shared,
    prompt: z
      .union([z.string(), z.array(z.string()).min(1).max(256)])
      .describe("a prompt, or a list of prompts (one batch; choice index = prompt × n + sample)"),
    logprobs: nullish(z.number().int().min(0).max(20)).describe(
      "per generated token its log-prob, and this many alternatives",
    ),
    best_of: nullish(z.number().int().min(1)),
    echo: nullish(z.boolean()),
    suffix: nullish(z.string()),
  })
  .superRefine(refuseUnsupported)
  .openapi("CompletionRequest");

const TextPart = z.object({ type: z.literal("text"), text: z.string() });

export const ChatMessageIn = z
  .object({
    role: z.enum(["system", "developer", "user", "assistant"]).describe("developer is read as system"),
    content: z.union([z.string(), z.array(TextPart)]).nullable(),
    name: nullish(z.string()),
  })
  .openapi("ChatMessageIn");

export const ChatRequest = z
  .object({
    ...shared,
    messages: z.array(ChatMessageIn).min(1).describe("rendered with the model folder's chat template when it has one"),
    max_completion_tokens: nullish(z.number().int().min(1)).describe("generation limit (wins over max_tokens)"),
    logprobs: nullish(z.boolean()).describe("per generated token its log-prob"),
    top_logprobs: nullish(z.number().int().min(0).max(20)).describe("alternatives per token (needs logprobs)"),
    tools: nullish(z.array(z.unknown())),
  })
  .superRefine((b, ctx) => {
    refuseUnsupported(b, ctx);
    if (b.tools?.length) ctx.addIssue({ code: "custom", path: ["tools"], message: "is not supported" });
    if (b.top_logprobs !== undefined && b.top_logprobs > 0 && !b.logprobs)
      ctx.addIssue({ code: "custom", path: ["top_logprobs"], message: "needs `logprobs: true`" });
  })
  .openapi("ChatCompletionRequest");

const Usage = z
  .object({ prompt_tokens: z.number().int(), completion_tokens: z.number().int(), total_tokens: z.number().int() })
  .openapi("Usage");

const CompletionLogprobs = z
  .object({
    tokens: z.array(z.string()),
    token_logprobs: z.array(z.number()),
    top_logprobs: z.array(z.record(z.string(), z.number())).nullable(),
    text_offset: z.array(z.number().int()),
  })
  .openapi("CompletionLogprobs");

const FinishReason = z.enum(["stop", "length"]).nullable();

export const CompletionResponse = z
  .object({
    id: z.string(),
    object: z.literal("text_completion"),
    created: z.number().int(),
    model: z.string(),
    system_fingerprint: z.string().nullable().describe("the policy version: fp_<weights hash>_<swaps>"),
    choices: z.array(
      z.object({
        index: z.number().int(),
        text: z.string(),
        logprobs: CompletionLogprobs.nullable(),
        finish_reason: FinishReason,
      }),
    ),
    usage: Usage.nullable().optional(),
  })
  .openapi("CompletionResponse");

const ChatTokenLogprob = z.object({
  token: z.string(),
  logprob: z.number(),
  bytes: z.array(z.number().int()).nullable(),
});

const ChatLogprobs = z
  .object({
    content: z.array(ChatTokenLogprob.extend({ top_logprobs: z.array(ChatTokenLogprob) })).nullable(),
  })
  .openapi("ChatLogprobs");

export const ChatResponse = z
  .object({
    id: z.string(),
    object: z.literal("chat.completion"),
    created: z.number().int(),
    model: z.string(),
    system_fingerprint: z.string().nullable(),
    choices: z.array(
      z.object({
        index: z.number().int(),
        message: z.object({ role: z.literal("assistant"), content: z.string() }),
        logprobs: ChatLogprobs.nullable(),
        finish_reason: FinishReason,
      }),
    ),
    usage: Usage,
  })
  .openapi("ChatCompletionResponse");

export const ModelList = z
  .object({
    object: z.literal("list"),
    data: z.array(
      z.object({
        id: z.string(),
        object: z.literal("model"),
        created: z.number().int(),
        owned_by: z.string(),
        root: z.string().describe("the model folder, or the remote server's model name"),
        max_model_len: z.number().int().nullable(),
      }),
    ),
  })
  .openapi("ModelList");

export type CompletionRequestBody = z.infer<typeof CompletionRequest>;
export type ChatRequestBody = z.infer<typeof ChatRequest>;
export type CompletionResponseBody = z.infer<typeof CompletionResponse>;
export type ChatResponseBody = z.infer<typeof ChatResponse>;
export type ModelListBody = z.infer<typeof ModelList>;
