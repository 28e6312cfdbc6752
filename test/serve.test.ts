import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { REPO_ROOT, tempDir, waitForUrl } from "./helpers.ts";

const CLI = join(REPO_ROOT, "src/cli/main.ts");

function spice(args: string[], env: Record<string, string> = {}) {
  return Bun.spawn(["bun", CLI, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, SPICE_LOG_LEVEL: "warn", ...env },
    stdout: "pipe",
    stderr: "pipe",
  });
}

async function runToEnd(args: string[], env: Record<string, string> = {}) {
  const p = spice(args, env);
  // A command expected to exit must not hang the suite if it starts serving instead.
  const guard = setTimeout(() => p.kill("SIGKILL"), 30_000);
  void p.exited.then(() => clearTimeout(guard));
  const [stdout, stderr, code] = await Promise.all([
    new Response(p.stdout).text(),
    new Response(p.stderr).text(),
    p.exited,
  ]);
  return { stdout, stderr, code };
}

describe("spice serve (real process, loopback HTTP)", () => {
  test("serves /healthz on an ephemeral port and exits 0 on SIGTERM", async () => {
    const t = tempDir();
    const p = spice(["serve", "--port", "0", "--no-warmup"], { SPICE_DATA_DIR: t.dir });
    try {
      const url = await waitForUrl(p.stderr);
      const res = await fetch(`${url}/healthz`);
      expect(res.status).toBe(200);
      expect(((await res.json()) as { status: string }).status).toBe("ok");
      p.kill("SIGTERM");
      expect(await p.exited).toBe(0);
    } finally {
      p.kill("SIGKILL");
      t.cleanup();
    }
  });

  test("refuses a non-loopback host without a token (exit 2, one line)", async () => {
    const r = await runToEnd(["serve", "--host", "0.0.0.0", "--no-warmup"]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain("SPICE_API_TOKEN");
  });

  test("a low-variety SPICE_API_TOKEN is refused at start-up with the reason (exit 2, one line)", async () => {
    const r = await runToEnd(["serve", "--no-warmup"], { SPICE_API_TOKEN: "a".repeat(32) });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain("SPICE_API_TOKEN / --api-token");
    expect(r.stderr).toContain("one character repeated");
    expect(r.stderr).not.toContain("a".repeat(32));
  });

  test("a bad setting exits 2 naming it", async () => {
    const r = await runToEnd(["serve", "--no-warmup"], { SPICE_PORT: "not-a-port" });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("SPICE_PORT / --port");
  });

  test("an unknown flag exits 2 with one clear line; --help exits 0", async () => {
    const bad = await runToEnd(["serve", "--frobnicate"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split("\n")).toHaveLength(1);
    expect(bad.stderr).toContain("--frobnicate");
    const help = await runToEnd(["serve", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Usage: spice serve");
    const unknown = await runToEnd(["no-such-command"]);
    expect(unknown.code).toBe(2);
  });
});
