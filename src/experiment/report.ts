import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { bootstrapMean, type Interval, MCQ_CHANCE, pairedGain } from "../eval/stats.ts";
import { CONFIG_DESCRIPTIONS, type ExperimentConfigName } from "./configs.ts";
import { challengerReward, INVALID_PENALTY } from "../spice/rewards.ts";
import { lineChart, passRateChart, renderPng } from "./plots.ts";
import type { Prepared } from "./prepare.ts";
import { type ExperimentPreset, PRESETS } from "./presets.ts";
import type { PairResult } from "./run.ts";

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : Number.NaN);
const sd = (xs: number[]) => {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
};
const pts = (x: number) => (x * 100).toFixed(1);
const p2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : "–");
const pm = (xs: number[]) => (xs.length > 1 ? `${pts(mean(xs))} ± ${pts(sd(xs))}` : pts(mean(xs)));

export interface ConfigSummary {
  config: ExperimentConfigName;
  seeds: number[];
  start: number[];
  end: number[];
  delta: number[];
  /** The gain's 95% bootstrap interval over items (per item, the mean over seeds of end − start). */
  gain: Interval | null;
  /** Per item, the mean over seeds of the final greedy verdict (for comparisons between configurations). */
  endItems: number[] | null;
  firstPHat: number[];
  lastPHat: number[];
  validRate: number[];
  seconds: number[];
  cpuSeconds: number[];
  /** pass@1 per answer type, at the start and (mean over seeds) at the end. */
  byType: Record<string, { start: number; end: number }>;
}

/** Mean p̂ over the first / last third of a run's iterations. */
function pHatEnds(r: PairResult): [number, number] {
  const ps = r.metrics.filter((m) => m["tasks.valid"]).map((m) => m["pass_rate.mean"] ?? 0);
  const third = Math.max(1, Math.floor(ps.length / 3));
  return [mean(ps.slice(0, third)), mean(ps.slice(-third))];
}

const verdicts = (e: { greedy?: string } | undefined) =>
  e?.greedy ? [...e.greedy].map((c) => (c === "1" ? 1 : 0)) : null;

/** Per item, the mean over runs of their final verdicts; null when some run has none. */
function endItemMeans(rs: PairResult[]): number[] | null {
  const ends = rs.map((r) => verdicts(r.evals.at(-1)));
  if (ends.some((e) => e === null) || ends.length === 0) return null;
  return ends[0]!.map((_, i) => mean(ends.map((e) => e![i]!)));
}

export function summarise(results: PairResult[]): ConfigSummary[] {
  const byConfig = Map.groupBy(results, (r) => (r.variant ? `${r.config}@${r.variant}` : r.config));
  return [...byConfig.values()].map((rs) => {
    const startItems = verdicts(rs[0]!.evals[0]);
    const ends = rs.map((r) => verdicts(r.evals.at(-1)));
    const gain =
      startItems && ends.every((e) => e !== null && e.length === startItems.length)
        ? pairedGain(startItems, ends as number[][], { seed: 1 })
        : null;
    const types = Object.keys(rs[0]!.evals[0]!.by_answer_type ?? {}).sort();
    const byType = Object.fromEntries(
      types.map((t) => [
        t,
        {
          start: rs[0]!.evals[0]!.by_answer_type![t]!,
          end: mean(rs.map((r) => r.evals.at(-1)!.by_answer_type?.[t] ?? Number.NaN)),
        },
      ]),
    );
    return {
      config: rs[0]!.config,
      seeds: rs.map((r) => r.seed),
      start: rs.map((r) => r.evals[0]!.pass_at_1),
      end: rs.map((r) => r.evals.at(-1)!.pass_at_1),
      delta: rs.map((r) => r.evals.at(-1)!.pass_at_1 - r.evals[0]!.pass_at_1),
      gain,
      endItems: endItemMeans(rs),
      firstPHat: rs.map((r) => pHatEnds(r)[0]),
      lastPHat: rs.map((r) => pHatEnds(r)[1]),
      validRate: rs.map((r) => mean(r.metrics.map((m) => m["challenger.valid_rate"] ?? 0))),
      seconds: rs.map((r) => r.seconds),
      cpuSeconds: rs.map((r) => r.cpu_seconds ?? Number.NaN),
      byType,
    };
  });
}

/** An interval in points: "+2.1 [−0.4, +4.6]". */
const signed = (x: number) => `${x >= 0 ? "+" : "−"}${pts(Math.abs(x))}`;
export const fmtInterval = (i: Interval) => `${signed(i.mean)} [${signed(i.lo)}, ${signed(i.hi)}]`;

/** What an interval says about "> 0". */
export function intervalVerdict(i: Interval): "above 0" | "below 0" | "spans 0" {
  return i.lo > 0 ? "above 0" : i.hi < 0 ? "below 0" : "spans 0";
}

/** The interval of a − b over items (each the per-item mean over its seeds). */
function differenceInterval(a: ConfigSummary, b: ConfigSummary): Interval | null {
  if (!a.endItems || !b.endItems || a.endItems.length !== b.endItems.length) return null;
  return bootstrapMean(
    a.endItems.map((x, i) => x - b.endItems![i]!),
    { seed: 1 },
  );
}

/**
 * "holds" when `a` ends at least as high as each other configuration, judged by the 95% interval of
 * the per-item difference of final verdicts: above 0 holds, below 0 does not, spanning 0 is not
 * distinguishable from noise.
 */
function ordering(
  summaries: ConfigSummary[],
  a: ExperimentConfigName,
  others: ExperimentConfigName[],
  label: string,
): string | null {
  const sa = summaries.find((s) => s.config === a && !s.config.includes("@"));
  const so = others.map((o) => summaries.find((s) => s.config === o)).filter((s): s is ConfigSummary => !!s);
  if (!sa || so.length === 0) return null;
  const parts = so.map((s) => {
    const d = differenceInterval(sa, s);
    if (!d) return `${a} − ${s.config}: ${pts(mean(sa.end) - mean(s.end))} points (no per-item verdicts)`;
    return `${a} − ${s.config}: ${fmtInterval(d)} points, ${intervalVerdict(d)}`;
  });
  const ds = so.map((s) => differenceInterval(sa, s));
  const verdict = ds.every((d) => d && d.lo > 0)
    ? "holds"
    : ds.some((d) => d && d.hi < 0)
      ? "does not hold"
      : "not distinguishable from noise";
  return `- ${label}: **${verdict}** (final held-out pass@1, 95% interval over items: ${parts.join("; ")}).`;
}

/** What the challenger wrote: a few valid tasks of a run, with the reasoner's pass rate on them. */
export interface TaskExample {
  config: string;
  iteration: number;
  question: string;
  answer: string;
  answer_type: string | null;
  pass_rate: number | null;
}

/** What both reports are written from. */
export interface ReportArgs {
  outDir: string;
  preset: ExperimentPreset;
  prepared: Prepared;
  results: PairResult[];
  command: string;
  /** Pairs with no result (a --report-only report written before they completed). */
  missing?: string[];
}

export async function writeReport(
  args: ReportArgs & {
    /** Valid tasks sampled from the runs, and the share of valid tasks some rollout answered as the gold. */
    tasks?: {
      examples: TaskExample[];
      valid: number;
      answeredOnce: number;
      /** The most frequent gold answer among valid tasks of the runs' last fifth: a collapsed pair writes one answer. */
      topGold: { answer: string; share: number; tasks: number } | null;
    };
  },
): Promise<string> {
  const { outDir, preset, prepared, results } = args;
  mkdirSync(join(outDir, "plots"), { recursive: true });
  const summaries = summarise(results);
  const lines: string[] = [];
  lines.push(`# SPICE at CPU scale: preset \`${preset.name}\``, "");
  lines.push(
    `Made by \`${args.command}\` on ${new Date().toISOString().slice(0, 10)}. Every number below comes from that run; the per-run JSON is in \`results/\`.`,
    "",
  );
  if (args.missing?.length)
    lines.push(
      `**Incomplete**: ${args.missing.length} planned run(s) had not completed when this report was written and are left out: ${args.missing.join(", ")}.`,
      "",
    );
  lines.push("## Setup", "");
  const evaluated =
    prepared.evalItems.length === prepared.world.eval_tasks
      ? `all ${prepared.evalItems.length} are evaluated`
      : `a stratified sample of ${prepared.evalItems.length} is evaluated (each answer type × difficulty keeps its share)`;
  lines.push(
    `- Toy world (seed ${preset.world.seed}): ${prepared.world.train_documents} training documents (the corpus), ${prepared.world.eval_documents} held-out documents whose ${prepared.world.eval_tasks} tasks form the evaluation set (${evaluated}; ${prepared.world.dropped_duplicates} held-out tasks dropped as duplicates of training questions).`,
  );
  const stages = preset.sft.map((st, i) => {
    const done = prepared.sft.stages[i];
    return `${i + 1}. ${st.steps} steps on ${st.data} pairs (batch ${st.batchSize}, lr ${st.lr}, max length ${st.maxLength})${done ? `: loss ${done.first_loss.toFixed(3)} → ${done.final_loss.toFixed(3)}, ${done.ms_per_step.toFixed(0)} ms/step, ${done.restarts} restart(s)` : ""}`;
  });
  lines.push(
    prepared.sft.supplied
      ? `- Warm start: supplied with \`--warm-model\` (${prepared.sft.supplied}), trained with the staged recipe below on this world's training pairs (docs/eval.md).`
      : "- Warm start: staged SFT of the built tiny model on this world's training pairs:",
  );
  for (const st of stages) lines.push(`  ${st}`);
  const t = preset.trainer;
  lines.push(
    `- Self-play per run: ${t.iterations} iterations, B ${t.batch_docs}, G ${t.challenger_samples}, K ${t.reasoner_rollouts}, max_attempts ${t.max_attempts}, max_new_tokens ${t.max_new_tokens}, lr ${t.learning_rate}, minibatch ${t.learner_minibatch ?? 8} (AdamW steps per iteration = trajectories ÷ minibatch), epochs ${t.learner_epochs ?? 1}, embedded Dr. GRPO learner.`,
  );
  lines.push(
    "- Update size (learning rate, minibatch): measured on `oracle_challenger` in the sweep ([sweep.md](../sweep/sweep.md)).",
  );
  lines.push(
    `- \`sft_more\`: ${t.iterations} supervised steps of ${(t.batch_docs ?? 2) * (t.challenger_samples ?? 4) * (t.reasoner_rollouts ?? 4)} gold solutions each (as many sequences as one RL iteration's rollouts), lr ${preset.sftMoreLr}. \`no_update\`: the oracle loop with the rollout-only learner (weights never change: its gain is 0 by construction, and its row shows the evaluation's own interval).`,
  );
  lines.push(
    `- Evaluation: greedy pass@1 on the held-out items (avg@${preset.evalK} also stored), at the start, every ${preset.evalEvery} iterations and at the end. Intervals are 95% percentile bootstraps over items (2,000 resamples, seeded); a gain's interval is over the per-item difference (final verdict averaged over seeds, minus the warm start's). Seeds: ${[...new Set(results.map((r) => r.seed))].join(", ")}.`,
    "",
  );
  lines.push("## Results", "");
  lines.push(
    "Held-out pass@1 in percent. *start* is the warm start (with its 95% interval over items); *end* is the mean ± standard deviation over seeds; *gain* is the mean over seeds with its 95% interval over items.",
    "",
  );
  lines.push(
    "| configuration | seeds | start [95% CI] | end (mean ± sd over seeds) | gain, points [95% CI] | verdict | mean p̂ first → last third | challenger valid rate | wall min/run | CPU min/run |",
  );
  lines.push("|---|---|---|---|---|---|---|---|---|---|");
  const startCi = results[0]?.evals[0]?.ci95;
  for (const s of summaries) {
    const gain = s.gain ? fmtInterval(s.gain) : pm(s.delta);
    const verdict = s.gain ? `gain ${intervalVerdict(s.gain)}` : "–";
    lines.push(
      `| ${s.config} — ${CONFIG_DESCRIPTIONS[s.config]} | ${s.seeds.length} | ${pts(mean(s.start))}${startCi ? ` [${pts(startCi[0])}, ${pts(startCi[1])}]` : ""} | ${pm(s.end)} | ${gain} | ${verdict} | ${p2(mean(s.firstPHat))} → ${p2(mean(s.lastPHat))} | ${mean(s.validRate).toFixed(2)} | ${(mean(s.seconds) / 60).toFixed(1)} | ${Number.isFinite(mean(s.cpuSeconds)) ? (mean(s.cpuSeconds) / 60).toFixed(1) : "–"} |`,
    );
  }
  const types = [...new Set(summaries.flatMap((s) => Object.keys(s.byType)))];
  if (types.length) {
    lines.push("", "### By answer type", "");
    lines.push(
      `pass@1 in percent, start → end (mean over seeds). MCQ has four options: guessing scores ${pts(MCQ_CHANCE)}%.`,
      "",
    );
    lines.push(
      `| configuration | ${types.map((ty) => (ty === "MCQ" ? `MCQ (chance ${pts(MCQ_CHANCE)})` : ty)).join(" | ")} |`,
    );
    lines.push(`|---|${types.map(() => "---").join("|")}|`);
    for (const s of summaries)
      lines.push(
        `| ${s.config} | ${types.map((ty) => (s.byType[ty] ? `${pts(s.byType[ty]!.start)} → ${pts(s.byType[ty]!.end)}` : "–")).join(" | ")} |`,
      );
  }
  const rewardOrder = ordering(
    summaries,
    "spice",
    ["one_minus_p", "threshold", "rzero"],
    "variance reward ≥ the other rewards",
  );
  const corpusOrder = ordering(summaries, "spice", ["no_corpus"], "with corpus ≥ without corpus");
  const coevo = ordering(summaries, "spice", ["fixed_challenger"], "co-evolving challenger ≥ fixed challenger");
  const mix = ordering(summaries, "spice", ["mcq_only", "free_form_only"], "MCQ + free-form ≥ either alone");
  const guard = ordering(summaries, "spice_guard", ["spice"], "the collapse guard helps (spice_guard ≥ spice)");
  const oracle = ordering(summaries, "oracle_challenger", ["sft_more"], "RL on gold tasks ≥ the same budget of SFT");
  const orderings = [rewardOrder, corpusOrder, coevo, mix, guard, oracle].filter((l): l is string => l !== null);
  if (orderings.length) lines.push("", "## Orderings, judged by intervals", "", ...orderings);
  // Configurations with a challenger that barely wrote a valid task (sft_more has no challenger).
  const silent = summaries.filter((s) => s.config !== "sft_more" && mean(s.validRate) < 0.05);
  if (silent.length) {
    lines.push(
      "",
      `- ${silent.map((s) => s.config).join(", ")}: the challenger wrote almost no valid task (valid rate < 5%), so these runs gave the reasoner (almost) nothing to answer and the challenger only equal penalties (zero advantages): (next to) no update happened, and their accuracy stays at the warm start's. The warm start taught the challenger the default prompts (with a document, both task types); these ablations change the challenger's prompt, and a 0.25 M-parameter model does not carry its format over. Their orderings above compare with runs that barely trained, not with the ablated method.`,
    );
  }
  if (args.tasks && args.tasks.valid > 0) {
    const t = args.tasks;
    lines.push(
      "",
      "## What the challenger wrote",
      "",
      `Over all runs, ${t.valid} tasks passed the format checks; on ${t.answeredOnce} of them (${pts(t.answeredOnce / t.valid)}%) at least one reasoner rollout matched the gold answer. A sample (question | gold | type | p̂):`,
      "",
      ...t.examples.map(
        (e) =>
          `- \`${e.config}\` iteration ${e.iteration}: ${e.question.replace(/\|/g, "/").slice(0, 200)} | ${e.answer} | ${e.answer_type ?? "MCQ"} | ${e.pass_rate ?? "–"}`,
      ),
      "",
      ...(t.topGold
        ? [
            `In the last fifth of the runs' iterations, the most frequent gold answer, \`${t.topGold.answer}\`, is ${pts(t.topGold.share)}% of ${t.topGold.tasks} valid tasks.`,
            "",
          ]
        : []),
      ...(t.topGold && t.topGold.share > 0.5
        ? [
            `The pair collapsed: the challenger settled on one gold answer and the reasoner learned to give it, so in-loop accuracy rises while held-out accuracy falls. The reward allows it: a valid task at p̂ = 1 earns ${challengerReward(1).toFixed(4)}, above the invalid penalty ${INVALID_PENALTY}, so within a group of mostly invalid outputs a trivially solved task still has a positive advantage. The paper's models rarely write invalid JSON, so there the comparison is among valid tasks and p̂ = 1 is punished; a weak challenger turns the penalty's gap into a gradient toward trivial tasks.`,
            "",
          ]
        : []),
      "Format-valid is not answerable: a 0.25 M-parameter challenger writes garbled questions with arbitrary gold answers, so the reasoner's rewards mostly grade agreement with noise. The paper's base models (3B–8B) write coherent, document-grounded tasks from the start; here that precondition fails. `oracle_challenger` isolates it: the same reasoner update with the world's own tasks.",
    );
  }
  const find = (c: ExperimentConfigName) => summaries.find((s) => s.config === c);
  const spice = find("spice");
  const oracleS = find("oracle_challenger");
  const fixed = find("fixed_challenger");
  const targetLines: string[] = [];
  const cpu = (s: ConfigSummary) =>
    Number.isFinite(mean(s.cpuSeconds)) ? `${(mean(s.cpuSeconds) / 60).toFixed(1)} CPU-min per run` : "";
  if (oracleS?.gain)
    targetLines.push(
      `- \`oracle_challenger\` RL ≥ +10 points over the warm start: **${oracleS.gain.mean >= 0.1 ? "met" : "not met"}** (${fmtInterval(oracleS.gain)} points, ${oracleS.seeds.length} seed(s), ${cpu(oracleS)}).`,
    );
  if (spice?.gain)
    targetLines.push(
      `- SPICE ≥ +5 points with the 95% interval above 0: **${spice.gain.mean >= 0.05 && spice.gain.lo > 0 ? "met" : "not met"}** (${fmtInterval(spice.gain)} points, ${spice.seeds.length} seed(s), ${cpu(spice)}).`,
    );
  if (spice && fixed) {
    const d = differenceInterval(spice, fixed);
    targetLines.push(
      `- SPICE ≥ the frozen challenger: **${d ? (d.mean >= 0 ? "met" : "not met") : mean(spice.end) >= mean(fixed.end) ? "met" : "not met"}**${d && intervalVerdict(d) === "spans 0" ? " on the point estimate; the interval spans 0, so not distinguishable from noise" : ""} (${d ? `final pass@1 difference ${fmtInterval(d)} points, interval ${intervalVerdict(d)}` : `${pts(mean(spice.end))} vs ${pts(mean(fixed.end))}`}).`,
    );
  }
  if (spice) {
    const [first, last] = [mean(spice.firstPHat), mean(spice.lastPHat)];
    const toward =
      Number.isFinite(first) && Number.isFinite(last)
        ? Math.abs(last - 0.5) < Math.abs(first - 0.5)
          ? "yes"
          : "no"
        : "not measurable (no valid task)";
    targetLines.push(`- The challenger's mean p̂ moves toward 0.5: **${toward}** (${p2(first)} → ${p2(last)}).`);
  }
  if (targetLines.length) lines.push("", "## Targets", "", ...targetLines);

  // Plots.
  const series = (pick: (r: PairResult) => Array<{ iteration: number; value: number }>) =>
    results.flatMap((r) => pick(r).map((p) => ({ config: r.config, ...p })));
  const accuracy = series((r) => r.evals.map((e) => ({ iteration: e.iteration, value: e.pass_at_1 })));
  const reward = series((r) =>
    r.metrics.map((m) => ({ iteration: m.iteration!, value: m["challenger.mean_reward"] ?? 0 })),
  );
  const valid = series((r) =>
    r.metrics.map((m) => ({ iteration: m.iteration!, value: m["challenger.valid_rate"] ?? 0 })),
  );
  const phat = results.flatMap((r) => {
    const half = Math.ceil(r.pass_rate_histograms.length / 2);
    return (["first half", "second half"] as const).flatMap((phase, i) => {
      const hs = i === 0 ? r.pass_rate_histograms.slice(0, half) : r.pass_rate_histograms.slice(half);
      const k = Math.max(0, ...hs.map((h) => h.length - 1));
      const counts = Array.from({ length: k + 1 }, (_, j) => hs.reduce((n, h) => n + (h[j] ?? 0), 0));
      const total = counts.reduce((a, b) => a + b, 0) || 1;
      return counts.map((c, j) => ({
        config: r.config,
        phase,
        p: k ? (j / k).toFixed(2) : "0",
        share: c / total / results.filter((x) => x.config === r.config).length,
      }));
    });
  });
  const plots: Array<[string, Parameters<typeof renderPng>[0]]> = [
    ["accuracy.png", lineChart("Held-out pass@1 (greedy)", "pass@1", accuracy)],
    ["challenger_reward.png", lineChart("Mean challenger reward per iteration", "mean reward", reward)],
    ["valid_rate.png", lineChart("Challenger valid rate per iteration", "valid rate", valid)],
    ["pass_rate.png", passRateChart(phat)],
  ];
  for (const [file, spec] of plots) writeFileSync(join(outDir, "plots", file), await renderPng(spec));
  lines.push("", "## Plots", "");
  for (const [file] of plots) lines.push(`![${file.replace(".png", "")}](plots/${file})`, "");
  const md = lines.join("\n");
  writeFileSync(join(outDir, "report.md"), md);
  return md;
}

/**
 * The update-size sweep's table (`spice experiment --sweep`): `oracle_challenger` with each variant's
 * trainer settings, its gain with the 95% interval over items, and its cost.
 */
export async function writeSweepReport(args: ReportArgs): Promise<string> {
  const { outDir, preset, prepared, results } = args;
  mkdirSync(join(outDir, "plots"), { recursive: true });
  const t = preset.trainer;
  const rollouts = (t.batch_docs ?? 2) * (t.challenger_samples ?? 4) * (t.reasoner_rollouts ?? 4);
  const lines: string[] = [
    `# Update-size sweep on \`oracle_challenger\`: preset \`${preset.name}\``,
    "",
    `Made by \`${args.command}\` on ${new Date().toISOString().slice(0, 10)}; the per-run JSON is in \`results/\`.`,
    "",
    `Each row is reasoner RL from the warm start with the world's gold tasks as the challenger (a perfect challenger): unless its row says otherwise, ${t.iterations} iterations of B ${t.batch_docs} documents × G ${t.challenger_samples} tasks × K ${t.reasoner_rollouts} rollouts (${rollouts} rollouts per iteration, max_new_tokens ${t.max_new_tokens}). Evaluated on ${prepared.evalItems.length} held-out items (greedy pass@1); the gain's 95% interval is a bootstrap over items. AdamW steps per iteration ≈ trajectories with a non-zero advantage ÷ minibatch × epochs; epochs > 1 clip the ratio to the behaviour log-probs at 1 ± clip; a warm-up raises the step size linearly over its first AdamW steps; "positive advantages only" (beyond the paper) leaves the group's worse rollouts out of the update.`,
    "",
    ...(args.missing?.length ? [`**Incomplete**: no result yet for ${args.missing.join(", ")}.`, ""] : []),
    "| variant | iterations | B | learning rate | minibatch | epochs | clip | warm-up steps | positive advantages only | start | end | gain, points [95% CI] | verdict | learner steps/iter | wall min | CPU min |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
  ];
  // Each variant's settings (the preset's, overridden) and its gain, computed once for the table and the best row.
  const rows = results.map((r) => {
    const start = verdicts(r.evals[0]);
    const end = verdicts(r.evals.at(-1));
    return {
      r,
      o: { ...t, ...(r.overrides ?? {}) } as Record<string, unknown>,
      gain: start && end ? pairedGain(start, [end], { seed: 1 }) : null,
    };
  });
  for (const { r, o, gain } of rows) {
    const steps = mean(r.metrics.map((m) => m["learner.steps"] ?? 0));
    lines.push(
      `| ${r.variant ?? r.config} | ${o.iterations} | ${o.batch_docs} | ${o.learning_rate} | ${o.learner_minibatch ?? 8} | ${o.learner_epochs ?? 1} | ${o.clip_eps ?? 0.2} | ${o.lr_warmup_steps ?? 0} | ${o.positive_advantages_only ? "yes" : "no"} | ${pts(r.evals[0]!.pass_at_1)} | ${pts(r.evals.at(-1)!.pass_at_1)} | ${gain ? fmtInterval(gain) : "–"} | ${gain ? intervalVerdict(gain) : "–"} | ${steps.toFixed(1)} | ${(r.seconds / 60).toFixed(1)} | ${r.cpu_seconds !== undefined ? (r.cpu_seconds / 60).toFixed(1) : "–"} |`,
    );
  }
  const best = rows.filter((x) => x.gain).sort((a, b) => b.gain!.mean - a.gain!.mean)[0];
  if (best) {
    const { o } = best;
    const d = PRESETS.default!.trainer;
    lines.push(
      "",
      `Largest measured gain: \`${best.r.variant}\` (${fmtInterval(best.gain!)} points): learning rate ${o.learning_rate}, minibatch ${o.learner_minibatch ?? 8}, epochs ${o.learner_epochs ?? 1}. The \`default\` preset's trainer uses learning rate ${d.learning_rate}, minibatch ${d.learner_minibatch ?? 8}, epochs ${d.learner_epochs ?? 1}.`,
    );
  }
  const accuracy = results.flatMap((r) =>
    r.evals.map((e) => ({ config: r.variant ?? r.config, iteration: e.iteration, value: e.pass_at_1 })),
  );
  writeFileSync(
    join(outDir, "plots", "sweep_accuracy.png"),
    await renderPng(lineChart("Held-out pass@1 (greedy) per sweep variant", "pass@1", accuracy)),
  );
  lines.push("", "![sweep accuracy](plots/sweep_accuracy.png)", "");
  const md = lines.join("\n");
  writeFileSync(join(outDir, "sweep.md"), md);
  return md;
}
