import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import type { AppContext } from "../../src/context.ts";
import {
  OpenAIErrorSchema,
  openaiError,
  openaiErrorBody,
  openaiErrorFor,
  type OpenAIErrorBody,
} from "../../src/http/openai-error.ts";
import { type AnyHook, json, jsonBody } from "../../src/http/openapi.ts";
import { getPolicy } from "../../src/policy/index.ts";
import type { GenerationResult, Policy, TokenEvent } from "../../src/policy/types.ts";
import {
  ChatRequest,
  ChatResponse,
  type ChatResponseBody,
  CompletionRequest,
  CompletionResponse,
  type CompletionResponseBody,
  ModelList,
} from "./schema.ts";
import {
  chatLogprobs,
  chatMessages,
  chatOptions,
  completionLogprobs,
  completionOptions,
  fingerprint,
  servedModel,
  TokenRenderer,
  usage,
} from "./wire.ts";

/**
 * The in-process policy as an OpenAI-compatible server (docs/openai.md): GET /v1/models,
 * POST /v1/completions and POST /v1/chat/completions, served by `spice serve` on its own port.
 * Requests share the roles' batching queue (n > 1 is one batch), are cancelled when the client goes
 * away, and answer errors in OpenAI's shape.
 */

const oaiRes = (description: string) => ({
  description,
  content: { "application/json": { schema: OpenAIErrorSchema } },
});

const errors = {
  400: oaiRes("invalid request (the field is in `param`), or a prompt too long for the model"),
  401: oaiRes("missing or wrong API key (with SPICE_API_TOKEN set)"),
  404: oaiRes("unknown model (`code: model_not_found`)"),
  413: oaiRes("request body too large"),
  502: oaiRes("the policy server behind this one answered garbage"),
  503: oaiRes("the policy is unavailable"),
  504: oaiRes("the policy timed out"),
};

const streamed = <T extends z.ZodType>(schema: T, description: string, example: z.input<T>) => ({
  description,
  content: { "application/json": { schema, example }, "text/event-stream": { schema: z.string() } },
});

const FINGERPRINT = "fp_82095a42a52fec8a_0";
const USAGE = { prompt_tokens: 4, completion_tokens: 8, total_tokens: 12 };

const modelsRoute = createRoute({
  method: "get",
  path: "/v1/models",
  summary: "The served model (OpenAI-compatible)",
  tags: ["openai"],
  responses: {
    200: json(ModelList, "one model: the policy", {
      object: "list",
      data: [
        {
          id: "spice-lm-tiny",
          object: "model",
          created: 1796195161,
          owned_by: "spice",
          root: "data/models/spice-lm-tiny",
          max_model_len: 1024,
        },
      ],
    }),
    401: errors[401],
    503: errors[503],
  },
});

const completionsRoute = createRoute({
  method: "post",
  path: "/v1/completions",
  summary: "Text completions from the policy (OpenAI-compatible)",
  tags: ["openai"],
  request: {
    body: jsonBody(CompletionRequest, {
      model: "spice-lm-tiny",
      prompt: "Once upon a time",
      max_tokens: 8,
      n: 2,
      seed: 1,
    }),
  },
  responses: {
    200: streamed(CompletionResponse, "the completions; with `stream: true`, SSE chunks ending with `data: [DONE]`", {
      id: "cmpl-3f1c",
      object: "text_completion",
      created: 1796195162,
      model: "spice-lm-tiny",
      system_fingerprint: FINGERPRINT,
      choices: [
        { index: 0, text: " there was a", logprobs: null, finish_reason: "length" },
        { index: 1, text: " the cat sat", logprobs: null, finish_reason: "length" },
      ],
      usage: USAGE,
    }),
    ...errors,
  },
});

const chatRoute = createRoute({
  method: "post",
  path: "/v1/chat/completions",
  summary: "Chat completions from the policy (OpenAI-compatible)",
  tags: ["openai"],
  request: {
    body: jsonBody(ChatRequest, {
      model: "spice-lm-tiny",
      messages: [{ role: "user", content: "What is 2+2?" }],
      max_tokens: 8,
      seed: 1,
    }),
  },
  responses: {
    200: streamed(ChatResponse, "the completions; with `stream: true`, SSE chunks ending with `data: [DONE]`", {
      id: "chatcmpl-8a2e",
      object: "chat.completion",
      created: 1796195162,
      model: "spice-lm-tiny",
      system_fingerprint: FINGERPRINT,
      choices: [
        {
          index: 0,
          message: { role: "assistant", content: "2 + 2 = 4, so \\boxed{4}" },
          logprobs: null,
          finish_reason: "stop",
        },
      ],
      usage: USAGE,
    }),
    ...errors,
  },
});

/** Validation failures in OpenAI's shape: the first failing field is `param`. */
const openaiHook: AnyHook = (result, c) => {
  if (result.success) return;
  const issues = result.error.issues;
  const param = issues[0]?.path.length ? issues[0].path.join(".") : null;
  const message = issues.map((i) => `${i.path.length ? i.path.join(".") : "body"}: ${i.message}`).join("; ");
  return openaiError(c, 400, message, { param, code: "invalid_request" });
};

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** 404 in OpenAI's words for a model other than the served one; null when the request may go on. */
function unknownModel(c: Context, asked: string | undefined, served: string): Response | null {
  if (asked === undefined || asked === served) return null;
  return openaiError(c, 404, `The model \`${asked}\` does not exist (this server serves \`${served}\`).`, {
    param: "model",
    code: "model_not_found",
  });
}

/**
 * Server-sent events for a generation: chunks as the tokens come (written in order), the closing
 * chunks `finish` makes, an error chunk if generation fails, then `data: [DONE]`. The generation is
 * aborted when the client goes away.
 */
function sseGeneration(
  c: Context,
  run: (signal: AbortSignal, send: (chunk: unknown) => void) => Promise<void>,
  ctx: AppContext,
): Response {
  return streamSSE(c, async (sse) => {
    const gone = new AbortController();
    sse.onAbort(() => gone.abort());
    const signal = AbortSignal.any([c.req.raw.signal, gone.signal]);
    let writes = Promise.resolve();
    const send = (chunk: unknown) => {
      const data = typeof chunk === "string" ? chunk : JSON.stringify(chunk);
      writes = writes.then(() => sse.writeSSE({ data }));
    };
    try {
      await run(signal, send);
    } catch (err) {
      if (signal.aborted) return;
      send(errorBody(err, ctx));
    }
    send("[DONE]");
    await writes;
  }) as unknown as Response;
}

function errorBody(err: unknown, ctx: AppContext): OpenAIErrorBody {
  const known = openaiErrorFor(err);
  if (known) return known.body;
  ctx.logger.error({ err }, "OpenAI-compatible route failed");
  return openaiErrorBody(500, "internal error: it was logged with the request id");
}

const firstVersion = (results: readonly GenerationResult[]) => results[0]?.completions[0]?.version;

export function openaiRouter(ctx: AppContext) {
  const router = new OpenAPIHono({ defaultHook: openaiHook });
  router.onError((err, c) => {
    const known = openaiErrorFor(err);
    if (known) return c.json(known.body, known.status);
    ctx.logger.error({ req_id: c.get("requestId"), err }, "unhandled error");
    return c.json(openaiErrorBody(500, "internal error: quote the x-request-id header when reporting it"), 500);
  });
  const policy = (): Promise<Policy> => getPolicy(ctx);

  router.openapi(modelsRoute, async (c) => {
    const p = await policy();
    const served = await servedModel(p);
    return c.json(
      {
        object: "list" as const,
        data: [
          {
            id: served.id,
            object: "model" as const,
            created: nowSeconds(),
            owned_by: "spice",
            root: served.root,
            max_model_len: p.info.contextLength,
          },
        ],
      },
      200,
    );
  });

  router.openapi(completionsRoute, async (c) => {
    const b = c.req.valid("json");
    const p = await policy();
    const served = await servedModel(p);
    const refused = unknownModel(c, b.model, served.id);
    if (refused) return refused as never;
    const prompts = typeof b.prompt === "string" ? [b.prompt] : b.prompt;
    const n = b.n ?? 1;
    const wantLp = b.logprobs !== undefined;
    const top = b.logprobs ?? 0;
    const render = new TokenRenderer(p, b.return_tokens_as_token_ids ?? false);
    const base = { id: `cmpl-${crypto.randomUUID()}`, object: "text_completion" as const, created: nowSeconds() };

    if (!b.stream) {
      const results = await p.generate(prompts, completionOptions(b, c.req.raw.signal));
      const body: CompletionResponseBody = {
        ...base,
        model: served.id,
        system_fingerprint: fingerprint(firstVersion(results)),
        choices: results.flatMap((r, i) =>
          r.completions.map((comp, j) => ({
            index: i * n + j,
            text: comp.text,
            logprobs: wantLp ? completionLogprobs(comp, render, top) : null,
            finish_reason: comp.finishReason,
          })),
        ),
        usage: await usage(p, results),
      };
      return c.json(body, 200);
    }

    const withUsage = b.stream_options?.include_usage === true;
    const fp = fingerprint(await p.version?.());
    const head = { ...base, model: served.id, system_fingerprint: fp };
    return sseGeneration(
      c,
      async (signal, send) => {
        const offsets = new Map<number, number>();
        const onToken = (e: TokenEvent) => {
          if (e.text === "" && !e.tokenIds?.length) return;
          const index = e.prompt * n + e.sample;
          const lp = wantLp ? completionLogprobs(e, render, top, offsets.get(index) ?? 0) : null;
          if (lp) offsets.set(index, (lp.text_offset.at(-1) ?? 0) + (lp.tokens.at(-1)?.length ?? 0));
          send({
            ...head,
            choices: [{ index, text: e.text, logprobs: lp, finish_reason: null }],
            ...(withUsage ? { usage: null } : {}),
          });
        };
        const results = await p.generate(prompts, { ...completionOptions(b, signal), onToken });
        results.forEach((r, i) => {
          r.completions.forEach((comp, j) => {
            send({
              ...head,
              choices: [{ index: i * n + j, text: "", logprobs: null, finish_reason: comp.finishReason }],
              ...(withUsage ? { usage: null } : {}),
            });
          });
        });
        if (withUsage) send({ ...head, choices: [], usage: await usage(p, results) });
      },
      ctx,
    ) as never;
  });

  router.openapi(chatRoute, async (c) => {
    const b = c.req.valid("json");
    const p = await policy();
    const served = await servedModel(p);
    const refused = unknownModel(c, b.model, served.id);
    if (refused) return refused as never;
    const messages = chatMessages(b);
    const n = b.n ?? 1;
    const wantLp = b.logprobs === true;
    const top = b.top_logprobs ?? 0;
    const render = new TokenRenderer(p, b.return_tokens_as_token_ids ?? false);
    const base = { id: `chatcmpl-${crypto.randomUUID()}`, created: nowSeconds(), model: served.id };

    if (!b.stream) {
      const results = await p.generate([messages], chatOptions(b, p, c.req.raw.signal));
      const r = results[0]!;
      const body: ChatResponseBody = {
        ...base,
        object: "chat.completion",
        system_fingerprint: fingerprint(firstVersion(results)),
        choices: r.completions.map((comp, j) => ({
          index: j,
          message: { role: "assistant" as const, content: comp.text },
          logprobs: wantLp ? chatLogprobs(comp, render, top) : null,
          finish_reason: comp.finishReason,
        })),
        usage: await usage(p, results),
      };
      return c.json(body, 200);
    }

    const withUsage = b.stream_options?.include_usage === true;
    const head = {
      ...base,
      object: "chat.completion.chunk" as const,
      system_fingerprint: fingerprint(await p.version?.()),
    };
    const extra = withUsage ? { usage: null } : {};
    return sseGeneration(
      c,
      async (signal, send) => {
        for (let j = 0; j < n; j++)
          send({
            ...head,
            choices: [{ index: j, delta: { role: "assistant", content: "" }, logprobs: null, finish_reason: null }],
            ...extra,
          });
        const onToken = (e: TokenEvent) => {
          if (e.text === "" && !e.tokenIds?.length) return;
          send({
            ...head,
            choices: [
              {
                index: e.sample,
                delta: { content: e.text },
                logprobs: wantLp ? chatLogprobs(e, render, top) : null,
                finish_reason: null,
              },
            ],
            ...extra,
          });
        };
        const results = await p.generate([messages], { ...chatOptions(b, p, signal), onToken });
        results[0]!.completions.forEach((comp, j) => {
          send({
            ...head,
            choices: [{ index: j, delta: {}, logprobs: null, finish_reason: comp.finishReason }],
            ...extra,
          });
        });
        if (withUsage) send({ ...head, choices: [], usage: await usage(p, results) });
      },
      ctx,
    ) as never;
  });

  return router;
}
