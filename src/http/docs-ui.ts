import { dirname, join } from "node:path";
import type { OpenAPIHono } from "@hono/zod-openapi";
import { assetResponse, fileAsset, makeAsset } from "./assets.ts";

/**
 * The API reference at /docs: Swagger UI (swagger-ui-dist, pinned) over /openapi.json, every asset
 * served from node_modules by this process (no CDN, no validator badge, no outside request). It
 * resolves every $ref, shows each parameter's type, default and enum and each route's example, and its
 * "Try it out" calls this server (with the bearer token from "Authorize" when one is set).
 */
const DIST = dirname(Bun.resolveSync("swagger-ui-dist/package.json", import.meta.dir));

const page = (title: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${title} — API reference</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
<style>body{margin:0}.topbar{display:none}.swagger-ui .info{margin:24px 0}</style>
</head><body>
<div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/assets/init.js"></script>
</body></html>`;

const INIT = `window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  validatorUrl: null,
  tryItOutEnabled: false,
  displayRequestDuration: true,
  defaultModelsExpandDepth: 1,
  defaultModelExpandDepth: 3,
  docExpansion: "list",
  showExtensions: true,
  showCommonExtensions: true,
  persistAuthorization: false,
});`;

export function mountDocsUi(app: OpenAPIHono, title: string): void {
  const html = makeAsset(page(title), "text/html; charset=utf-8");
  const init = makeAsset(INIT, "text/javascript; charset=utf-8");
  app.get("/docs", (c) => assetResponse(c, html, "no-cache"));
  app.get("/docs/assets/init.js", (c) => assetResponse(c, init));
  app.get("/docs/assets/swagger-ui.css", async (c) =>
    assetResponse(c, await fileAsset(join(DIST, "swagger-ui.css"), "text/css; charset=utf-8")),
  );
  app.get("/docs/assets/swagger-ui-bundle.js", async (c) =>
    assetResponse(c, await fileAsset(join(DIST, "swagger-ui-bundle.js"), "text/javascript; charset=utf-8")),
  );
}
