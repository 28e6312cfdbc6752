import { estimateTokens, truncateByEstimate } from "./estimate.ts";
import {
  renderPlain,
  type GenerateOptions,
  type GenerationResult,
  type Policy,
  type PolicyInfo,
  type Prompt,
} from "./types.ts";

export interface ScriptContext {
  /** Index of the prompt in the generate() call. */
  prompt: number;
  /** Index of the sample for that prompt. */
  sample: number;
  /** 0-based count of completions produced so far by this policy. */
  call: number;
}

export type Script = (prompt: string, ctx: ScriptContext) => string;

/**
 * A policy that answers from a script instead of a model: it pins the roles' parsing,
 * validation and retry logic in tests without any model noise.
 * Token ids are the text's UTF-16 code units and every log-prob is -1, so that
 * downstream code always sees non-null, aligned arrays.
 */
export class ScriptedPolicy implements Policy {
  readonly info: PolicyInfo;
  private calls = 0;
  readonly seen: string[] = [];

  constructor(
    private readonly script: Script,
    contextLength: number | null = null,
  ) {
    this.info = { backend: "scripted", model: "scripted", contextLength };
  }

  /** A script that hands out the given outputs in order, cycling. */
  static fromList(outputs: string[], contextLength: number | null = null): ScriptedPolicy {
    return new ScriptedPolicy((_p, { call }) => outputs[call % outputs.length]!, contextLength);
  }

  render(prompt: Prompt): string {
    return renderPlain(prompt);
  }

  async generate(prompts: Prompt[], options: GenerateOptions = {}): Promise<GenerationResult[]> {
    const n = options.n ?? 1;
    return prompts.map((p, promptIndex) => {
      const prompt = this.render(p);
      this.seen.push(prompt);
      const completions = Array.from({ length: n }, (_, sample) => {
        let text = this.script(prompt, { prompt: promptIndex, sample, call: this.calls++ });
        let finishReason: "stop" | "length" = "stop";
        if (options.maxTokens !== undefined && text.length > options.maxTokens) {
          text = text.slice(0, options.maxTokens);
          finishReason = "length";
        }
        options.onToken?.({ prompt: promptIndex, sample, text });
        const tokenIds = Array.from(text, (ch) => ch.charCodeAt(0));
        const version = { backend: this.info.backend, model: this.info.model };
        return { text, tokenIds, logprobs: tokenIds.map(() => -1), finishReason, version };
      });
      return { prompt, promptTokenIds: null, completions };
    });
  }

  async countTokens(text: string): Promise<number> {
    return estimateTokens(text);
  }

  async truncateToTokens(text: string, maxTokens: number): Promise<string> {
    return truncateByEstimate(text, maxTokens);
  }

  async close(): Promise<void> {}
}
