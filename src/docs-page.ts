// biome-ignore-all lint/suspicious/noExplicitAny: walks an OpenAPI document as untyped JSON.
/**
 * The API reference page, rendered on the server from the OpenAPI document: no CDN and no
 * client-side script, so it works offline and behind strict proxies.
 */
type Doc = {
  info: { title: string; version: string; description?: string };
  paths?: Record<string, Record<string, any>>;
};

const esc = (s: unknown) =>
  String(s).replace(/[&<>"']/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[ch]!);

const METHODS = ["get", "post", "put", "patch", "delete"];

function schemaBlock(schema: unknown): string {
  return schema ? `<pre>${esc(JSON.stringify(schema, null, 2))}</pre>` : "";
}

export function renderDocsPage(doc: Doc): string {
  const ops: string[] = [];
  const toc: string[] = [];
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const anchor = `${method}-${path}`.replace(/[^a-zA-Z0-9]+/g, "-");
      toc.push(
        `<li><a href="#${anchor}"><code>${method.toUpperCase()} ${esc(path)}</code></a> ${esc(op.summary ?? "")}</li>`,
      );
      const params = (op.parameters ?? [])
        .map(
          (p: any) =>
            `<li><code>${esc(p.name)}</code> (${esc(p.in)}${p.required ? ", required" : ""}) ${esc(p.description ?? "")}</li>`,
        )
        .join("");
      const body = op.requestBody?.content?.["application/json"]?.schema;
      const responses = Object.entries(op.responses ?? {})
        .map(([status, r]: [string, any]) => {
          const content = r.content ? (Object.values(r.content)[0] as any) : undefined;
          return `<li><b>${esc(status)}</b> ${esc(r.description ?? "")}${schemaBlock(content?.schema)}</li>`;
        })
        .join("");
      ops.push(`<section id="${anchor}"><h2><code>${method.toUpperCase()} ${esc(path)}</code></h2>
<p>${esc(op.summary ?? "")}</p>${op.description ? `<p>${esc(op.description)}</p>` : ""}
${params ? `<h3>Parameters</h3><ul>${params}</ul>` : ""}
${body ? `<h3>Request body</h3>${schemaBlock(body)}` : ""}
<h3>Responses</h3><ul>${responses}</ul></section>`);
    }
  }
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(doc.info.title)} — reference</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:980px;margin:2rem auto;padding:0 1rem;color:#1d232a}
pre{background:#f4f6f8;padding:.6rem;overflow:auto;font-size:12px}section{border-top:1px solid #dde;margin-top:1.5rem}
code{background:#f4f6f8;padding:0 .2rem}</style></head><body>
<h1>${esc(doc.info.title)} <small>${esc(doc.info.version)}</small></h1>
<p>${esc(doc.info.description ?? "")}</p>
<p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1). Errors are <code>application/problem+json</code> (RFC 9457).</p>
<h2>Endpoints</h2><ul>${toc.join("")}</ul>${ops.join("\n")}</body></html>`;
}
