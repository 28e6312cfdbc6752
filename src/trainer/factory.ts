import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_LM, ensureModel } from "../../models/index.ts";
import type { AppContext } from "../context.ts";
import { getCorpus } from "../corpus/index.ts";
import { SpiceError } from "../errors.ts";
import { getPolicy } from "../policy/index.ts";
import { OpenAIPolicy } from "../policy/openai.ts";
import { TransformersPolicy } from "../policy/transformers.ts";
import type { Policy } from "../policy/types.ts";
import { runSelfPlayIteration, type DocumentSource, type SelfPlaySettings } from "../spice/selfplay.ts";
import type { TrainerConfig } from "./config.ts";
import { EmbeddedSink } from "./embedded-sink.ts";
import type { RunFactory } from "./runner.ts";
import { RolloutFileSink, type LearnerSink } from "./sink.ts";

export class TrainerSetupError extends SpiceError {
  constructor(message: string) {
    super("trainer_setup", message);
  }
}

export function runDir(dataDir: string, runId: string): string {
  return join(dataDir, "runs", runId);
}

/** A fixed challenger: an OpenAI-compatible URL or a local model folder (SPEC §3 `challenger_policy`). */
async function fixedChallenger(spec: string, device: AppContext["config"]["device"]): Promise<Policy> {
  return /^https?:\/\//.test(spec) ? new OpenAIPolicy({ baseUrl: spec }) : TransformersPolicy.load(spec, { device });
}

/** The corpus as the trainer's document source: its epoch sampler, resumed from the committed state. */
async function corpusSource(ctx: AppContext, config: TrainerConfig, samplerState: unknown): Promise<{ source: DocumentSource; hash: string }> {
  const corpus = await getCorpus(ctx);
  if ((await corpus.stats()).segments === 0) {
    throw new TrainerSetupError("the corpus is empty: ingest documents first (spice corpus ingest), or set use_corpus to false");
  }
  const sampler = await corpus.createSampler({ seed: config.seed, ...(samplerState ? { state: samplerState } : {}) });
  const manifest = await corpus.manifest();
  return {
    hash: manifest.content_hash,
    source: {
      async next(n) {
        const ids = sampler.next(n);
        const segs = await corpus.segments(ids);
        return segs.map((s) => ({ id: s.id, text: s.text }));
      },
      state: () => sampler.state(),
    },
  };
}

/**
 * Builds what a run needs from the process's services: the shared policy (updated in place by
 * the embedded learner's hot swap), an optional fixed challenger, the corpus sampler, the sink.
 */
export function createRunFactory(ctx: AppContext): RunFactory {
  return async ({ runId, config, resume }) => {
    if (config.learner === "embedded" && ctx.config.policyUrl) {
      throw new TrainerSetupError("learner \"embedded\" updates a local model: unset SPICE_POLICY_URL, or use learner \"rollout-only\"");
    }
    const policy = await getPolicy(ctx);
    const challenger = config.challenger_policy ? await fixedChallenger(config.challenger_policy, ctx.config.device) : undefined;
    const docs = config.use_corpus ? await corpusSource(ctx, config, resume?.samplerState ?? null) : null;
    const dir = runDir(ctx.config.dataDir, runId);

    let sink: LearnerSink;
    if (config.learner === "embedded") {
      const modelDir = ctx.config.model ?? ensureModel(ctx.config.dataDir, DEFAULT_LM);
      const swap = policy instanceof TransformersPolicy ? (onnx: Uint8Array) => policy.swapWeights(onnx) : undefined;
      sink = new EmbeddedSink({ modelDir, runDir: dir, learningRate: config.learning_rate, maxGenLength: config.max_new_tokens, swap });
    } else {
      sink = new RolloutFileSink(config.rollout_path ?? join(dir, "groups.jsonl"));
    }
    // The serving policy may hold another run's weights (hot-swapped): an embedded run always
    // starts by swapping in its own (the base model's, or the committed state's). A rollout file
    // is only ever cut back on resume, never on a new run (its path may be shared).
    if (sink.kind === "embedded") await sink.restore(resume?.learnerState ?? null);
    else if (resume) await sink.restore(resume.learnerState);

    const settings = selfPlaySettings(config);
    return {
      sink,
      tied: { corpusHash: docs?.hash ?? null, modelHash: modelHash(ctx) },
      engine: {
        runIteration: (args) => runSelfPlayIteration({ policy, challenger, documents: docs?.source ?? null }, settings, args),
        close: async () => {
          await challenger?.close();
        },
      },
    };
  };
}

/** The engine's view of a trainer configuration. */
export function selfPlaySettings(config: TrainerConfig): SelfPlaySettings {
  return {
    batchDocs: config.batch_docs,
    challengerSamples: config.challenger_samples,
    reasonerRollouts: config.reasoner_rollouts,
    maxAttempts: config.max_attempts,
    taskTypes: config.task_types,
    reward: config.reward,
    useCorpus: config.use_corpus,
    temperature: config.temperature,
    topP: config.top_p,
    maxNewTokens: config.max_new_tokens,
  };
}

/** sha256 of the served model's ONNX file (null for a remote policy): ties a run to its starting weights. */
function modelHash(ctx: AppContext): string | null {
  if (ctx.config.policyUrl) return null;
  const dir = ctx.config.model ?? ensureModel(ctx.config.dataDir, DEFAULT_LM);
  return createHash("sha256").update(readFileSync(join(dir, "onnx", "model.onnx"))).digest("hex");
}
