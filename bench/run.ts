/**
 * `bun run bench`: runs every bench/*.ts except this file, one at a time, each in
 * its own `bun` process (so one benchmark's warm caches and threads do not skew the
 * next), and prints their markdown. Benchmarks report; a failing one is listed and
 * the exit code is 1, but the others still run.
 */
import { readdirSync } from "node:fs";
import { basename, join } from "node:path";

const self = basename(import.meta.path);
const only = process.argv.slice(2);
const files = readdirSync(import.meta.dir)
  .filter((f) => f.endsWith(".ts") && f !== self && !f.endsWith(".test.ts"))
  .filter((f) => only.length === 0 || only.some((o) => f.startsWith(o)))
  .sort();

const failed: string[] = [];
for (const file of files) {
  process.stderr.write(`bench: ${file} …\n`);
  const t0 = performance.now();
  const proc = Bun.spawn(["bun", join(import.meta.dir, file)], { stdout: "pipe", stderr: "inherit" });
  const out = await new Response(proc.stdout).text();
  const code = await proc.exited;
  process.stdout.write(
    `\n<!-- bench/${file}: ${((performance.now() - t0) / 1000).toFixed(1)} s -->\n${out.trimEnd()}\n`,
  );
  if (code !== 0) failed.push(`${file} (exit ${code})`);
}
if (failed.length) {
  process.stderr.write(`bench: failed: ${failed.join(", ")}\n`);
  process.exit(1);
}
