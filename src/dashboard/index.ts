import { join } from "node:path";
import type { OpenAPIHono } from "@hono/zod-openapi";
import { type Asset, assetResponse, makeAsset } from "../http/assets.ts";

/**
 * The dashboard at `/` and `/dashboard`: one HTML page, and its script and stylesheet bundled by Bun's
 * bundler from `src/dashboard/client/` (uPlot from node_modules included) the first time they are asked
 * for, then held in memory. Nothing is fetched from anywhere but this server; the page reads the same
 * /v1 routes as any client (with the bearer token it asks for when one is set).
 */
const CLIENT_ENTRY = join(import.meta.dir, "client", "main.ts");

export const DASHBOARD_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>SPICE dashboard</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/dashboard/app.css">
</head><body>
<div id="app"><p class="loading">Loading the SPICE dashboard…</p></div>
<script type="module" src="/dashboard/app.js"></script>
</body></html>`;

let bundled: Promise<{ js: Asset; css: Asset }> | undefined;

/** The client bundle (minified JS and CSS), built once per process. */
export function dashboardBundle(): Promise<{ js: Asset; css: Asset }> {
  bundled ??= (async () => {
    const out = await Bun.build({ entrypoints: [CLIENT_ENTRY], target: "browser", minify: true, format: "esm" });
    if (!out.success) throw new AggregateError(out.logs, "the dashboard bundle did not build");
    const js = out.outputs.find((o) => o.path.endsWith(".js"));
    const css = out.outputs.find((o) => o.path.endsWith(".css"));
    if (!js || !css) throw new Error("the dashboard bundle lacks its script or stylesheet");
    return {
      js: makeAsset(await js.text(), "text/javascript; charset=utf-8"),
      css: makeAsset(await css.text(), "text/css; charset=utf-8"),
    };
  })();
  bundled.catch(() => {
    bundled = undefined;
  });
  return bundled;
}

export function mountDashboard(app: OpenAPIHono): void {
  const html = makeAsset(DASHBOARD_HTML, "text/html; charset=utf-8");
  const page = (c: Parameters<typeof assetResponse>[0]) => assetResponse(c, html, "no-cache");
  app.get("/", page);
  app.get("/dashboard", page);
  app.get("/dashboard/app.js", async (c) => assetResponse(c, (await dashboardBundle()).js, "no-cache"));
  app.get("/dashboard/app.css", async (c) => assetResponse(c, (await dashboardBundle()).css, "no-cache"));
}
