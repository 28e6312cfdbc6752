import { createSampler } from "../../src/corpus/sampler.ts";
import { ScriptedPolicy } from "../../src/policy/scripted.ts";
import type { Policy } from "../../src/policy/types.ts";
import { runSelfPlayIteration } from "../../src/selfplay/iteration.ts";
import { parseTrainerConfig, type TrainerConfigInput } from "../../src/trainer/config.ts";
import type { RunFactory } from "../../src/trainer/runner.ts";
import { selfPlaySettings } from "../../src/trainer/factory.ts";
import { RolloutFileSink } from "../../src/trainer/sink.ts";

/** A deterministic challenger/reasoner script: every document yields one free-form Integer task. */
export function arithmeticScript(prompt: string, ctx: { sample: number }): string {
  if (prompt.includes("Step 1 of 2"))
    return ctx.sample % 3 === 2 ? "no idea" : '{"task_type": "free_form", "answer_type": "Integer"}';
  if (prompt.includes("Step 2 of 2")) {
    const n = /has (\d+) apples/.exec(prompt)?.[1] ?? "0";
    return `{"question": "Someone has ${n} apples and eats 1. How many are left?", "answer": "${Number(n) - 1}", "answer_type": "Integer"}`;
  }
  const n = Number(/has (\d+) apples/.exec(prompt)?.[1] ?? 0);
  return ctx.sample % 2 === 0 ? `${n} - 1 = \\boxed{${n - 1}}` : `\\boxed{${n}}`;
}

export const DOCS = Array.from({ length: 5 }, (_, i) => ({ id: `doc-${i}`, text: `Sam has ${10 + i} apples.` }));

export function testTrainerConfig(over: TrainerConfigInput = {}) {
  return parseTrainerConfig({
    iterations: 3,
    batch_docs: 2,
    challenger_samples: 3,
    reasoner_rollouts: 2,
    max_attempts: 6,
    max_new_tokens: 200,
    learner: "rollout-only",
    checkpoint_every: 1,
    ...over,
  });
}

/**
 * A run factory over in-memory documents with the real sampler and a real rollout file. The policy is
 * the scripted one, or `hooks.policy()` (e.g. a pool of fake servers answering the same script).
 */
export function scriptedFactory(
  rolloutPath: string,
  hooks: { delayMs?: number; policy?: () => Policy } = {},
): RunFactory {
  return async ({ config, resume }) => {
    const policy = hooks.policy ? hooks.policy() : new ScriptedPolicy(arithmeticScript);
    const sampler = createSampler({
      ids: DOCS.map((d) => d.id),
      seed: config.seed,
      ...(resume?.samplerState ? { state: resume.samplerState } : {}),
    });
    const documents = {
      async next(n: number) {
        return sampler.next(n).map((id) => DOCS.find((d) => d.id === id)!);
      },
      state: () => sampler.state(),
    };
    const sink = new RolloutFileSink(rolloutPath);
    if (resume) await sink.restore(resume.learnerState);
    const settings = selfPlaySettings(config);
    return {
      sink,
      engine: {
        async runIteration(args) {
          if (hooks.delayMs) await Bun.sleep(hooks.delayMs);
          args.signal.throwIfAborted();
          return runSelfPlayIteration({ policy, documents }, settings, args);
        },
        close: async () => {
          if (hooks.policy) await policy.close();
        },
      },
    };
  };
}

/**
 * A trainer configuration (JSON, as a file or an HTTP body) for runs against the fake OpenAI server answering
 * `arithmeticScript`: rollout-only, no corpus, one small group per document.
 */
export function fakeServerConfig(over: TrainerConfigInput = {}): TrainerConfigInput {
  return {
    batch_docs: 1,
    challenger_samples: 3,
    reasoner_rollouts: 2,
    max_attempts: 3,
    use_corpus: false,
    learner: "rollout-only",
    max_new_tokens: 200,
    ...over,
  };
}
