import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig, type ConfigFlags } from "../src/config.ts";
import { createContext, type AppContext } from "../src/context.ts";
import { openDb } from "../src/db/client.ts";
import { createLogger } from "../src/log.ts";

/** A fresh temp directory, removed by the returned cleanup. */
export function tempDir(prefix = "spice-test-"): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A real context (SQLite file in a temp data dir) for app and service tests. */
export function testContext(flags: ConfigFlags = {}): AppContext & { dataDir: string } {
  const { dir, cleanup } = tempDir();
  const config = loadConfig({ dataDir: dir, logLevel: "silent", ...flags }, {});
  const db = openDb(join(dir, "spice.sqlite"));
  const ctx = createContext(config, createLogger("silent"), db);
  ctx.onClose(cleanup);
  ctx.onClose(() => db.$client.close());
  return Object.assign(ctx, { dataDir: dir });
}

export const REPO_ROOT = join(import.meta.dir, "..");

/** Read a `spice serve` process's stderr until its "serving on URL" line; the URL. */
export async function waitForUrl(stream: ReadableStream<Uint8Array>, timeoutMs = 30_000): Promise<string> {
  const reader = stream.getReader();
  let seen = "";
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    seen += new TextDecoder().decode(value);
    const m = /serving on (http:\/\/\S+)/.exec(seen);
    if (m) {
      reader.releaseLock();
      return m[1]!;
    }
  }
  throw new Error(`server did not start: ${seen}`);
}
