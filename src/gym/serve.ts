import { createApp } from "../app.ts";
import { createGymApp } from "../app-gym.ts";
import { assertServable, type Config } from "../config.ts";
import type { AppContext } from "../context.ts";
import { exportRunGauges, trainerGauge } from "../metrics.ts";
import { getPolicy } from "../policy/index.ts";
import { OpenAIPolicy } from "../policy/openai.ts";
import type { Policy } from "../policy/types.ts";
import { openContext } from "../server.ts";
import { GymEnvironment } from "./environment.ts";
import type { NemoGymPolicy } from "./nemo-config.ts";
import type { GymSettings } from "./settings.ts";
import { GymStore } from "./store.ts";

export interface GymServeOptions {
  host: string;
  port: number;
  settings: GymSettings;
  newRun?: boolean;
  /** The policy model NeMo-Gym's config names; SPICE_POLICY_URL wins over it. */
  nemoPolicy?: NemoGymPolicy | null;
  /** Also serve the HTTP API (SPICE_HOST:SPICE_PORT) from the same process and state. */
  api?: boolean;
}

export interface RunningGym {
  ctx: AppContext;
  env: GymEnvironment;
  url: string;
  port: number;
  apiUrl: string | null;
  /** Where the K reasoner samples go, in words. */
  policySource: string;
  stop(): Promise<void>;
}

/**
 * The policy of the K reasoner samples: SPICE_POLICY_URL (or SPICE_MODEL, the in-process model) through the
 * policy registry; else the trained model NeMo-Gym's `policy_model` ref names, on its chat endpoint (its vLLM
 * applies the model's chat template), with the model name the config gives.
 */
function policyProvider(
  ctx: AppContext,
  nemo: NemoGymPolicy | null | undefined,
  samples: number,
): { source: string; get: () => Promise<Policy> } {
  if (ctx.config.policyUrl || !nemo) {
    const source = ctx.config.policyUrl ?? `in-process ${ctx.config.model ?? "spice-lm-tiny"}`;
    return { source, get: () => getPolicy(ctx) };
  }
  return {
    source: `${nemo.baseUrl} (${nemo.source})`,
    get: () =>
      ctx.lazy("gym-policy", async () => {
        const policy = new OpenAIPolicy({
          baseUrl: nemo.baseUrl,
          ...(nemo.model ? { model: nemo.model } : {}),
          ...(nemo.apiKey ? { apiKey: nemo.apiKey } : {}),
          endpoint: "chat",
          // Several challenger rows verify at once, each with K concurrent samples.
          concurrency: Math.max(8, samples * 4),
        });
        ctx.onClose(() => policy.close());
        return policy;
      }),
  };
}

export async function startGymServer(config: Config, o: GymServeOptions): Promise<RunningGym> {
  const ctx = openContext(config);
  const store = new GymStore(ctx.db, o.settings, { newRun: o.newRun });
  const provider = policyProvider(ctx, o.nemoPolicy, o.settings.reasoner_samples);
  const env = new GymEnvironment(store, o.settings, provider.get);
  const poolGauge = trainerGauge(ctx.registry, "spice_gym_pool_size", "tasks in the external run's pool");
  poolGauge.set({ run: store.runId }, env.poolSize);
  store.onWindowClosed = (iteration, metrics) => {
    exportRunGauges(ctx.registry, store.runId, iteration, metrics);
    poolGauge.set({ run: store.runId }, env.poolSize);
    ctx.logger.info({ run: store.runId, iteration }, "gym window closed");
  };
  const ticker = setInterval(() => store.closeIfStale(), 1000);
  ticker.unref?.();

  const app = createGymApp(ctx, env);
  const server = Bun.serve({ hostname: o.host, port: o.port, fetch: app.fetch, idleTimeout: 255 });
  const url = `http://${o.host.includes(":") ? `[${o.host}]` : o.host}:${server.port}`;
  let api: ReturnType<typeof Bun.serve> | null = null;
  if (o.api) {
    assertServable(config);
    api = Bun.serve({ hostname: config.host, port: config.port, fetch: createApp(ctx).fetch, idleTimeout: 255 });
  }
  const apiUrl = api ? `http://${config.host}:${api.port}` : null;
  ctx.logger.info(
    { url, api: apiUrl, run: store.runId, resumed: store.resumed, pool: env.poolSize, policy: provider.source },
    "gym environment listening",
  );
  let stopping: Promise<void> | undefined;
  return {
    ctx,
    env,
    url,
    port: server.port!,
    apiUrl,
    policySource: provider.source,
    stop() {
      stopping ??= (async () => {
        clearInterval(ticker);
        await server.stop();
        await api?.stop();
        store.stop();
        await ctx.close();
      })();
      return stopping;
    },
  };
}
