/**
 * The import boundaries of the layers: verify <- spice <- roles <- selfplay <- trainer <- routes/cli.
 * A lower layer never imports a higher one, the pure method (src/verify/, src/spice/) imports no runtime
 * module, and only the app assembly reaches into routes/. Whole-repo check, so it lives in test/.
 */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { posix } from "node:path";
import { REPO_ROOT } from "./helpers.ts";

const SCANNED_ROOTS = ["src", "routes"];

/**
 * Edges allowed to break a rule, as `importer -> target`; empty since the self-play orchestration left src/spice/
 * (issue 12). An entry that no longer occurs fails the test, so the list can only shrink.
 */
const KNOWN_VIOLATIONS: readonly string[] = [];

interface Violation {
  /** `importer -> target`: the target is a repo-relative path, or the specifier of a package. */
  edge: string;
  rule: string;
}

const under = (path: string, dir: string) => path.startsWith(`${dir}/`);
const RUNTIME_MODULES = new Set(["bun", ...builtinModules]);
const isRuntimeModule = (spec: string) => /^(node|bun):/.test(spec) || RUNTIME_MODULES.has(spec.split("/")[0]!);

/**
 * One rule per layer, applied to a file under `layer`: `allows` sees the repo-relative target of each
 * relative import; runtime modules are checked separately for the pure layers.
 */
const RULES: { layer: string; rule: string; allows: (target: string) => boolean; pure?: boolean }[] = [
  {
    layer: "src/verify",
    rule: "src/verify/ imports only src/verify/",
    allows: (t) => under(t, "src/verify"),
    pure: true,
  },
  {
    layer: "src/spice",
    rule: "src/spice/ imports only src/spice/ and src/verify/",
    allows: (t) => under(t, "src/spice") || under(t, "src/verify"),
    pure: true,
  },
  {
    // The edge build's own files (src/app-edge.ts is checked by `bun run build:edge`, with all it reaches).
    layer: "src/edge",
    rule: "src/edge/ imports no node:/bun: module (web-standard APIs only)",
    allows: () => true,
    pure: true,
  },
  {
    layer: "src/roles",
    rule: "src/roles/ does not import selfplay, trainer, routes or cli",
    allows: (t) => !["src/selfplay", "src/trainer", "routes", "src/cli"].some((d) => under(t, d)),
  },
  {
    layer: "src/selfplay",
    rule: "src/selfplay/ does not import trainer, routes or cli",
    allows: (t) => !["src/trainer", "routes", "src/cli"].some((d) => under(t, d)),
  },
  {
    layer: "src/trainer",
    rule: "src/trainer/ does not import routes or cli",
    allows: (t) => !["routes", "src/cli"].some((d) => under(t, d)),
  },
];

/** Module specifiers of a file: static imports and re-exports (type-only ones too), side-effect and dynamic imports. */
function importSpecifiers(source: string): string[] {
  const patterns = [
    // `import x, { y } from`, `import type { T } from`, `export * from`, `export { a as b } from`, across lines.
    /^[ \t]*(?:import|export)\s+(?:type\s+)?[\w\s{},*$]*?\bfrom\s*(["'])([^"'\n]+)\1/gm,
    /^[ \t]*import\s*(["'])([^"'\n]+)\1/gm,
    /\bimport\(\s*(["'])([^"'\n]+)\1\s*\)/g,
  ];
  return patterns.flatMap((re) => [...source.matchAll(re)].map((m) => m[2]!));
}

/** Every edge of `files` (repo-relative path -> source) that breaks a boundary. */
function checkBoundaries(files: ReadonlyMap<string, string>): Violation[] {
  const violations: Violation[] = [];
  for (const [file, source] of files) {
    for (const spec of importSpecifiers(source)) {
      const relative = spec.startsWith(".");
      const target = relative ? posix.normalize(posix.join(posix.dirname(file), spec)) : spec;
      const edge = `${file} -> ${target}`;
      for (const r of RULES) {
        if (!under(file, r.layer)) continue;
        if (relative && !r.allows(target)) violations.push({ edge, rule: r.rule });
        if (!relative && r.pure && isRuntimeModule(spec)) {
          violations.push({ edge, rule: `${r.layer}/ imports no node:/bun: module (web-standard APIs only)` });
        }
      }
      if (!relative) continue;
      // The app assembles the routes; nothing else in the library knows they exist.
      // The CLI is the other edge: it may share the routes' wire shapes (`routes/*/wire.ts`), its --json output
      // being the same contract as the HTTP bodies.
      const cliWire = under(file, "src/cli") && /^routes\/[^/]+\/wire\.ts$/.test(target);
      if (under(file, "src") && under(target, "routes") && !/^src\/app[^/]*\.ts$/.test(file) && !cliWire) {
        violations.push({ edge, rule: "only src/app*.ts (and src/cli/ for routes/*/wire.ts) imports routes/" });
      }
      if (under(target, "src/cli") && !under(file, "src/cli")) {
        violations.push({ edge, rule: "only src/cli/ imports src/cli/" });
      }
    }
  }
  return violations;
}

/** The non-test .ts files under the scanned roots; tests may cross layers to reach fixtures. */
function repoFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const root of SCANNED_ROOTS) {
    for (const path of new Bun.Glob("**/*.ts").scanSync({ cwd: posix.join(REPO_ROOT, root) })) {
      if (path.endsWith(".test.ts")) continue;
      files.set(`${root}/${path}`, readFileSync(posix.join(REPO_ROOT, root, path), "utf8"));
    }
  }
  return files;
}

describe("import boundaries", () => {
  test("the checker reports a forbidden import in a small fake tree, and only forbidden ones", () => {
    const fake = new Map([
      ["src/verify/a.ts", 'import { b } from "./b.ts";\nimport { draw } from "../prng.ts";\n'],
      ["src/verify/b.ts", 'import { z } from "zod";\nexport const b = 1;\n'],
      ["src/spice/rewards.ts", 'import { verify } from "../verify/a.ts";\nimport { readFileSync } from "node:fs";\n'],
      ["src/spice/selfplay.ts", 'import type {\n  Trainer,\n  State,\n} from "../trainer/runner.ts";\n'],
      ["src/roles/solve.ts", 'import { r } from "../spice/rewards.ts";\nconst m = await import("../cli/main.ts");\n'],
      ["src/selfplay/step.ts", 'export * from "../trainer/record.ts";\nimport "../roles/solve.ts";\n'],
      ["src/trainer/runner.ts", 'import { mountRoutes } from "../../routes/index.ts";\n'],
      ["src/app.ts", 'import { mountRoutes } from "../routes/index.ts";\n'],
      ["src/context.ts", '// import { mountRoutes } from "../routes/index.ts" is what this file must not do\n'],
      ["routes/trainer/index.ts", 'import { runTrain } from "../../src/cli/train.ts";\n'],
    ]);
    expect(checkBoundaries(fake).map((v) => v.edge)).toEqual([
      "src/verify/a.ts -> src/prng.ts",
      "src/spice/rewards.ts -> node:fs",
      "src/spice/selfplay.ts -> src/trainer/runner.ts",
      "src/roles/solve.ts -> src/cli/main.ts",
      "src/roles/solve.ts -> src/cli/main.ts",
      "src/selfplay/step.ts -> src/trainer/record.ts",
      "src/trainer/runner.ts -> routes/index.ts",
      "src/trainer/runner.ts -> routes/index.ts",
      "routes/trainer/index.ts -> src/cli/train.ts",
    ]);
  });

  test("the scan reads the real tree's imports", () => {
    const files = repoFiles();
    expect(files.size).toBeGreaterThan(100);
    expect([...files.values()].flatMap(importSpecifiers).length).toBeGreaterThan(500);
    expect(importSpecifiers(files.get("src/app.ts")!)).toContain("../routes/index.ts");
  });

  test("no import crosses a layer boundary (beyond the known, temporary violations)", () => {
    const found = checkBoundaries(repoFiles());
    const known = new Set(KNOWN_VIOLATIONS);
    const unexpected = found.filter((v) => !known.has(v.edge)).map((v) => `${v.edge} (${v.rule})`);
    expect(unexpected).toEqual([]);
    const stale = KNOWN_VIOLATIONS.filter((edge) => !found.some((v) => v.edge === edge));
    expect(stale, "fixed: remove these from KNOWN_VIOLATIONS").toEqual([]);
  });
});
