// Must stay the first import: it configures zod before any schema is built.
import "./jitless.ts";
import { createEdgeApp } from "../app-edge.ts";
import { ConfigError } from "../config.ts";
import { PROBLEM_CONTENT_TYPE, problemBody } from "../problem.ts";
import { type Bindings, bindingsOf, processBindings, readEdgeSettings } from "./config.ts";

/**
 * The entry of `bun run build:edge` (dist/edge/spice-edge.js): one ES module whose default export is
 * `{ fetch(request, env?) }`, the shape Cloudflare Workers, `deno serve` and @hono/node-server all call.
 * Settings come from the Workers `env` bindings when it carries SPICE_* names, else from the process
 * environment (Deno.env, process.env). The app is built on the first request and kept while the settings
 * stay the same; a bad setting answers every request with a 500 problem naming it. docs/edge.md.
 */

type Handler = (request: Request) => Response | Promise<Response>;

let cached: { key: string; handler: Handler } | null = null;
let fromProcess: Bindings | null = null;

function misconfigured(message: string): Handler {
  console.error(
    JSON.stringify({ level: 50, time: Date.now(), svc: "spice-edge", msg: "misconfigured", detail: message }),
  );
  return (request) =>
    new Response(
      JSON.stringify(problemBody(500, "Misconfigured", message, { instance: new URL(request.url).pathname })),
      { status: 500, headers: { "content-type": PROBLEM_CONTENT_TYPE } },
    );
}

function build(bindings: Bindings): Handler {
  try {
    const app = createEdgeApp(readEdgeSettings(bindings));
    return (request) => app.fetch(request);
  } catch (err) {
    if (err instanceof ConfigError) return misconfigured(err.message);
    throw err;
  }
}

function handlerFor(env: unknown): Handler {
  let bindings = bindingsOf(env);
  if (!bindings) {
    try {
      fromProcess ??= processBindings();
    } catch (err) {
      if (err instanceof ConfigError) return misconfigured(err.message);
      throw err;
    }
    bindings = fromProcess;
  }
  const key = JSON.stringify(bindings);
  if (cached?.key !== key) cached = { key, handler: build(bindings) };
  return cached.handler;
}

export default {
  fetch(request: Request, env?: unknown): Response | Promise<Response> {
    return handlerFor(env)(request);
  },
};

export { createEdgeApp, readEdgeSettings };
