import { join } from "node:path";
import type { AppContext } from "../context.ts";
import { getCorpus } from "../corpus/index.ts";
import { PolicySpecError, SpiceError } from "../errors.ts";
import { getPolicy, localModelFolder, openPolicy, type Policy } from "../policy/index.ts";
import { runSelfPlayIteration, type DocumentSource, type SelfPlaySettings } from "../selfplay/iteration.ts";
import type { TrainerConfig } from "./config.ts";
import { EmbeddedSink } from "./embedded-sink.ts";
import type { RunFactory } from "./runner.ts";
import { loadOracle } from "./oracle.ts";
import { RolloutFileSink, type LearnerSink } from "./sink.ts";

export class TrainerSetupError extends SpiceError {
  constructor(message: string) {
    super("trainer_setup", message);
  }
}

export function runDir(dataDir: string, runId: string): string {
  return join(dataDir, "runs", runId);
}

/** A fixed challenger (docs/method.md §3.5 `challenger_policy`): any spec the policy registry opens; one it cannot is a setup error. */
async function fixedChallenger(spec: string, { dataDir, device }: AppContext["config"]): Promise<Policy> {
  return openPolicy(spec, { dataDir, device }).catch((err: unknown) => {
    throw err instanceof PolicySpecError ? new TrainerSetupError(`challenger_policy: ${err.message}`) : err;
  });
}

/** The corpus as the trainer's document source: its epoch sampler, resumed from the committed state. */
async function corpusSource(
  ctx: AppContext,
  config: TrainerConfig,
  samplerState: unknown,
): Promise<{ source: DocumentSource; hash: string }> {
  const corpus = await getCorpus(ctx);
  if ((await corpus.stats()).segments === 0) {
    throw new TrainerSetupError(
      "the corpus is empty: ingest documents first (spice corpus ingest), or set use_corpus to false",
    );
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
      throw new TrainerSetupError(
        'learner "embedded" updates a local model: unset SPICE_POLICY_URL, or use learner "rollout-only"',
      );
    }
    const policy = await getPolicy(ctx);
    const challenger = config.challenger_policy
      ? await fixedChallenger(config.challenger_policy, ctx.config)
      : undefined;
    const docs = config.use_corpus ? await corpusSource(ctx, config, resume?.samplerState ?? null) : null;
    if (config.oracle_tasks && !docs) throw new TrainerSetupError("oracle_tasks needs the corpus (use_corpus true)");
    const oracle = config.oracle_tasks ? await loadOracle(config.oracle_tasks) : undefined;
    const dir = runDir(ctx.config.dataDir, runId);

    let sink: LearnerSink;
    if (config.learner === "embedded") {
      const modelDir = localModelFolder(ctx.config);
      if (!modelDir) throw new TrainerSetupError('learner "embedded" needs a local model folder (SPICE_MODEL)');
      const swap = policy.swapWeights?.bind(policy);
      sink = new EmbeddedSink({
        modelDir,
        runDir: dir,
        learningRate: config.learning_rate,
        maxGenLength: config.max_new_tokens,
        minibatch: config.learner_minibatch,
        epochs: config.learner_epochs,
        clipEps: config.clip_eps,
        swap,
      });
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
      // The starting weights' hash, where the backend can see them (a remote server's it cannot).
      tied: { corpusHash: docs?.hash ?? null, modelHash: (await policy.weightsHash?.()) ?? null },
      engine: {
        runIteration: (args) =>
          runSelfPlayIteration(
            { policy, challenger, documents: docs?.source ?? null, ...(oracle ? { oracle } : {}) },
            settings,
            args,
          ),
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
    taskGuard: config.task_guard,
  };
}
