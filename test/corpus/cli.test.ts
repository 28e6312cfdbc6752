import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { corpusDataDir, prose } from "./helpers.ts";

setDefaultTimeout(30_000);
const dd = corpusDataDir();
afterAll(() => dd.cleanup());
const MAIN = join(import.meta.dir, "..", "..", "src", "cli", "main.ts");

function spice(args: string[], stdin?: string) {
  const p = Bun.spawnSync(["bun", MAIN, "corpus", ...args, "--data-dir", dd.dir], {
    stdin: stdin === undefined ? "ignore" : new TextEncoder().encode(stdin),
    env: { ...process.env, SPICE_LOG_LEVEL: "silent" },
  });
  return { code: p.exitCode, out: p.stdout.toString(), err: p.stderr.toString() };
}

describe("spice corpus (CLI)", () => {
  test("ingest from stdin: a bad row is reported with its line, the rest ingested, exit 0", () => {
    const rows = [
      JSON.stringify({ id: "c1", text: prose(600) }),
      '{"id": oops}',
      JSON.stringify({ id: "c2", text: prose(601) }),
      JSON.stringify({ id: "c3", text: prose(602) }),
    ].join("\n");
    const r = spice(["ingest", "-", "--json"], rows);
    expect(r.code).toBe(0);
    expect(r.err).toContain("stdin:2: malformed_row");
    expect(JSON.parse(r.out)).toMatchObject({ segments_added: 3, rejected: { malformed_row: 1 }, committed: true });
    const text = spice(["ingest", "-"], `${prose(603)}\n\n${prose(604)}`);
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/corpus version 2: 1 documents, 1 segments added/);
  });

  test("stats, search, sample and manifest", () => {
    const stats = JSON.parse(spice(["stats", "--json"]).out);
    expect(stats).toMatchObject({ documents: 4, segments: 4, rejected: { malformed_row: 1 } });
    const search = JSON.parse(spice(["search", "harbour bridge", "--k", "2", "--mode", "fts", "--json"]).out);
    expect(search.hits).toHaveLength(2);
    const a = JSON.parse(spice(["sample", "--n", "3", "--seed", "5", "--json"]).out);
    expect(new Set(a.segments.map((s: { id: string }) => s.id)).size).toBe(3);
    const out = join(dd.dir, "manifest.json");
    const m = spice(["manifest", "--out", out]);
    expect(m.code).toBe(0);
    expect(JSON.parse(readFileSync(out, "utf8"))).toMatchObject({ segments: 4, rejected: { malformed_row: 1 } });
  });

  test("unusable input exits 2 with one line", () => {
    const missing = spice(["ingest", "/no/such/path"]);
    expect(missing.code).toBe(2);
    expect(missing.err.trim()).toBe("spice: no such file or folder: /no/such/path");
    const bad = spice(["stats", "--segment-tokens", "3"]);
    expect(bad.code).toBe(2);
    expect(bad.err.trim().split("\n")).toHaveLength(1);
  });

  test("no readable row at all exits 2 saying so; --strict turns any unreadable row into exit 1", () => {
    const none = spice(["ingest", "-"], '{"id": oops}\n{"text": 5}\n');
    expect(none.code).toBe(2);
    expect(none.err).toContain("spice: no usable document: all 2 rows or files could not be read");
    const mixed = `${JSON.stringify({ id: "s1", text: prose(610) })}\nnot json\n`;
    const strict = spice(["ingest", "-", "--strict", "--json"], mixed);
    expect(strict.code).toBe(1);
    expect(JSON.parse(strict.out)).toMatchObject({ segments_added: 1, rejected: { malformed_row: 1 } });
    const lenient = `${JSON.stringify({ id: "s2", text: prose(611) })}\nnot json\n`;
    expect(spice(["ingest", "-"], lenient).code).toBe(0);
  });
});
