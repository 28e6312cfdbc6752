/**
 * The built edge module served by each runtime on loopback, for the edge tests and bench/edge.ts: workerd
 * through miniflare (integrations/edge/workerd.ts, with the committed wrangler.toml), Deno (`deno serve`, the
 * npm `deno` package's binary) and Node (integrations/edge/node.mjs, @hono/node-server). The module is built
 * once per process.
 */
import { existsSync, readdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { startWorkerd } from "../../integrations/edge/workerd.ts";
import { buildEdge, type EdgeBuild } from "../../scripts/build-edge.ts";
import { DENO_ALLOW_ENV } from "../../src/edge/config.ts";
import { REPO_ROOT } from "../helpers.ts";

export const RUNTIMES = ["workerd", "deno", "node"] as const;
export type Runtime = (typeof RUNTIMES)[number];

export interface EdgeServer {
  runtime: Runtime;
  url: string;
  stop(): Promise<void>;
}

let built: Promise<EdgeBuild> | null = null;

/** Where this process builds: dist/edge-test/<pid> (git-ignored), so concurrent runs do not clobber each other. */
const BUILD_ROOT = join(REPO_ROOT, "dist/edge-test");

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: string }).code === "EPERM";
  }
};

/**
 * The edge module, built on first call and shared by every test file of the run. bun test fires no exit event
 * to clean up after, so each build first removes the builds of processes that have ended.
 */
export function edgeModule(): Promise<EdgeBuild> {
  if (!built) {
    if (existsSync(BUILD_ROOT)) {
      for (const name of readdirSync(BUILD_ROOT)) {
        if (/^\d+$/.test(name) && !alive(Number(name)))
          rmSync(join(BUILD_ROOT, name), { recursive: true, force: true });
      }
    }
    built = buildEdge({ outdir: join(BUILD_ROOT, String(process.pid)) });
  }
  return built;
}

/** The Deno binary of the npm package (its first run through bin.cjs puts it in place: the postinstall is blocked). */
export function denoBinary(): string {
  const exe = join(REPO_ROOT, "node_modules/deno/deno");
  if (!existsSync(exe)) {
    const r = Bun.spawnSync(["node", join(REPO_ROOT, "node_modules/deno/bin.cjs"), "--version"], { stderr: "pipe" });
    if (r.exitCode !== 0 || !existsSync(exe)) throw new Error(`cannot install the deno binary: ${r.stderr}`);
  }
  return exe;
}

/** Reads a child's output until `pattern` matches a line, then keeps draining it (the last lines kept for errors). */
async function waitForLine(
  proc: Bun.Subprocess<"ignore", "pipe", "pipe">,
  pattern: RegExp,
  what: string,
  timeoutMs = 90_000,
): Promise<RegExpMatchArray> {
  let tail = "";
  let resolveMatch!: (m: RegExpMatchArray) => void;
  const matched = new Promise<RegExpMatchArray>((r) => (resolveMatch = r));
  const drain = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      tail = (tail + decoder.decode(chunk, { stream: true })).slice(-4000);
      const m = tail.match(pattern);
      if (m) resolveMatch(m);
    }
  };
  void drain(proc.stdout);
  void drain(proc.stderr);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const failed = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not start in ${timeoutMs} ms:\n${tail}`)), timeoutMs);
    void proc.exited.then((code) => reject(new Error(`${what} exited with ${code} before listening:\n${tail}`)));
  });
  try {
    return await Promise.race([matched, failed]);
  } finally {
    clearTimeout(timer);
  }
}

async function stopProcess(proc: Bun.Subprocess): Promise<void> {
  proc.kill("SIGTERM");
  const exited = await Promise.race([proc.exited.then(() => true), Bun.sleep(5000).then(() => false)]);
  if (!exited) {
    proc.kill("SIGKILL");
    await proc.exited;
  }
}

/** The process environment without SPICE_* settings, so the caller's `bindings` are the only ones. */
function cleanEnv(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("SPICE_")) env[k] = v;
  return { ...env, NO_COLOR: "1", ...extra };
}

/** Serves `module` on `runtime` at 127.0.0.1 on a free port, with these SPICE_* settings. */
export async function startEdge(
  runtime: Runtime,
  module: string,
  bindings: Record<string, string>,
): Promise<EdgeServer> {
  if (runtime === "workerd") {
    const s = await startWorkerd({ module, bindings, port: 0 });
    return { runtime, url: s.url, stop: s.stop };
  }
  if (runtime === "deno") {
    const proc = Bun.spawn(
      [
        denoBinary(),
        "serve",
        "--allow-net",
        `--allow-env=${DENO_ALLOW_ENV}`,
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        module,
      ],
      { cwd: dirname(module), env: cleanEnv(bindings), stdin: "ignore", stdout: "pipe", stderr: "pipe" },
    );
    const m = await waitForLine(proc, /Listening on (http:\/\/[\d.]+:\d+)/, "deno serve");
    return { runtime, url: m[1]!, stop: () => stopProcess(proc) };
  }
  const proc = Bun.spawn(["node", join(REPO_ROOT, "integrations/edge/node.mjs")], {
    cwd: REPO_ROOT,
    env: cleanEnv({ ...bindings, SPICE_EDGE_MODULE: module, SPICE_PORT: "0" }),
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const m = await waitForLine(proc, /listening on (http:\/\/[\d.]+:\d+)/, "node integrations/edge/node.mjs");
  return { runtime, url: m[1]!, stop: () => stopProcess(proc) };
}
