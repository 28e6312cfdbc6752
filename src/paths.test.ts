import { describe, expect, test } from "bun:test";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { confinedPath, isWithin, PathConfinementError } from "./paths.ts";
import { tempDir } from "../test/helpers.ts";

describe("confinedPath", () => {
  test("relative paths land under the root, not the working directory; absolute ones inside it pass", () => {
    const t = tempDir();
    try {
      const root = join(t.dir, "data");
      mkdirSync(root);
      expect(confinedPath(root, "runs/a.jsonl")).toBe(join(root, "runs", "a.jsonl"));
      expect(confinedPath(root, join(root, "x", "y.jsonl"))).toBe(join(root, "x", "y.jsonl"));
      expect(confinedPath(root, "a/../b.jsonl")).toBe(join(root, "b.jsonl"));
      // A root that does not exist yet is fine: nothing under it can be a link.
      expect(confinedPath(join(root, "later"), "f")).toBe(join(root, "later", "f"));
    } finally {
      t.cleanup();
    }
  });

  test("escapes are refused: .., absolute paths elsewhere, NUL bytes", () => {
    const t = tempDir();
    try {
      for (const bad of ["../x", "a/../../x", "/etc/passwd", "/tmp/elsewhere.jsonl", "a\0b"]) {
        expect(() => confinedPath(t.dir, bad)).toThrow(PathConfinementError);
      }
      expect(() => confinedPath(t.dir, "/etc/passwd")).toThrow(/outside the data dir/);
    } finally {
      t.cleanup();
    }
  });

  test("symbolic links out of the root are refused: a linked folder, a linked file, a dangling link", () => {
    const t = tempDir();
    try {
      const root = join(t.dir, "data");
      const outside = join(t.dir, "outside");
      mkdirSync(root);
      mkdirSync(outside);
      writeFileSync(join(outside, "victim.txt"), "keep me");
      symlinkSync(outside, join(root, "out"));
      symlinkSync(join(outside, "victim.txt"), join(root, "file.jsonl"));
      symlinkSync(join(outside, "missing"), join(root, "dangling.jsonl"));
      expect(() => confinedPath(root, "out/victim.txt")).toThrow(/through the symbolic link/);
      expect(() => confinedPath(root, "out/new/deeper.jsonl")).toThrow(/through the symbolic link/);
      expect(() => confinedPath(root, "file.jsonl")).toThrow(/through the symbolic link/);
      expect(() => confinedPath(root, "dangling.jsonl")).toThrow(/leads nowhere/);
      // A link that stays inside is followed.
      mkdirSync(join(root, "real"));
      symlinkSync(join(root, "real"), join(root, "alias"));
      expect(confinedPath(root, "alias/f.jsonl")).toBe(join(root, "real", "f.jsonl"));
    } finally {
      t.cleanup();
    }
  });

  test("isWithin is not fooled by a sibling sharing the prefix", () => {
    expect(isWithin("/data", "/data/x")).toBe(true);
    expect(isWithin("/data", "/data")).toBe(true);
    expect(isWithin("/data", "/data-evil/x")).toBe(false);
    expect(isWithin("/data", "/data/..x")).toBe(true);
    expect(isWithin("/data", "/")).toBe(false);
  });
});
