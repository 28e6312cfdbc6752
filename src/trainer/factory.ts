import { join } from "node:path";
import type { AppContext } from "../context.ts";
import { getCorpus } from "../corpus/index.ts";
import { PolicySpecError } from "../errors.ts";
import { getPolicy, localModelFolder, openPolicy, type Policy } from "../policy/index.ts";
import { runSelfPlayIteration, type DocumentSource, type SelfPlaySettings } from "../selfplay/iteration.ts";
import type { TrainerConfig } from "./config.ts";
import { EmbeddedSink } from "./embedded-sink.ts";
import type { RunFactory } from "./runner.ts";
import { loadOracle } from "./oracle.ts";
import { resolveRolloutPath, TrainerSetupError } from "./setup.ts";
import { RolloutFileSink, type LearnerSink } from "./sink.ts";

export { TrainerSetupError } from "./setup.ts";

export function runDir(dataDir: string, runId: string): string {
  return join(dataDir, "runs", runId);
}

/**
 * A fixed challenger (docs/method.md §3.5 `challenger_policy`): any spec the policy registry opens, or a
 * server object with its own model, endpoint and key (docs/openai.md#per-role-policies). One it cannot
 * open, or whose model fails to load, is a setup error naming the setting, never an internal one.
 */
async function fixedChallenger(
  spec: NonNullable<TrainerConfig["challenger_policy"]>,
  ctx: AppContext,
  env: Record<string, string | undefined> = process.env,
): Promise<Policy> {
  const { dataDir, device } = ctx.config;
  let opened: Promise<Policy>;
  if (typeof spec === "string") opened = openPolicy(spec, { dataDir, device, registry: ctx.registry });
  else {
    const apiKey = spec.api_key_env === undefined ? undefined : env[spec.api_key_env];
    if (spec.api_key_env !== undefined && !apiKey)
      throw TrainerSetupError.of(
        "challenger_policy.api_key_env",
        `challenger_policy.api_key_env: the environment variable ${spec.api_key_env} is not set`,
      );
    const remote = {
      ...(spec.model ? { model: spec.model } : {}),
      ...(spec.endpoint ? { endpoint: spec.endpoint } : {}),
      ...(apiKey ? { apiKey } : {}),
    };
    opened = openPolicy(spec.url, { dataDir, device, remote, registry: ctx.registry });
  }
  const named = typeof spec === "string" ? spec : spec.url;
  return opened.catch((err: unknown) => {
    const why =
      err instanceof PolicySpecError ? err.message : `could not load "${named}": ${(err as Error)?.message ?? err}`;
    throw new TrainerSetupError(`challenger_policy: ${why}`, [{ field: "challenger_policy", message: why }]);
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
    throw TrainerSetupError.of(
      "use_corpus",
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
      throw TrainerSetupError.of(
        "learner",
        'learner "embedded" updates a local model: unset SPICE_POLICY_URL, or use learner "rollout-only"',
      );
    }
    const policy = await getPolicy(ctx);
    const challenger = config.challenger_policy ? await fixedChallenger(config.challenger_policy, ctx) : undefined;
    const docs = config.use_corpus ? await corpusSource(ctx, config, resume?.samplerState ?? null) : null;
    if (config.oracle_tasks && !docs) throw new TrainerSetupError("oracle_tasks needs the corpus (use_corpus true)");
    const oracle = config.oracle_tasks ? await loadOracle(config.oracle_tasks) : undefined;
    const dir = runDir(ctx.config.dataDir, runId);

    let sink: LearnerSink;
    if (config.learner === "embedded") {
      const modelDir = localModelFolder(ctx.config);
      if (!modelDir)
        throw TrainerSetupError.of("learner", 'learner "embedded" needs a local model folder (SPICE_MODEL)');
      const swap = policy.swapWeights?.bind(policy);
      sink = new EmbeddedSink({
        modelDir,
        runDir: dir,
        learningRate: config.learning_rate,
        maxGenLength: config.max_new_tokens,
        minibatch: config.learner_minibatch,
        epochs: config.learner_epochs,
        clipEps: config.clip_eps,
        warmupSteps: config.lr_warmup_steps,
        positiveOnly: config.positive_advantages_only,
        swap,
      });
    } else {
      // A configured path is confined to <data-dir>/rollouts/ (checked again here: a resumed run's stored config too).
      const path =
        config.rollout_path === null
          ? join(dir, "groups.jsonl")
          : resolveRolloutPath(ctx.config.dataDir, config.rollout_path);
      sink = new RolloutFileSink(path, runId);
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
