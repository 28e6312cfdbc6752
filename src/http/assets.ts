import type { Context } from "hono";

/** A static asset held in memory, with its gzip form made once: what /docs and the dashboard serve. */
export interface Asset {
  body: Uint8Array;
  gzip: Uint8Array;
  type: string;
  etag: string;
}

export function makeAsset(body: Uint8Array | string, type: string): Asset {
  const bytes = typeof body === "string" ? new TextEncoder().encode(body) : body;
  const gzip = Bun.gzipSync(bytes as Uint8Array<ArrayBuffer>, { level: 6 });
  return { body: bytes, gzip, type, etag: `"${Bun.hash(bytes).toString(36)}"` };
}

const files = new Map<string, Promise<Asset>>();

/** A file (e.g. from node_modules) as an asset, read once per process. */
export function fileAsset(path: string, type: string): Promise<Asset> {
  let a = files.get(path);
  if (!a) {
    a = Bun.file(path)
      .bytes()
      .then((b) => makeAsset(b, type));
    files.set(path, a);
  }
  return a;
}

/** Answer an asset: gzip when the client takes it, 304 on a matching ETag, cached by the browser for a day. */
export function assetResponse(c: Context, a: Asset, cache = "public, max-age=86400"): Response {
  const headers: Record<string, string> = {
    "content-type": a.type,
    etag: a.etag,
    "cache-control": cache,
    vary: "accept-encoding",
  };
  if (c.req.header("if-none-match") === a.etag) return new Response(null, { status: 304, headers });
  const gz = /\bgzip\b/.test(c.req.header("accept-encoding") ?? "");
  if (gz) headers["content-encoding"] = "gzip";
  return new Response((gz ? a.gzip : a.body) as Uint8Array<ArrayBuffer>, { status: 200, headers });
}
