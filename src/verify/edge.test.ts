import { describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { verify } from "./index.ts";

const VERIFY_DIR = import.meta.dir;
// zod validates rows at the surfaces (rows.ts); it is plain JavaScript too.
const ALLOWED_PACKAGES = new Set(["@cortex-js/compute-engine/latex-syntax", "zod"]);

const PROBES: [string, string, string, boolean][] = [
  ["\\boxed{(x-2)^2}", "x^2-4x+4", "Expression", true],
  ["\\boxed{3^{3^{3^{2}}}}", "3^{19683}", "Integer", true],
  ["The answer is (B).", "B", "MCQ", true],
  ["\\boxed{the Danube}", "Danube", "String", true],
  ["\\boxed{[2,5)}", "[2,5]", "Expression", false],
];

describe("edge-safe: src/verify runs without Node or Bun APIs", () => {
  test("no node:/bun: imports, only relative modules and the LaTeX parser", () => {
    const files = readdirSync(VERIFY_DIR).filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"));
    expect(files.length).toBeGreaterThan(5);
    for (const file of files) {
      const source = readFileSync(join(VERIFY_DIR, file), "utf8");
      const specifiers = [
        ...source.matchAll(/(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g),
      ].map((m) => m[1] ?? m[2]!);
      for (const spec of specifiers) {
        const ok = spec.startsWith("./") || ALLOWED_PACKAGES.has(spec);
        expect(ok, `${file} imports ${spec}`).toBe(true);
      }
      expect(/\b(?:process|Bun|require|__dirname)\b\s*[.(]/.test(source), `${file} uses a runtime global`).toBe(false);
    }
  });

  test("the same verdicts bundled for and run under plain Node", async () => {
    const dir = mkdtempSync(join(tmpdir(), "spice-verify-node-"));
    try {
      const entry = join(dir, "entry.ts");
      writeFileSync(
        entry,
        `import { verify } from ${JSON.stringify(join(VERIFY_DIR, "index.ts"))};\n` +
          `const probes = ${JSON.stringify(PROBES)};\n` +
          "console.log(JSON.stringify(probes.map(([r, g, t]) => verify(r, g, t).correct)));\n",
      );
      const built = await Bun.build({ entrypoints: [entry], outdir: dir, target: "node", naming: "bundle.mjs" });
      expect(built.success).toBe(true);
      const node = Bun.spawnSync(["node", join(dir, "bundle.mjs")], { stdout: "pipe", stderr: "pipe" });
      expect(node.stderr.toString()).toBe("");
      const underNode = JSON.parse(node.stdout.toString()) as boolean[];
      expect(underNode).toEqual(PROBES.map((p) => p[3]));
      expect(PROBES.map(([r, g, t]) => verify(r, g, t).correct)).toEqual(underNode);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
