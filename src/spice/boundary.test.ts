import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/**
 * src/spice is the pure method: it may import the verifier and pure libraries, never a policy,
 * the roles, the trainer, storage or a runtime API, so that it runs anywhere the verifier runs.
 */
const SPICE_DIR = import.meta.dir;
const ALLOWED_PACKAGES = new Set(["@cortex-js/compute-engine", "zod"]);
const IMPORT = /(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

describe("src/spice is the pure method", () => {
  test("imports only ./, ../verify/ and pure packages; uses no runtime global", () => {
    const files = readdirSync(SPICE_DIR).filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"));
    expect(files.length).toBeGreaterThan(5);
    for (const file of files) {
      const source = readFileSync(join(SPICE_DIR, file), "utf8");
      for (const m of source.matchAll(IMPORT)) {
        const spec = m[1] ?? m[2]!;
        const local = spec.startsWith("./") && !spec.includes("/..");
        const ok = local || spec.startsWith("../verify/") || ALLOWED_PACKAGES.has(spec);
        expect(ok, `${file} imports ${spec}`).toBe(true);
      }
      expect(/\b(?:process|Bun|require|__dirname)\b\s*[.(]/.test(source), `${file} uses a runtime global`).toBe(false);
    }
  });
});
