import { SpiceError, type PolicyErrorKind } from "../errors.ts";
import type { ChatMessage } from "../spice/chat.ts";
import type { Registry } from "prom-client";

/** The chat turn is defined with the method's prompts, which are written in it; policies render it. */
export type { ChatMessage };

/** A prompt is raw text, or chat messages the backend renders. */
export type Prompt = string | ChatMessage[];

export interface GenerateOptions {
  /** Completions per prompt. */
  n?: number;
  temperature?: number;
  topP?: number;
  maxTokens?: number;
  stop?: string[];
  seed?: number;
  /** Alternatives to report per generated token (OpenAI's `top_logprobs`, at most 20); 0 or absent: none. */
  topLogprobs?: number;
  /** Called with each piece of decoded text as it is generated (streaming). */
  onToken?: (event: TokenEvent) => void;
  /**
   * Cancels the call (an HTTP client that disconnected, a trainer stop): queued rows leave the queue,
   * rows being decoded leave their batch at the next step, requests to a policy server are aborted;
   * the call rejects with `Cancelled` (src/errors.ts).
   */
  signal?: AbortSignal;
}

export interface TokenEvent {
  prompt: number;
  sample: number;
  text: string;
  /**
   * The tokens generated since the row's previous event, where the backend can tell (the text of an
   * event may lag its tokens by a held-back character or stop-string prefix; all of a row's events
   * together carry all of its tokens).
   */
  tokenIds?: number[];
  logprobs?: number[];
  topLogprobs?: TopLogprob[][];
}

/** One alternative at a generated position: a token id and its log-prob under the model. */
export interface TopLogprob {
  id: number;
  logprob: number;
}

/** Why a completion ended: `stop` = end-of-sequence token or a stop string, `length` = maxTokens reached. */
export type FinishReason = "stop" | "length";

export interface Completion {
  text: string;
  /** Generated token ids, EOS included when generated; null when the backend cannot tell. */
  tokenIds: number[] | null;
  /** log π(token) under the model's own distribution (before temperature and top-p), aligned with tokenIds. */
  logprobs: number[] | null;
  finishReason: FinishReason;
  /** Per generated token, the `topLogprobs` most likely tokens (most likely first), when asked and available. */
  topLogprobs?: TopLogprob[][] | null;
  /** Which weights produced this completion (docs/openai.md#policy-versions); absent when the backend cannot tell. */
  version?: PolicyVersion;
}

export interface GenerationResult {
  /** The prompt text the model saw (after the chat template). */
  prompt: string;
  promptTokenIds: number[] | null;
  completions: Completion[];
}

export interface PolicyInfo {
  /** The backend's registry name ("transformers", "openai"; "scripted" in tests). */
  backend: string;
  model: string;
  /** Max prompt + generated tokens; null when unknown. */
  contextLength: number | null;
}

export interface Policy {
  readonly info: PolicyInfo;
  generate(prompts: Prompt[], options?: GenerateOptions): Promise<GenerationResult[]>;
  /** Token count of a rendered prompt (an estimate where the backend has no tokenizer). */
  countTokens(text: string): Promise<number>;
  /** The longest prefix of `text` that fits in `maxTokens` tokens. */
  truncateToTokens(text: string, maxTokens: number): Promise<string>;
  /** Renders a prompt exactly as generate() would feed it. */
  render(prompt: Prompt): string;
  close(): Promise<void>;

  // Optional capabilities: a backend implements what it can, and callers test for them.

  /** Serves new weights (an ONNX graph of the same interface) in place: the embedded learner's hot swap. */
  swapWeights?(onnxBytes: Uint8Array): Promise<void>;
  /** sha256 (hex) of the weights the policy was opened with; swaps do not change it (`version().swaps` counts them). */
  weightsHash?(): Promise<string>;
  /** What is being served, for logs and run records. */
  version?(): Promise<PolicyVersion>;
  /**
   * A cheap bound: no rendered prompt longer than this many characters fits the context (null when
   * none is known). An edge can refuse a body too large to hold a fitting prompt before reading it.
   */
  maxPromptChars?(): number | null;
  /** The text of each token id alone (for OpenAI-style log-prob listings); a backend with a tokenizer has it. */
  tokenTexts?(ids: number[]): string[];
}

export interface PolicyVersion {
  backend: string;
  /** The model folder, or the name a server reports. */
  model: string;
  weightsHash?: string;
  /** Weight swaps since the policy was opened. */
  swaps?: number;
  /** What a remote server reports about its weights (an OpenAI-style `system_fingerprint`), when it reports one. */
  revision?: string;
}

/** How to reach an OpenAI-compatible server beyond its URL (SPICE_POLICY_MODEL / _ENDPOINT / _API_KEY). */
export interface RemotePolicyOptions {
  /** The served model's name; without it, the only model the server lists. */
  model?: string;
  /** `completions` renders prompts here; `chat` sends messages and lets the server apply its chat template. */
  endpoint?: PolicyEndpoint;
  apiKey?: string;
}

export const POLICY_ENDPOINTS = ["completions", "chat"] as const;
export type PolicyEndpoint = (typeof POLICY_ENDPOINTS)[number];

export type Device = "cpu" | "cuda" | "webgpu" | "auto";

/** What every backend may use when it opens a spec; backend-specific knobs stay with the backend's own class. */
export interface OpenPolicyOptions {
  /** Where built models live (`<dataDir>/models/<name>`); a built model name needs it. */
  dataDir?: string;
  device?: Device;
  /** For a server URL: the model name, the endpoint and the key. */
  remote?: RemotePolicyOptions;
  /** Where a backend registers its Prometheus metrics (the pool's per-replica counters). */
  registry?: Registry;
}

/** One entry of the policy registry (src/policy/registry.ts): which specs a backend opens, and how. */
export interface PolicyBackend {
  name: string;
  /** The specs it opens, in words, for the error that lists what is accepted. */
  accepts: string;
  matches(spec: string, options: OpenPolicyOptions): boolean;
  /**
   * Why a spec it matches cannot be opened (a folder without a tokenizer, a URL without a host), or null. Cheap:
   * no model is loaded, so callers check settings with it before any work starts.
   */
  check?(spec: string, options: OpenPolicyOptions): string | null;
  open(spec: string, options: OpenPolicyOptions): Promise<Policy>;
}

export type { PolicyErrorKind };

/** A failure of the policy backend, classified so that the edges can answer 502/503/504/400 (src/error-table.ts). */
export class PolicyError extends SpiceError {
  constructor(
    readonly kind: PolicyErrorKind,
    message: string,
  ) {
    super(`policy_${kind}`, message);
  }
}

export const DEFAULT_GENERATE = {
  n: 1,
  temperature: 1.0,
  topP: 1.0,
  maxTokens: 256,
} as const;

/** Plain rendering used when a model has no chat template (and for completion endpoints). */
export function renderPlain(prompt: Prompt): string {
  if (typeof prompt === "string") return prompt;
  const parts = prompt.map((m) =>
    m.role === "system"
      ? `${m.content}\n\n`
      : m.role === "user"
        ? `User: ${m.content}\n\n`
        : `Assistant: ${m.content}\n\n`,
  );
  return `${parts.join("")}Assistant:`;
}
