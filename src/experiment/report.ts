import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CONFIG_DESCRIPTIONS, type ExperimentConfigName } from "./configs.ts";
import { challengerReward, INVALID_PENALTY } from "../spice/rewards.ts";
import { lineChart, passRateChart, renderPng } from "./plots.ts";
import type { Prepared } from "./prepare.ts";
import type { ExperimentPreset } from "./presets.ts";
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
  firstPHat: number[];
  lastPHat: number[];
  validRate: number[];
  seconds: number[];
}

/** Mean p̂ over the first / last third of a run's iterations. */
function pHatEnds(r: PairResult): [number, number] {
  const ps = r.metrics.filter((m) => m["tasks.valid"]).map((m) => m["pass_rate.mean"] ?? 0);
  const third = Math.max(1, Math.floor(ps.length / 3));
  return [mean(ps.slice(0, third)), mean(ps.slice(-third))];
}

export function summarise(results: PairResult[]): ConfigSummary[] {
  const byConfig = Map.groupBy(results, (r) => r.config);
  return [...byConfig.entries()].map(([config, rs]) => ({
    config,
    seeds: rs.map((r) => r.seed),
    start: rs.map((r) => r.evals[0]!.pass_at_1),
    end: rs.map((r) => r.evals.at(-1)!.pass_at_1),
    delta: rs.map((r) => r.evals.at(-1)!.pass_at_1 - r.evals[0]!.pass_at_1),
    firstPHat: rs.map((r) => pHatEnds(r)[0]),
    lastPHat: rs.map((r) => pHatEnds(r)[1]),
    validRate: rs.map((r) => mean(r.metrics.map((m) => m["challenger.valid_rate"] ?? 0))),
    seconds: rs.map((r) => r.seconds),
  }));
}

/**
 * "holds" when the mean gain of `a` is at least each other's; a difference smaller than the seeds'
 * spread is flagged, so that noise is not read as an ordering.
 */
function ordering(
  summaries: ConfigSummary[],
  a: ExperimentConfigName,
  others: ExperimentConfigName[],
  label: string,
): string | null {
  const sa = summaries.find((s) => s.config === a);
  const so = others.map((o) => summaries.find((s) => s.config === o)).filter((s): s is ConfigSummary => !!s);
  if (!sa || so.length === 0) return null;
  const holds = so.every((s) => mean(sa.delta) >= mean(s.delta));
  const spread = Math.max(sd(sa.delta), ...so.map((s) => sd(s.delta)));
  const withinNoise = so.every((s) => Math.abs(mean(sa.delta) - mean(s.delta)) <= spread);
  const detail = [sa, ...so].map((s) => `${s.config} ${pm(s.delta)}`).join(", ");
  return `- ${label}: **${holds ? "holds" : "does not hold"}**${withinNoise ? " (every difference within one standard deviation: not distinguishable from noise)" : ""} (gain in held-out pass@1, points: ${detail}).`;
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

export async function writeReport(args: {
  outDir: string;
  preset: ExperimentPreset;
  prepared: Prepared;
  results: PairResult[];
  command: string;
  /** Valid tasks sampled from the runs, and the share of valid tasks some rollout answered as the gold. */
  tasks?: {
    examples: TaskExample[];
    valid: number;
    answeredOnce: number;
    /** The most frequent gold answer among valid tasks of the runs' last fifth: a collapsed pair writes one answer. */
    topGold: { answer: string; share: number; tasks: number } | null;
  };
}): Promise<string> {
  const { outDir, preset, prepared, results } = args;
  mkdirSync(join(outDir, "plots"), { recursive: true });
  const summaries = summarise(results);
  const lines: string[] = [];
  lines.push(`# SPICE at CPU scale: preset \`${preset.name}\``, "");
  lines.push(
    `Made by \`${args.command}\` on ${new Date().toISOString().slice(0, 10)}. Every number below comes from that run; the per-run JSON is in \`results/\`.`,
    "",
  );
  lines.push("## Setup", "");
  lines.push(
    `- Toy world (seed ${preset.world.seed}): ${prepared.world.train_documents} training documents (the corpus), ${prepared.world.eval_documents} held-out documents whose ${prepared.world.eval_tasks} tasks form the evaluation set (the first ${prepared.evalItems.length} are evaluated; ${prepared.world.dropped_duplicates} held-out tasks dropped as duplicates of training questions).`,
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
    `- Self-play per run: ${t.iterations} iterations, B ${t.batch_docs}, G ${t.challenger_samples}, K ${t.reasoner_rollouts}, max_attempts ${t.max_attempts}, max_new_tokens ${t.max_new_tokens}, lr ${t.learning_rate}, embedded Dr. GRPO learner.`,
  );
  lines.push(
    `- Evaluation: greedy pass@1 on the held-out set (avg@${preset.evalK} also stored), at the start, every ${preset.evalEvery} iterations and at the end. Seeds: ${[...new Set(results.map((r) => r.seed))].join(", ")}.`,
    "",
  );
  lines.push("## Results", "");
  lines.push("Held-out pass@1 in percent, mean ± standard deviation over seeds.", "");
  lines.push(
    "| configuration | seeds | start | end | gain (points) | mean p̂ first → last third | challenger valid rate | minutes/run |",
  );
  lines.push("|---|---|---|---|---|---|---|---|");
  for (const s of summaries) {
    lines.push(
      `| ${s.config} — ${CONFIG_DESCRIPTIONS[s.config]} | ${s.seeds.length} | ${pm(s.start)} | ${pm(s.end)} | ${pm(s.delta)} | ${p2(mean(s.firstPHat))} → ${p2(mean(s.lastPHat))} | ${mean(s.validRate).toFixed(2)} | ${(mean(s.seconds) / 60).toFixed(1)} |`,
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
  const orderings = [rewardOrder, corpusOrder, coevo, mix].filter((l): l is string => l !== null);
  if (orderings.length) lines.push("", "## The paper's orderings, checked here", "", ...orderings);
  const silent = summaries.filter((s) => mean(s.validRate) < 0.05);
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
      "Format-valid is not answerable: a 0.25 M-parameter challenger writes garbled questions with arbitrary gold answers, so the reasoner's rewards mostly grade agreement with noise. The paper's base models (3B–8B) write coherent, document-grounded tasks from the start; here that precondition fails, which is the likeliest reason the reasoner loses held-out accuracy under self-play.",
    );
  }
  const spice = summaries.find((s) => s.config === "spice");
  if (spice) {
    lines.push("", "## Targets", "");
    lines.push(
      `- SPICE lifts held-out pass@1 by ≥ 10 points over the warm start: **${mean(spice.delta) >= 0.1 ? "met" : "not met"}** (${pm(spice.delta)} points).`,
    );
    const [first, last] = [mean(spice.firstPHat), mean(spice.lastPHat)];
    const toward =
      Number.isFinite(first) && Number.isFinite(last)
        ? Math.abs(last - 0.5) < Math.abs(first - 0.5)
          ? "yes"
          : "no"
        : "not measurable (no valid task)";
    lines.push(`- The challenger's mean p̂ moves toward 0.5: **${toward}** (${p2(first)} → ${p2(last)}).`);
  }

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
