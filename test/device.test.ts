import { expect, test } from "bun:test";
import { join } from "node:path";
import { REPO_ROOT, tempDir } from "./helpers.ts";

// No CUDA provider is installed on these machines: asking for it must give one clear line, not a stack.
test("an unavailable --device is refused with one clear line and exit 1", () => {
  const t = tempDir();
  try {
    const r = Bun.spawnSync(
      ["bun", join(REPO_ROOT, "src/cli/main.ts"), "--device", "cuda", "solve", "What is 2+2?", "--k", "1"],
      {
        env: { ...process.env, SPICE_DATA_DIR: t.dir, SPICE_LOG_LEVEL: "warn" },
      },
    );
    expect(r.exitCode).toBe(1);
    const lines = r.stderr
      .toString()
      .split("\n")
      .filter((l) => l.startsWith("spice:"));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('device "cuda" is not available');
    expect(r.stderr.toString()).not.toContain("    at ");
  } finally {
    t.cleanup();
  }
}, 60_000);
