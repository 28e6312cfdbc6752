/**
 * Verifier throughput: verdicts per second on a seeded mixed set of 10,000 items
 * (integers, fractions, expressions, MCQ, strings, 5% pathological), per-item p50/p99/max
 * overall and by category, and the ratio against plain string comparison of the last box
 * in the same run. Target (issue 4): ≥ 20,000 verdicts/s on one core, max ≤ 50 ms per item.
 *
 * Two sets: "SPICE-shaped" (1,250 tasks × K = 8 rollouts, as the trainer verifies them: one
 * gold, eight answers drawn from a few forms) and "one rollout per task" (a fresh gold per
 * item; texts still recur across tasks, as small coefficients do). CPU time is reported
 * beside wall time because shared machines preempt.
 */
import { createRng } from "../src/prng.ts";
import { verify } from "../src/verify/index.ts";

type Category = "integer" | "fraction" | "expression" | "mcq" | "string" | "pathological";
interface Item {
  category: Category;
  response: string;
  gold: string;
  type: string;
  options?: Record<string, string>;
}

const N = 10_000;
const SEED = 42;

const rng = createRng(SEED);
const rand = () => rng.next();
const int = (lo: number, hi: number): number => lo + Math.floor(rand() * (hi - lo + 1));
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;

const REASONING = "We start from the given conditions and simplify step by step. Substituting and collecting terms, ";
const boxed = (x: string): string => `${REASONING.repeat(int(1, 4))}so the final answer is $\\boxed{${x}}$.`;

/** A task: its gold and the answer forms its rollouts draw from (right and wrong ones). */
interface Task {
  category: Category;
  gold: string;
  type: string;
  forms: string[];
  options?: Record<string, string>;
}

function integerTask(): Task {
  const n = int(-5000, 100000);
  const forms = [
    `${n}`,
    `x = ${n}`,
    `${n}.0`,
    `${n.toLocaleString("en-US")}`,
    `${n + int(1, 9)}`,
    `${n} \\text{ apples}`,
    `${n}+0`,
  ];
  return { category: "integer", gold: `${n}`, type: "Integer", forms };
}

function fractionTask(): Task {
  const d = int(2, 40);
  const k = int(1, 5);
  const num = int(1, 3 * d);
  const forms = [
    `\\frac{${num * k}}{${d * k}}`,
    `${num}/${d}`,
    (num / d).toFixed(8),
    `\\dfrac{${num}}{${d}}`,
    `\\frac{${num + 1}}{${d}}`,
    (num / d).toFixed(3),
  ];
  return { category: "fraction", gold: `\\frac{${num}}{${d}}`, type: "Expression", forms };
}

function expressionTask(): Task {
  const a = int(1, 9);
  const b = int(1, 9);
  const tasks: [string, string[]][] = [
    [`x^2+${2 * a}x+${a * a}`, [`(x+${a})^2`, `(x+${a})(x+${a})`, `x^2+${a * a}`, `(x+${b + 10})^2`]],
    [`x^2+${a - b}x-${a * b}`, [`(x+${a})(x-${b})`, `(x-${b})(x+${a})`, `(x-${a})(x+${b})`]],
    [`${a}`, [`${a}\\sin^2 x+${a}\\cos^2 x`, `${a}`, `${a}\\sin^2 x`]],
    [`x+${a}`, [`\\frac{x^2-${a * a}}{x-${a}}`, `${a}+x`, `x-${a}`]],
    [`${a * b}`, [`${a}\\sqrt{${b * b}}`, `${a * b}`, `${a}\\sqrt{${b}}`]],
    [`\\ln(${a * b})`, [`\\ln(${a}) + \\ln(${b})`, `\\ln ${a * b}`, `\\ln(${a + b})`]],
    [`y=${b}+${a}x`, [`y = ${a}x + ${b}`, `2y = ${2 * a}x + ${2 * b}`, `y = ${b}x + ${a}`]],
    [`\\{${b + 10}, ${a}\\}`, [`\\{${a}, ${b + 10}\\}`, `${a}, ${b + 10}`, `\\{${a}\\}`]],
    [`[${a}, ${a + b}]`, [`[${a}, ${a + b})`, `[${a}, ${a + b}]`, `x \\in [${a}, ${a + b}]`]],
  ];
  const [gold, forms] = pick(tasks);
  return { category: "expression", gold, type: "Expression", forms };
}

const OPTIONS = { A: "Rhine", B: "Danube", C: "Elbe", D: "Oder" };
function mcqTask(): Task {
  const gold = pick(["A", "B", "C", "D"]);
  const forms = [gold, `(${gold})`, `${gold}) ${OPTIONS[gold as keyof typeof OPTIONS]}`, "B, D", "A", "C", "Danube"];
  return { category: "mcq", gold, type: "MCQ", forms, options: OPTIONS };
}

const WORDS = [
  "Danube",
  "Rome",
  "Mount Everest",
  "photosynthesis",
  "München",
  "the Pacific Ocean",
  "Marie Curie",
  "mitochondria",
];
function stringTask(): Task {
  const gold = pick(WORDS);
  const forms = [gold, gold.toUpperCase(), `the ${gold}.`, `${gold}!`, pick(WORDS), `\\text{${gold}}`];
  return { category: "string", gold, type: "String", forms };
}

function rollout(task: Task): Item {
  const answer = pick(task.forms);
  const response = task.category === "mcq" && rand() < 0.3 ? `${REASONING}The answer is (${answer}).` : boxed(answer);
  return { category: task.category, response, gold: task.gold, type: task.type, options: task.options };
}

const PATHOLOGICAL: (() => Item)[] = [
  () => ({ category: "pathological", response: `${"x".repeat(50_001)}\\boxed{1}`, gold: "1", type: "Integer" }),
  () => ({
    category: "pathological",
    response: boxed(`${"(".repeat(120)}1${")".repeat(120)}`),
    gold: "1",
    type: "Integer",
  }),
  () => ({ category: "pathological", response: boxed("10^{10^{12}}-1"), gold: "9", type: "Integer" }),
  () => ({ category: "pathological", response: boxed("(10^{50})!"), gold: "1", type: "Integer" }),
  () => ({ category: "pathological", response: boxed("3^{3^{3^{2}}}"), gold: "3^{19683}", type: "Integer" }),
  () => ({ category: "pathological", response: boxed("7".repeat(10_000)), gold: "7".repeat(10_000), type: "Integer" }),
  () => ({ category: "pathological", response: `\\boxed{${"{".repeat(40_000)}`, gold: "1", type: "Integer" }),
  () => ({ category: "pathological", response: "\\boxed{1}".repeat(5_000), gold: "1", type: "Integer" }),
  () => ({ category: "pathological", response: "The answer is 1. ".repeat(2_900), gold: "1", type: "Integer" }),
  () => ({
    category: "pathological",
    response: boxed(Array.from({ length: 300 }, (_, k) => `x_{${k}}`).join("+")),
    gold: "x",
    type: "Expression",
  }),
  () => ({
    category: "pathological",
    response: boxed(`${"\\frac{1}{".repeat(90)}2${"}".repeat(90)}`),
    gold: "2",
    type: "Expression",
  }),
  () => ({ category: "pathological", response: boxed("2^{100000}"), gold: "2^{99999}\\cdot2", type: "Integer" }),
];

function freshTask(): Task {
  const r = rand();
  if (r < 0.25 / 0.95) return integerTask();
  if (r < 0.45 / 0.95) return fractionTask();
  if (r < 0.65 / 0.95) return expressionTask();
  if (r < 0.8 / 0.95) return mcqTask();
  return stringTask();
}

const K = 8;

/** `grouped`: K rollouts per task share its gold, as the trainer verifies them; else one rollout per task. */
function makeItems(grouped: boolean): Item[] {
  const items: Item[] = [];
  let task = freshTask();
  for (let k = 0; k < N; k++) {
    if (!grouped || k % K === 0) task = freshTask();
    items.push(rand() < 0.05 ? pick(PATHOLOGICAL)() : rollout(task));
  }
  return items;
}

/** The baseline: the text of the last box compared as a plain string. */
function plainCompare(response: string, gold: string): boolean {
  const at = response.lastIndexOf("\\boxed{");
  if (at < 0) return false;
  const end = response.indexOf("}", at);
  return response.slice(at + 7, end < 0 ? undefined : end).trim() === gold.trim();
}

const quantile = (sorted: number[], q: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
const fmt = (ms: number): string => (ms < 1 ? `${(ms * 1000).toFixed(0)} µs` : `${ms.toFixed(2)} ms`);

interface Run {
  label: string;
  items: Item[];
  times: Float64Array;
  wallMs: number;
  cpuMs: number;
  correct: number;
}

function runSet(label: string, items: Item[]): Run {
  for (const it of items.slice(0, 300)) verify(it.response, it.gold, it.type, it.options);
  const times = new Float64Array(items.length);
  let correct = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let k = 0; k < items.length; k++) {
    const it = items[k]!;
    const s = performance.now();
    if (verify(it.response, it.gold, it.type, it.options).correct) correct++;
    times[k] = performance.now() - s;
  }
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { label, items, times, wallMs, cpuMs: (cpu.user + cpu.system) / 1000, correct };
}

// The first verdict pays for loading the LaTeX parser; reported, not counted.
const tCold = performance.now();
verify("\\boxed{(x+1)^2}", "x^2+2x+1", "Expression");
const coldMs = performance.now() - tCold;

const runs = [
  runSet("SPICE-shaped (1,250 tasks × 8)", makeItems(true)),
  runSet("one rollout per task", makeItems(false)),
];

const baseItems = runs[0]!.items;
let plainCorrect = 0;
const b0 = performance.now();
for (let rep = 0; rep < 10; rep++) for (const it of baseItems) if (plainCompare(it.response, it.gold)) plainCorrect++;
const plainMs = (performance.now() - b0) / 10;
plainCorrect /= 10;

const rate = (n: number, ms: number): string => Math.round((n / ms) * 1000).toLocaleString("en-US");

console.log("## Verifier throughput (bench/verify.ts)\n");
console.log(
  `${N.toLocaleString("en-US")} seeded items per set (seed ${SEED}), one core, Bun ${Bun.version}. First verdict (parser load): ${fmt(coldMs)}. verdicts/s by wall time (by CPU time of this process).\n`,
);
console.log("| set | verdicts/s | total | p50 | p99 | max | judged correct | ratio vs plain |");
console.log("|---|---:|---:|---:|---:|---:|---:|---:|");
for (const r of runs) {
  const all = [...r.times].sort((a, b) => a - b);
  console.log(
    `| verify(), ${r.label} | ${rate(N, r.wallMs)} (${rate(N, r.cpuMs)}) | ${r.wallMs.toFixed(0)} ms | ${fmt(quantile(all, 0.5))} | ${fmt(quantile(all, 0.99))} | ${fmt(all[all.length - 1]!)} | ${r.correct} | ${(r.wallMs / plainMs).toFixed(0)}× slower |`,
  );
}
console.log(
  `| plain string compare of the last box (baseline, SPICE-shaped set) | ${rate(N, plainMs)} | ${plainMs.toFixed(1)} ms | – | – | – | ${plainCorrect} | 1× |`,
);
for (const r of runs) {
  console.log(`\n${r.label}, by category:\n`);
  console.log("| category | items | p50 | p99 | max |");
  console.log("|---|---:|---:|---:|---:|");
  for (const category of ["integer", "fraction", "expression", "mcq", "string", "pathological"] as Category[]) {
    const ts = r.items.flatMap((it, k) => (it.category === category ? [r.times[k]!] : [])).sort((a, b) => a - b);
    console.log(
      `| ${category} | ${ts.length} | ${fmt(quantile(ts, 0.5))} | ${fmt(quantile(ts, 0.99))} | ${fmt(ts[ts.length - 1]!)} |`,
    );
  }
}
const main = runs[0]!;
const mainMax = Math.max(...main.times);
// Both measures: wall time is the speed on a quiet machine; CPU time (which also counts the engine's JIT and GC
// threads) is the steadier one on a shared machine.
const met = (ms: number) => (N / (ms / 1000) >= 20_000 ? "met" : "NOT met");
console.log(
  `\nTarget on the SPICE-shaped set: ≥ 20,000 verdicts/s by wall time ${met(main.wallMs)}, by CPU time ${met(main.cpuMs)}; max ≤ 50 ms per item (wall) ${mainMax <= 50 ? "met" : "NOT met"}.`,
);
