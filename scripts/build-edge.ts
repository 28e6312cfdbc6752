/**
 * `bun run build:edge`: the edge app (src/edge/worker.ts) as one self-contained ES module,
 * dist/edge/spice-edge.js, for Deno, Cloudflare Workers and Node (docs/edge.md). The build fails when the
 * output imports anything (a `node:`/`bun:` module above all), evaluates code from strings, or when a shim
 * below no longer finds the text it replaces; it prints the module's size. Tests and the bench call
 * `buildEdge()` with their own out dir.
 */
import { mkdirSync, rmSync } from "node:fs";
import { builtinModules } from "node:module";
import { join, resolve } from "node:path";
import type { BunPlugin } from "bun";

const REPO = resolve(import.meta.dir, "..");
export const EDGE_ENTRY = join(REPO, "src/edge/worker.ts");
export const EDGE_FILE = "spice-edge.js";

/**
 * Dependency code the edge must not carry, replaced at build time. Each shim names the files it applies to
 * and must match at least once in the build, so a dependency upgrade that moves the text fails the build
 * instead of silently shipping it.
 */
/**
 * What the shims put where the Function constructor was: declared once at the top of the module (the build's
 * banner), it throws as a runtime that forbids code generation does. A bare identifier, so a shim that lands
 * inside a string literal (a doc string of the engine) leaves valid code.
 */
const NO_CODEGEN = "__spiceNoCodegen";
const NO_CODEGEN_DECL = `function ${NO_CODEGEN}() { throw new EvalError("no code generation in the edge build"); }`;

interface Shim {
  name: string;
  files: RegExp;
  find: RegExp;
  replace: string;
  why: string;
}

export const SHIMS: readonly Shim[] = [
  {
    name: "zod: Function constructor",
    files: /\/node_modules\/zod\/.*\.js$/,
    find: /\bconst F = Function;/g,
    replace: `const F = ${NO_CODEGEN};`,
    why:
      "zod probes `new Function` and compiles parsers with it; jitless mode (src/edge/jitless.ts) never calls " +
      "them, and Workers forbid it anyway: the probe now fails as it would there",
  },
  {
    name: "compute-engine: Function constructor",
    files: /\/node_modules\/@cortex-js\/compute-engine\/.*\.js$/,
    find: /(?<![\w$."'])Function\(/g,
    replace: `${NO_CODEGEN}(`,
    why:
      "the engine compiles expressions to JavaScript (`compile()`, interval arithmetic); the verifier only parses " +
      "LaTeX to MathJSON (src/verify/latex.ts), and every call site already falls back or fails as on Workers",
  },
  {
    name: "compute-engine: stdin through node:fs",
    files: /\/node_modules\/@cortex-js\/compute-engine\/.*\.js$/,
    find: /\b[\w$]+\.getBuiltinModule\("node:fs"\)/g,
    replace: "void 0",
    why: "the engine's default `readLine` effect reads stdin with node:fs when it can; the verifier never reads input",
  },
];

/** `node:x`, `bun:x`, `bun`, and the bare names of Node's built-in modules (`fs`, `path/posix`, …). */
const RUNTIME_MODULE = new RegExp(
  `^(?:(?:node|bun):.*|bun|(?:${builtinModules.map((m) => m.replace(/[/\\^$*+?.()|[\]{}]/g, "\\$&")).join("|")})(?:/.*)?)$`,
);

/**
 * Applies the shims, and records every import of a runtime module: for a browser target Bun would quietly
 * replace `node:fs` with an empty object, so a Node API would fail only when called. Kept external instead,
 * so the output check sees it too.
 */
function edgePlugin(counts: Map<string, number>, runtimeImports: string[]): BunPlugin {
  return {
    name: "edge-shims",
    setup(build) {
      build.onResolve({ filter: RUNTIME_MODULE }, (args) => {
        runtimeImports.push(`${args.importer} imports ${args.path}`);
        return { path: args.path, external: true };
      });
      build.onLoad({ filter: /\.js$/ }, async (args) => {
        const applicable = SHIMS.filter((s) => s.files.test(args.path));
        if (applicable.length === 0) return undefined;
        let text = await Bun.file(args.path).text();
        for (const s of applicable) {
          text = text.replace(s.find, () => {
            counts.set(s.name, (counts.get(s.name) ?? 0) + 1);
            return s.replace;
          });
        }
        return { contents: text, loader: "js" };
      });
    },
  };
}

/**
 * What the module must not contain, each with why. The module is one file with nothing external, so any
 * import, require or runtime specifier left in the text is an error, and so is any way of evaluating a string.
 */
const FORBIDDEN: readonly { what: string; re: RegExp }[] = [
  { what: "a node:/bun: module specifier", re: /["'`](?:node|bun):[\w/]+["'`]/g },
  { what: "eval", re: /\beval\s*\(/g },
  { what: "the Function constructor", re: /\bnew\s+Function\b|(?<![\w$.])Function\s*\(/g },
  // `x = Function`, `{ f: Function }`, `(Function)(…)`; not `Function.prototype`, an object key `Function:`, or
  // prose such as "(Function) are not supported" in an error message.
  { what: "an alias of the Function constructor", re: /[=,:?]\s*Function\b(?!\s*[.\w$:(])|\(\s*Function\s*\)\s*\(/g },
  { what: "a string passed to setTimeout/setInterval", re: /\bset(?:Timeout|Interval)\s*\(\s*["'`]/g },
];

/**
 * Every forbidden construct in a built module's text, with some context; empty when it is clean. Imports are
 * read by Bun's parser; the rest is a scan of the raw text, string literals included: conservative on purpose,
 * a match inside a string also fails (and is then shimmed away above).
 */
export function checkEdgeBundle(text: string): string[] {
  const problems: string[] = [];
  let imports: { path: string; kind: string }[];
  try {
    imports = new Bun.Transpiler({ loader: "js" }).scanImports(text);
  } catch (err) {
    return [`the module does not parse: ${(err as Error).message}`];
  }
  for (const i of imports) problems.push(`${i.kind} of "${i.path}" (the module must be self-contained)`);
  for (const { what, re } of FORBIDDEN) {
    for (const m of text.matchAll(re)) {
      const at = m.index ?? 0;
      problems.push(`${what} at offset ${at}: …${text.slice(Math.max(0, at - 60), at + 60).replace(/\s+/g, " ")}…`);
    }
  }
  return problems;
}

export interface EdgeBuild {
  path: string;
  bytes: number;
  gzipBytes: number;
}

/** Builds dist/edge/spice-edge.js (or into `outdir`, from `entry`); throws with every problem found. */
export async function buildEdge(o: { outdir?: string; entry?: string } = {}): Promise<EdgeBuild> {
  const outdir = o.outdir ?? join(REPO, "dist/edge");
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  const counts = new Map<string, number>();
  const runtimeImports: string[] = [];
  const result = await Bun.build({
    entrypoints: [o.entry ?? EDGE_ENTRY],
    outdir,
    naming: EDGE_FILE,
    target: "browser",
    format: "esm",
    minify: true,
    banner: NO_CODEGEN_DECL,
    plugins: [edgePlugin(counts, runtimeImports)],
  });
  if (!result.success) throw new Error(`edge build failed:\n${result.logs.map(String).join("\n")}`);
  const path = join(outdir, EDGE_FILE);
  const text = await Bun.file(path).text();
  const problems = [...runtimeImports.map((i) => `a runtime module: ${i}`), ...checkEdgeBundle(text)];
  for (const s of SHIMS) if (!counts.get(s.name)) problems.push(`shim "${s.name}" matched nothing (${s.why})`);
  if (problems.length) {
    rmSync(path, { force: true });
    throw new Error(`edge build rejected (${problems.length} problems):\n${problems.join("\n")}`);
  }
  const bytes = Buffer.byteLength(text);
  return { path, bytes, gzipBytes: Bun.gzipSync(text).byteLength };
}

if (import.meta.main) {
  try {
    const b = await buildEdge();
    const mib = (n: number) => `${(n / 2 ** 20).toFixed(2)} MiB`;
    console.log(`${b.path}: ${mib(b.bytes)} (${mib(b.gzipBytes)} gzipped), no imports, no code evaluation`);
  } catch (err) {
    console.error((err as Error).message);
    process.exit(1);
  }
}
