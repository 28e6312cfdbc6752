import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { REPO_ROOT } from "../helpers.ts";

/**
 * Browser tests drive Debian's chromium (`apt-get install -y chromium`) with playwright-core. Where it
 * is missing they are skipped with this message; .ci/run installs it.
 */
export const CHROMIUM = process.env.SPICE_CHROMIUM ?? "/usr/bin/chromium";
export const HAVE_CHROMIUM = existsSync(CHROMIUM);
if (!HAVE_CHROMIUM)
  console.warn(
    `browser tests skipped: no chromium at ${CHROMIUM} (apt-get install -y chromium, or set SPICE_CHROMIUM)`,
  );

export async function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    // Root in a container: no sandbox. The rest keeps the browser itself from calling home.
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-dev-shm-usage",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--disable-default-apps",
    ],
  });
}

/**
 * Every request the page makes, and a guard that aborts (and records) any that would leave loopback:
 * the dashboard and the reference must work with nothing but this server.
 */
export async function loopbackOnly(page: Page): Promise<{ urls: string[]; outside: string[] }> {
  const seen = { urls: [] as string[], outside: [] as string[] };
  await page.route("**/*", (route) => {
    const url = route.request().url();
    seen.urls.push(url);
    const host = url.startsWith("data:") ? "127.0.0.1" : new URL(url).hostname;
    if (host === "127.0.0.1" || host === "localhost") return route.continue();
    seen.outside.push(url);
    return route.abort();
  });
  return seen;
}

/**
 * Where screenshots go: `docs/` when SPICE_UPDATE_SCREENSHOTS=1 (how the committed ones are made),
 * else a scratch folder, so that a plain test run leaves the work tree clean.
 */
export function screenshotDir(scratch: string): string {
  const dir = process.env.SPICE_UPDATE_SCREENSHOTS === "1" ? join(REPO_ROOT, "docs", "screenshots") : scratch;
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Start `spice serve` on an ephemeral loopback port; resolves with its URL once it listens. */
export async function serve(env: Record<string, string>): Promise<{ url: string; proc: ReturnType<typeof Bun.spawn> }> {
  const proc = Bun.spawn(["bun", join(REPO_ROOT, "src/cli/main.ts"), "serve", "--port", "0", "--no-warmup"], {
    env: { ...process.env, SPICE_LOG_LEVEL: "warn", ...env },
    stdout: "ignore",
    stderr: "pipe",
  });
  const reader = proc.stderr.getReader();
  let seen = "";
  while (!/serving on (\S+)/.test(seen)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`server did not start: ${seen}`);
    seen += new TextDecoder().decode(value);
  }
  // Keep draining stderr so the server never blocks on a full pipe.
  void (async () => {
    for (;;) if ((await reader.read().catch(() => ({ done: true }))).done) return;
  })();
  return { url: /serving on (\S+)/.exec(seen)![1]!, proc };
}

export async function until<T>(get: () => T | Promise<T>, ok: (v: T) => boolean, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await get();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`timed out; last: ${JSON.stringify(v)?.slice(0, 500)}`);
    await Bun.sleep(100);
  }
}
