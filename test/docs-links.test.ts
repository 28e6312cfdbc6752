import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join, normalize, relative, sep } from "node:path";

/**
 * The repository must read on its own: a clone has no `../shared/`, so no guide, help text or
 * comment may send a reader there, and every relative markdown link (and its `#anchor`) must
 * resolve inside the repository. The method and the verifier's rules live in docs/method.md and
 * docs/verifier-rules.md.
 */

const ROOT = join(import.meta.dir, "..");
const SELF = relative(ROOT, import.meta.path);

/** References that point outside the repository or at the old, external spec files. */
const FORBIDDEN: { pattern: RegExp; why: string }[] = [
  { pattern: /\.\.\/shared\//, why: "../shared/ is outside the repository" },
  { pattern: /\/work\/shared\b/, why: "/work/shared is outside the repository" },
  { pattern: /\bSPEC\s*§/, why: 'cite docs/method.md §N instead of "SPEC §N"' },
  { pattern: /\b(SPEC|VERIFIER)\.md\b/, why: "the spec files are docs/method.md and docs/verifier-rules.md" },
];

/** Tracked files plus new ones not ignored, so a guide is checked before its first commit. */
function repoFiles(): string[] {
  const r = Bun.spawnSync(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"], { cwd: ROOT });
  if (r.exitCode !== 0) throw new Error(`git ls-files failed: ${r.stderr.toString()}`);
  return r.stdout
    .toString()
    .split("\0")
    .filter((f) => f !== "" && existsSync(join(ROOT, f)));
}

/** GitHub's heading slug: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/<[^>]+>/g, "")
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, "")
    .replace(/ /g, "-");
}

/** Lines outside fenced code blocks, with inline code spans blanked, numbered from 1. */
function proseLines(markdown: string): [number, string][] {
  const out: [number, string][] = [];
  let fence: string | null = null;
  markdown.split("\n").forEach((line, i) => {
    const m = /^\s*(`{3,}|~{3,})/.exec(line);
    if (m) {
      const mark = m[1]!;
      if (fence === null) fence = mark[0]!.repeat(mark.length);
      else if (mark.startsWith(fence)) fence = null;
      return;
    }
    if (fence === null) out.push([i + 1, line.replace(/(`+)[^`]*?\1/g, "")]);
  });
  return out;
}

/** Anchors a markdown file defines: heading slugs (deduplicated as GitHub does) and `<a id|name>`. */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  const raw = markdown.split("\n");
  for (const [n, line] of proseLines(markdown)) {
    const h = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(raw[n - 1]!);
    if (h) {
      const base = slug(h[1]!);
      const count = seen.get(base) ?? 0;
      seen.set(base, count + 1);
      anchors.add(count === 0 ? base : `${base}-${count}`);
    }
    for (const a of line.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) anchors.add(a[1]!);
  }
  return anchors;
}

/** Inline link and image targets `[text](target "title")`, and reference definitions `[x]: target`. */
function linksIn(markdown: string): { line: number; target: string }[] {
  const links: { line: number; target: string }[] = [];
  for (const [line, text] of proseLines(markdown)) {
    for (const m of text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) links.push({ line, target: m[1]! });
    const def = /^\s{0,3}\[[^\]]+\]:\s+<?(\S+?)>?(?:\s+"[^"]*")?\s*$/.exec(text);
    if (def) links.push({ line, target: def[1]! });
  }
  return links;
}

const anchorCache = new Map<string, Set<string>>();
function anchorsOfFile(abs: string): Set<string> {
  let a = anchorCache.get(abs);
  if (!a) {
    a = anchorsOf(readFileSync(abs, "utf8"));
    anchorCache.set(abs, a);
  }
  return a;
}

/**
 * Why `target` (relative to the file `from`, both repository-relative) does not resolve, or null.
 * `own` holds the anchors of `from` itself, for `#fragment` links within a file.
 */
function brokenTarget(from: string, target: string, own?: Set<string>): string | null {
  const [pathPart, fragment] = target.split("#", 2) as [string, string | undefined];
  if (pathPart === "" && own) return fragment && !own.has(fragment) ? `no heading or anchor ${target}` : null;
  const rel = pathPart === "" ? from : normalize(join(dirname(from), decodeURIComponent(pathPart)));
  if (rel === ".." || rel.startsWith(`..${sep}`)) return `${target} leaves the repository`;
  const abs = join(ROOT, rel);
  if (!existsSync(abs)) return `${target} does not exist`;
  if (fragment && rel.endsWith(".md") && statSync(abs).isFile() && !anchorsOfFile(abs).has(fragment)) {
    return `${target}: no heading or anchor #${fragment} in ${rel}`;
  }
  return null;
}

const isExternal = (target: string): boolean => /^[a-z][a-z0-9+.-]*:/i.test(target);

/** Every problem in one file, as "path:line: message". */
function problemsIn(file: string, text: string): string[] {
  const problems: string[] = [];
  text.split("\n").forEach((line, i) => {
    for (const { pattern, why } of FORBIDDEN) if (pattern.test(line)) problems.push(`${file}:${i + 1}: ${why}`);
  });
  if (file.endsWith(".md")) {
    const own = anchorsOf(text);
    for (const { line, target } of linksIn(text)) {
      if (isExternal(target)) continue;
      const why = brokenTarget(file, target, own);
      if (why) problems.push(`${file}:${line}: ${why}`);
    }
  } else {
    // Help texts and comments name guides by their path from the repository root.
    text.split("\n").forEach((line, i) => {
      for (const m of line.matchAll(/\bdocs\/[\w./-]+\.md(?:#[\w-]+)?/g)) {
        const why = brokenTarget("README.md", m[0]);
        if (why) problems.push(`${file}:${i + 1}: ${why}`);
      }
    });
  }
  return problems;
}

describe("documentation links", () => {
  test("the checker finds what it must", () => {
    const md = [
      "# Title",
      "## §3.5 Trainer configuration",
      "See [spec](../shared/SPEC.md), [gone](docs/nope.md), [ok](docs/method.md#35-trainer-configuration),",
      "[bad anchor](docs/method.md#no-such-section), [here](#35-trainer-configuration), [web](https://x.org/a),",
      "[there](#nowhere).",
      "```",
      "[in code](missing.md)",
      "```",
      "`[inline](missing.md)`",
    ].join("\n");
    expect(slug("§3.5 Trainer configuration")).toBe("35-trainer-configuration");
    expect(slug("Extraction: finding the final answer (E1–E7)")).toBe("extraction-finding-the-final-answer-e1e7");
    expect(anchorsOf('# A\n## A\n<a id="x"></a>')).toEqual(new Set(["a", "a-1", "x"]));
    expect(linksIn(md).map((l) => l.target)).toEqual([
      "../shared/SPEC.md",
      "docs/nope.md",
      "docs/method.md#35-trainer-configuration",
      "docs/method.md#no-such-section",
      "#35-trainer-configuration",
      "https://x.org/a",
      "#nowhere",
    ]);
    const found = problemsIn("README.md", md);
    expect(found.some((p) => p.includes("../shared/ is outside"))).toBe(true);
    expect(found.some((p) => p.includes("docs/nope.md does not exist"))).toBe(true);
    expect(found.some((p) => p.includes("#no-such-section"))).toBe(true);
    expect(found.some((p) => p.includes("missing.md"))).toBe(false);
    expect(found.some((p) => p.includes("anchor #35-trainer-configuration"))).toBe(false);
    expect(found.some((p) => p.includes("anchor #nowhere"))).toBe(true);
    expect(problemsIn("src/x.ts", "// see docs/gone.md and SPEC §4")).toHaveLength(2);
  });

  test("no tracked guide, help text or comment points outside the repository or at a missing file", () => {
    const problems: string[] = [];
    for (const file of repoFiles()) {
      if (file === SELF || !/\.(md|ts)$/.test(file) || file.startsWith("node_modules/")) continue;
      problems.push(...problemsIn(file, readFileSync(join(ROOT, file), "utf8")));
    }
    expect(problems).toEqual([]);
  });
});
