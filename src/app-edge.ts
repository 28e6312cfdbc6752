import { mountSharedRoutes } from "../routes/shared.ts";
import { EDGE_ENV, type EdgeSettings } from "./edge/config.ts";
import { consoleLogger } from "./edge/log.ts";
import { NoCorpus, PolicySpecError } from "./errors.ts";
import { createApiShell, installProblemHandling, serveOpenApi } from "./http/app-shell.ts";
import { requestLog } from "./http/middleware/request-log.ts";
import type { LogSink } from "./log.ts";
import { OpenAIPolicy } from "./policy/openai.ts";
import { Readiness } from "./readiness.ts";
import type { RoleServices } from "./roles/calls.ts";

/**
 * The edge build's HTTP surface (docs/edge.md): the shared routes of `spice serve` (routes/shared.ts: verify, the
 * two roles, the OpenRLHF reward, health) in the same shell, with the policy reached over fetch at an
 * OpenAI-compatible URL and no corpus, database or trainer. Web-standard only: `bun run build:edge` bundles it
 * for Deno, Cloudflare Workers and Node, and fails if anything here reaches a Node or Bun API.
 */

const DESCRIPTION =
  "Challenger, reasoner and verifier endpoints of the SPICE self-play toolkit (edge build: the policy at an " +
  "OpenAI-compatible URL, documents in the request, no corpus or trainer).";

/** The roles on the edge: the OpenAI backend at SPICE_POLICY_URL (opened on first use), inline documents only. */
export function edgeRoleServices(settings: EdgeSettings): RoleServices {
  return {
    async policy() {
      if (!settings.policyUrl)
        throw new PolicySpecError(
          `${EDGE_ENV.policyUrl} is not set: the edge build reaches its policy at an OpenAI-compatible URL`,
        );
      // One client per request: Workers forbid a request from awaiting I/O (the shared model lookup, a pool's
      // in-flight fetch) that another request started.
      return new OpenAIPolicy({
        baseUrl: settings.policyUrl,
        model: settings.policyModel,
        apiKey: settings.policyApiKey,
        endpoint: settings.policyEndpoint,
        // No background timers on an edge runtime: a replica taken out is probed again on demand only.
        probeIntervalMs: 0,
      });
    },
    async document(source) {
      if (source.kind === "inline") return { id: null, text: source.text };
      const given = source.kind === "segment" ? "`doc_id`" : "`sample: true`";
      throw new NoCorpus(`this server has no corpus (edge build): send the text in \`document\` instead of ${given}`);
    },
  };
}

export function createEdgeApp(settings: EdgeSettings, logger: LogSink = consoleLogger(settings.logLevel)) {
  const app = createApiShell({ maxBody: settings.maxBody, apiToken: settings.apiToken, before: [requestLog(logger)] });
  // Nothing to wait for at start-up: /readyz is ready as soon as /healthz answers.
  mountSharedRoutes(app, { roles: edgeRoleServices(settings), logger, readiness: new Readiness() });
  serveOpenApi(app, { apiToken: settings.apiToken, description: DESCRIPTION });
  installProblemHandling(app, { logger });
  return app;
}

export type EdgeApp = ReturnType<typeof createEdgeApp>;
