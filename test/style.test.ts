import { expect, test } from "bun:test";
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT, tempDir } from "./helpers.ts";

/** The style is kept by Biome (biome.json), run by `.ci/run` as `bun run lint`; these show the check can fail. */
const biome = (cwd: string) =>
  Bun.spawnSync([join(REPO_ROOT, "node_modules/.bin/biome"), "ci", "--colors=off", "."], { cwd, stderr: "pipe" });

test("the repository passes the format and lint check", () => {
  const r = biome(REPO_ROOT);
  expect(r.stderr.toString() + r.stdout.toString()).not.toContain("×");
  expect(r.exitCode).toBe(0);
}, 60_000);

test("single quotes or an explicit any fail the check", () => {
  const { dir, cleanup } = tempDir();
  mkdirSync(join(dir, "src"));
  copyFileSync(join(REPO_ROOT, "biome.json"), join(dir, "biome.json"));
  writeFileSync(join(dir, ".gitignore"), "node_modules\n");
  writeFileSync(join(dir, "src/ok.ts"), 'export const ok = "fine";\n');
  expect(biome(dir).exitCode).toBe(0);
  writeFileSync(join(dir, "src/bad.ts"), "export const bad = 'quoted';\nexport const x: any = 1;\n");
  const r = biome(dir);
  const out = r.stderr.toString() + r.stdout.toString();
  expect(r.exitCode).not.toBe(0);
  expect(out).toContain("src/bad.ts format");
  expect(out).toContain("noExplicitAny");
  cleanup();
}, 60_000);
