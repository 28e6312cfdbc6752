/**
 * The SPICE edge build under workerd, Cloudflare's runtime, on this machine: miniflare runs the built module
 * with this folder's wrangler.toml (main, compatibility date and flags, [vars]). `bun run edge:workerd` after
 * `bun run build:edge`; the tests and bench/edge.ts start it through `startWorkerd`. SPICE_HOST / SPICE_PORT
 * (default 127.0.0.1:8787) choose where it listens; the process's SPICE_* variables override the [vars].
 */
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { Miniflare } from "miniflare";

export const WRANGLER_TOML = join(import.meta.dir, "wrangler.toml");

interface WranglerConfig {
  main: string;
  compatibility_date: string;
  compatibility_flags?: string[];
  vars?: Record<string, string>;
}

export function wranglerConfig(): WranglerConfig {
  return Bun.TOML.parse(readFileSync(WRANGLER_TOML, "utf8")) as WranglerConfig;
}

export interface WorkerdServer {
  /** The origin, e.g. http://127.0.0.1:8787 */
  url: string;
  stop(): Promise<void>;
}

export async function startWorkerd(
  o: { module?: string; bindings?: Record<string, string>; host?: string; port?: number } = {},
): Promise<WorkerdServer> {
  const cfg = wranglerConfig();
  const scriptPath = o.module ?? resolve(dirname(WRANGLER_TOML), cfg.main);
  const mf = new Miniflare({
    modules: true,
    scriptPath,
    // Module names are paths under this root; workerd refuses a name that climbs out of it with "..".
    modulesRoot: dirname(scriptPath),
    compatibilityDate: cfg.compatibility_date,
    compatibilityFlags: cfg.compatibility_flags ?? [],
    bindings: { ...cfg.vars, ...o.bindings },
    host: o.host ?? "127.0.0.1",
    port: o.port ?? 8787,
  });
  const url = await mf.ready;
  return { url: url.origin, stop: () => mf.dispose() };
}

if (import.meta.main) {
  const bindings = Object.fromEntries(
    Object.entries(process.env).filter((e): e is [string, string] => e[0].startsWith("SPICE_") && e[1] !== undefined),
  );
  const port = Number(process.env.SPICE_PORT ?? 8787);
  const server = await startWorkerd({ bindings, host: process.env.SPICE_HOST, port });
  console.log(`spice edge (workerd) listening on ${server.url}`);
  for (const signal of ["SIGINT", "SIGTERM"] as const)
    process.on(signal, () => void server.stop().then(() => process.exit(0)));
}
