import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { asc, eq } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { iterations } from "../db/schema.ts";
import { runMetrics } from "../trainer/persist.ts";
import { lineChart, passRateChart, renderPng } from "./plots.ts";

/**
 * `spice train plot`: the experiment report's four PNG plots for one run of the database. Accuracy is the
 * held-out pass@1 where the run recorded one (experiment runs) and the reasoner's training accuracy.
 */
export async function writeRunPlots(db: Db, runId: string, outDir: string): Promise<string[]> {
  const metrics = runMetrics(db, runId);
  const label = runId.slice(0, 8);
  const series = (name: string, key: string) =>
    metrics.flatMap((m) => (m[key] === undefined ? [] : [{ config: name, iteration: m.iteration!, value: m[key]! }]));
  const accuracy = [
    ...series(`${label} reasoner accuracy`, "reasoner.accuracy"),
    ...series(`${label} held-out pass@1`, "eval.pass_at_1"),
  ];
  const histograms = db
    .select({ metrics: iterations.metrics })
    .from(iterations)
    .where(eq(iterations.runId, runId))
    .orderBy(asc(iterations.iteration))
    .all()
    .map((r) => ((r.metrics as { pass_rate_histogram?: number[] }).pass_rate_histogram ?? []) as number[]);
  const half = Math.ceil(histograms.length / 2);
  const phat = (["first half", "second half"] as const).flatMap((phase, i) => {
    const hs = i === 0 ? histograms.slice(0, half) : histograms.slice(half);
    const k = Math.max(0, ...hs.map((h) => h.length - 1));
    const counts = Array.from({ length: k + 1 }, (_, j) => hs.reduce((n, h) => n + (h[j] ?? 0), 0));
    const total = counts.reduce((a, b) => a + b, 0) || 1;
    return counts.map((c, j) => ({ config: label, phase, p: k ? (j / k).toFixed(2) : "0", share: c / total }));
  });
  const plots: Array<[string, Parameters<typeof renderPng>[0]]> = [
    ["accuracy.png", lineChart("Reasoner accuracy (and held-out pass@1 when recorded)", "accuracy", accuracy)],
    [
      "challenger_reward.png",
      lineChart("Mean challenger reward per iteration", "mean reward", series(label, "challenger.mean_reward")),
    ],
    [
      "valid_rate.png",
      lineChart("Challenger valid rate per iteration", "valid rate", series(label, "challenger.valid_rate")),
    ],
    ["pass_rate.png", passRateChart(phat)],
  ];
  mkdirSync(outDir, { recursive: true });
  const written: string[] = [];
  for (const [file, spec] of plots) {
    const path = join(outDir, file);
    writeFileSync(path, await renderPng(spec));
    written.push(path);
  }
  return written;
}
