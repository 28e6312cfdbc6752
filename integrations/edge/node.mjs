#!/usr/bin/env node
/**
 * The SPICE edge build on Node (docs/edge.md), served by @hono/node-server:
 *   bun run build:edge && node integrations/edge/node.mjs
 * SPICE_HOST (default 127.0.0.1) and SPICE_PORT (default 8787, 0 = any free port) choose where it listens;
 * SPICE_EDGE_MODULE names another copy of the built module. The module reads every other SPICE_* setting from
 * process.env itself. As `spice serve` does, it refuses a non-loopback host without SPICE_API_TOKEN.
 */
import { resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { serve } from "@hono/node-server";

const modulePath = resolve(
  process.env.SPICE_EDGE_MODULE ?? fileURLToPath(new URL("../../dist/edge/spice-edge.js", import.meta.url)),
);
const hostname = process.env.SPICE_HOST || "127.0.0.1";
const port = Number(process.env.SPICE_PORT || 8787);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`invalid setting SPICE_PORT: ${process.env.SPICE_PORT}`);
  process.exit(2);
}
const loopback = /^(127\.\d+\.\d+\.\d+|::1|\[::1\]|localhost)$/.test(hostname);
if (!loopback && !process.env.SPICE_API_TOKEN) {
  console.error(`refusing to listen on non-loopback host ${hostname} without SPICE_API_TOKEN`);
  process.exit(2);
}

let worker;
try {
  worker = (await import(pathToFileURL(modulePath).href)).default;
} catch (err) {
  console.error(`cannot load the edge module ${modulePath} (run \`bun run build:edge\` first): ${err.message}`);
  process.exit(2);
}

/**
 * A request whose body the app answered without reading (413 over SPICE_MAX_BODY, 401 before the body) gets
 * `Connection: close`: Node would otherwise try to drain the rest for a while and then reset the socket, which a
 * client that stopped uploading on the early answer may already be reusing for its next request.
 */
async function fetchClosingUnread(request, env) {
  const response = await worker.fetch(request, env);
  if (!request.body || request.bodyUsed) return response;
  const headers = new Headers(response.headers);
  headers.set("connection", "close");
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

const server = serve({ fetch: fetchClosingUnread, hostname, port }, (info) => {
  console.log(`spice edge (node) listening on http://${hostname}:${info.port}`);
});
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
