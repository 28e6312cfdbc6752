import type { StoredResult } from "./store.ts";

/** The `--compare` table: one line per checkpoint, scores in percent, then avg@K per group. */

const pct = (x: number): string => (100 * x).toFixed(1);

export function compareTable(results: readonly StoredResult[]): string {
  const groups = [...new Set(results.flatMap((r) => Object.keys(r.groups)))];
  const head = ["checkpoint", "n", "k", "avg@k", "pass@1", "pass@k", ...groups.map((g) => `avg@k ${g}`), "evaluated"];
  const lines = [`| ${head.join(" | ")} |`, `| ${head.map((_, i) => (i === 0 ? "---" : "---:")).join(" | ")} |`];
  for (const r of results) {
    const cells = [
      r.checkpoint.replace(/\|/g, "\\|"),
      String(r.n),
      String(r.k),
      pct(r.avg_at_k),
      pct(r.pass_at_1),
      pct(r.pass_at_k),
      ...groups.map((g) => (r.groups[g] ? pct(r.groups[g].avg_at_k) : "")),
      r.createdAt.toISOString().slice(0, 16).replace("T", " "),
    ];
    lines.push(`| ${cells.join(" | ")} |`);
  }
  return `${lines.join("\n")}\n`;
}
