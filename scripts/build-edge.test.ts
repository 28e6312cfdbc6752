import { afterAll, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "../test/helpers.ts";
import { edgeModule } from "../test/edge/harness.ts";
import { buildEdge, checkEdgeBundle } from "./build-edge.ts";

const tmp = tempDir("spice-edge-build-");
afterAll(tmp.cleanup);

describe("the edge bundle check", () => {
  test("finds every forbidden construct in a fake module, and nothing in a clean one", () => {
    const bad = [
      'import{readFileSync as r}from"node:fs";',
      'export*from"./x.js";',
      'const m=await import("bun:sqlite");',
      'const p=require("path");',
      'const e=eval("1+1");',
      'const f=new Function("return 1");',
      'const g=Function("a","return a");',
      "const F=Function;",
      'setTimeout("alert(1)",10);',
    ];
    for (const line of bad) expect({ line, problems: checkEdgeBundle(line).length }).not.toEqual({ line, problems: 0 });
    const clean =
      'const x = {Function: 1}; class A { evaluate(){} } const t = typeof f === "function"; ' +
      'if (g instanceof Function) {} Function.prototype.call; setTimeout(() => 1, 5); throw Error("(Function) no");';
    expect(checkEdgeBundle(clean)).toEqual([]);
  });

  test("the build fails for an entry that needs a Node API or evaluates a string", async () => {
    const entry = join(tmp.dir, "bad-entry.ts");
    writeFileSync(entry, 'import { readFileSync } from "node:fs";\nexport default { f: () => readFileSync("/x") };\n');
    // Bun alone would replace node:fs with an empty object for a browser target and build without a word.
    await expect(buildEdge({ outdir: join(tmp.dir, "out1"), entry })).rejects.toThrow(
      /a runtime module: .*bad-entry\.ts imports node:fs/,
    );
    writeFileSync(entry, 'import path from "path";\nexport default { f: () => path.join("a", "b") };\n');
    await expect(buildEdge({ outdir: join(tmp.dir, "out1"), entry })).rejects.toThrow(/imports path/);
    writeFileSync(entry, "export default { f: (s: string) => eval(s) };\n");
    await expect(buildEdge({ outdir: join(tmp.dir, "out2"), entry })).rejects.toThrow(/eval at offset/);
  });
});

describe("the built edge module", () => {
  test("is one self-contained ES module with the shims applied and no dynamic code", async () => {
    const b = await edgeModule();
    const text = readFileSync(b.path, "utf8");
    expect(b.bytes).toBe(Buffer.byteLength(text));
    expect(b.gzipBytes).toBeLessThan(b.bytes);
    expect(checkEdgeBundle(text)).toEqual([]);
    // Booleans, not the text: a failure must not print 4 MB.
    expect(text.startsWith("function __spiceNoCodegen()")).toBe(true);
    expect(/["'`](?:node|bun):/.test(text)).toBe(false);
    expect(text.includes("getBuiltinModule(")).toBe(false);
    // The default export is the fetch handler every runtime calls.
    expect(/export\s*\{[^}]*\bas default\b[^}]*\}\s*;?\s*$/.test(text)).toBe(true);
  });
});
