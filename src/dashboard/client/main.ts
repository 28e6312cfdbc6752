import { api, ApiError } from "./api.ts";
import { fmt, HistogramChart, LineChart, type ChartSpec, type Row } from "./charts.ts";
import "./style.css";

/**
 * The SPICE dashboard (served by `spice serve` at / and /dashboard). Everything it shows comes from
 * the /v1 routes of the server that served it, polled: the trainer's status every second, the
 * selected run's new metrics rows every 1.5 s, its latest tasks every 4 s. Model output and corpus
 * text are data: they only ever reach the page as text nodes.
 */

interface Holder {
  pid: number;
  host: string;
  run_id: string | null;
  this_process: boolean;
}
interface Status {
  state: string;
  run_id: string | null;
  iteration: number;
  iterations: number | null;
  error: string | null;
  holder: Holder | null;
}
interface RunRow {
  id: string;
  createdAt: string;
  status: string;
  learner: string;
  config: Record<string, unknown>;
  corpusHash: string | null;
  iterations_committed: number;
  iterations: number | null;
}
interface Rollout {
  sample: number;
  extracted: string | null;
  correct: boolean;
}
interface TaskRow {
  id: number;
  iteration: number;
  document_excerpt: string | null;
  doc_id: string | null;
  valid: boolean;
  reason: string | null;
  question: string | null;
  gold: string | null;
  answer_type: string | null;
  task_type: string | null;
  pass_rate: number | null;
  rollouts: Rollout[];
}
interface Validation {
  config: Record<string, unknown>;
  action: "resume" | "new" | "conflict";
  run_id: string | null;
  differing_keys: string[];
  holder: Holder | null;
}

/** Element helper: attributes and children; strings become text nodes (never HTML). */
function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: (Node | string | null | undefined)[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  for (const c of children) if (c !== null && c !== undefined) el.append(c);
  return el;
}
const $ = <T extends HTMLElement = HTMLElement>(sel: string) => document.querySelector(sel) as T;
const short = (id: string | null | undefined, n = 8) => (id ? id.slice(0, n) : "–");
const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

const CHARTS: ChartSpec[] = [
  {
    id: "accuracy",
    title: "Reasoner accuracy and held-out evaluation",
    yRange: [0, 1],
    series: [
      { label: "reasoner accuracy", color: "#4c78a8", value: (r) => r["reasoner.accuracy"] },
      { label: "held-out pass@1", color: "#e45756", value: (r) => r["eval.pass_at_1"], sparse: true },
      { label: "held-out avg@K", color: "#f58518", value: (r) => r["eval.avg_at_k"], sparse: true },
    ],
  },
  {
    id: "valid",
    title: "Challenger valid rate",
    yRange: [0, 1],
    series: [{ label: "valid rate", color: "#54a24b", value: (r) => r["challenger.valid_rate"] }],
  },
  {
    id: "pass-rate",
    title: "Mean p̂ of valid tasks",
    yRange: [0, 1],
    series: [{ label: "mean p̂", color: "#b279a2", value: (r) => r["pass_rate.mean"] }],
  },
  {
    id: "rewards",
    title: "Rewards",
    series: [
      { label: "challenger mean", color: "#f58518", value: (r) => r["challenger.mean_reward"] },
      { label: "reasoner mean", color: "#4c78a8", value: (r) => r["reasoner.accuracy"] },
    ],
  },
  {
    id: "advantage",
    title: "Advantage spread (std)",
    series: [
      { label: "challenger", color: "#f58518", value: (r) => r["advantage.challenger_std"] },
      { label: "reasoner", color: "#4c78a8", value: (r) => r["advantage.reasoner_std"] },
    ],
  },
  {
    id: "throughput",
    title: "Generated tokens per second",
    series: [
      {
        label: "tokens/s",
        color: "#72b7b2",
        value: (r) => {
          const s = (r["seconds.challenger"] ?? 0) + (r["seconds.reasoner"] ?? 0);
          return r["tokens.generated"] !== undefined && s > 0 ? r["tokens.generated"] / s : undefined;
        },
      },
    ],
  },
  {
    id: "phases",
    title: "Seconds per phase",
    series: [
      { label: "corpus", color: "#bab0ac", value: (r) => r["seconds.corpus"] },
      { label: "challenger", color: "#f58518", value: (r) => r["seconds.challenger"] },
      { label: "reasoner", color: "#4c78a8", value: (r) => r["seconds.reasoner"] },
      { label: "verify", color: "#54a24b", value: (r) => r["seconds.verify"] },
      { label: "learner", color: "#e45756", value: (r) => r["seconds.learner"] },
      { label: "database", color: "#9d755d", value: (r) => r["seconds.database"] },
    ],
  },
  {
    id: "learner",
    title: "Learner loss and gradient norm",
    series: [
      { label: "loss", color: "#e45756", value: (r) => r["learner.loss"] },
      { label: "grad norm", color: "#9d755d", value: (r) => r["learner.grad_norm"], right: true },
    ],
  },
];

const LAYOUT = `
<header>
  <h1>SPICE <span>self-play dashboard</span></h1>
  <div id="trainer-state" class="state">…</div>
  <div class="controls">
    <button id="btn-start" title="start or resume a run">Start…</button>
    <button id="btn-pause">Pause</button>
    <button id="btn-resume">Resume</button>
    <button id="btn-stop">Stop</button>
  </div>
</header>
<div id="message" role="status"></div>
<main>
  <section class="panel runs"><h2>Runs</h2>
    <table id="runs"><thead><tr><th>run</th><th>kind</th><th>state</th><th>started</th><th>iterations</th><th>corpus</th></tr></thead><tbody></tbody></table>
    <details id="run-config"><summary>configuration of the selected run</summary><pre></pre></details>
  </section>
  <section class="panel corpus"><h2>Corpus</h2><dl id="corpus"></dl></section>
  <section class="panel wide"><h2 id="run-title">Run</h2><div id="charts" class="charts"></div></section>
  <section class="panel wide"><h2>Latest tasks</h2>
    <form id="task-filter" class="filters">
      <label>validity <select name="valid"><option value="any">any</option><option value="true">valid</option><option value="false">invalid</option></select></label>
      <label>p̂ ≥ <input name="p_min" type="number" min="0" max="1" step="0.05" placeholder="0"></label>
      <label>p̂ ≤ <input name="p_max" type="number" min="0" max="1" step="0.05" placeholder="1"></label>
    </form>
    <table id="tasks"><thead><tr><th>it.</th><th>document</th><th>question</th><th>gold</th><th>type</th><th>p̂</th><th>rollouts (extracted, verdict)</th></tr></thead><tbody></tbody></table>
  </section>
</main>
<dialog id="start-dialog">
  <form method="dialog" id="start-form">
    <h2>Start a run</h2>
    <p>The trainer configuration (docs/trainer.md), checked against the trainer's schema as you type.</p>
    <textarea id="config-editor" spellcheck="false" rows="22"></textarea>
    <div id="config-check" class="check"></div>
    <label><input type="checkbox" id="opt-new-run"> start a new run (<code>new_run</code>)</label>
    <label><input type="checkbox" id="opt-resume"> resume the unfinished run with its stored configuration (<code>resume</code>)</label>
    <menu><button value="cancel" formnovalidate>Cancel</button><button id="btn-start-go" value="start">Start</button></menu>
  </form>
</dialog>
<dialog id="token-dialog">
  <form>
    <h2>API token</h2>
    <p class="token-message"></p>
    <input type="password" name="token" autocomplete="off" placeholder="SPICE_API_TOKEN">
    <p class="hint">Kept for this browser tab's session only.</p>
    <menu><button type="submit">Use token</button></menu>
  </form>
</dialog>`;

/** What tests and curious users can read from the console: the charts and how often they were drawn. */
const exposed = {
  charts: {} as Record<string, { data: unknown[][] }>,
  selectedRun: null as string | null,
  metricsRows: 0,
  renders: 0,
  tasks: 0,
};
(window as unknown as { spiceDashboard: typeof exposed }).spiceDashboard = exposed;

let status: Status | null = null;
let runs: RunRow[] = [];
let selected: string | null = null;
let pinned = false;
let rows: Row[] = [];
const charts = new Map<string, LineChart>();
let histogram: HistogramChart;

function say(text: string, kind: "info" | "error" = "info"): void {
  const m = $("#message");
  m.textContent = text;
  m.className = kind;
}

function renderStatus(): void {
  if (!status) return;
  const s = status;
  const where = s.holder
    ? s.holder.this_process
      ? "in this server"
      : `in pid ${s.holder.pid} on ${s.holder.host}`
    : "";
  const el = $("#trainer-state");
  el.className = `state ${s.state}`;
  el.textContent = `trainer ${s.state}${s.run_id ? ` · run ${short(s.run_id)} · iteration ${s.iteration}/${s.iterations ?? "?"}` : ""}${where ? ` · ${where}` : ""}`;
  if (s.error) el.title = s.error;
  const active = ["running", "paused", "stopping"].includes(s.state);
  $<HTMLButtonElement>("#btn-start").disabled = active;
  $<HTMLButtonElement>("#btn-pause").disabled = s.state !== "running";
  $<HTMLButtonElement>("#btn-resume").disabled = s.state !== "paused";
  $<HTMLButtonElement>("#btn-stop").disabled = !["running", "paused"].includes(s.state);
}

function renderRuns(): void {
  const body = $("#runs tbody");
  body.replaceChildren(
    ...runs
      .slice()
      .reverse()
      .map((r) => {
        const tr = h(
          "tr",
          { "data-run": r.id, class: r.id === selected ? "selected" : "" },
          h("td", { title: r.id }, short(r.id)),
          h("td", {}, r.learner),
          h("td", {}, h("span", { class: `badge ${r.status}` }, r.status)),
          h("td", {}, new Date(r.createdAt).toLocaleString()),
          h("td", {}, `${r.iterations_committed}/${r.iterations ?? "?"}`),
          h("td", { title: r.corpusHash ?? "" }, short(r.corpusHash?.replace(/^sha256:/, ""), 10)),
        );
        tr.onclick = () => {
          pinned = true;
          select(r.id);
        };
        return tr;
      }),
  );
  const run = runs.find((r) => r.id === selected);
  $("#run-config pre").textContent = run ? JSON.stringify(run.config, null, 2) : "";
  $("#run-title").textContent = run
    ? `Run ${short(run.id)} · ${run.learner} · ${run.status} · ${run.iterations_committed}/${run.iterations ?? "?"} iterations`
    : "No run yet: start one";
}

function select(id: string | null): void {
  if (id === selected) return;
  selected = id;
  exposed.selectedRun = id;
  rows = [];
  for (const c of charts.values()) c.setRows([]);
  histogram.setCounts([]);
  renderRuns();
  void pollMetrics();
  void pollTasks();
}

async function pollStatus(): Promise<void> {
  status = await api<Status>("/v1/trainer/status");
  renderStatus();
  if (!pinned && status.run_id && status.run_id !== selected) select(status.run_id);
}

async function pollRuns(): Promise<void> {
  runs = (await api<{ runs: RunRow[] }>("/v1/trainer/runs")).runs;
  if (!selected && runs.length) select((status?.run_id ?? runs.at(-1)?.id) || null);
  renderRuns();
}

async function pollMetrics(): Promise<void> {
  const run = selected;
  if (!run) return;
  const since = rows.at(-1)?.iteration ?? 0;
  const m = await api<{ metrics: Row[]; pass_rate_histogram: { counts: number[] } }>(
    `/v1/trainer/runs/${encodeURIComponent(run)}/metrics?since=${since}&window=10`,
  );
  if (run !== selected) return;
  // A resumed iteration may add a metric to an existing row (e.g. the held-out evaluation): merge by iteration.
  const byIter = new Map(rows.map((r) => [r.iteration, r]));
  for (const r of m.metrics) byIter.set(r.iteration, { ...byIter.get(r.iteration), ...r });
  rows = [...byIter.values()].sort((a, b) => (a.iteration ?? 0) - (b.iteration ?? 0));
  for (const c of charts.values()) c.setRows(rows);
  histogram.setCounts(m.pass_rate_histogram.counts);
  exposed.metricsRows = rows.length;
  exposed.renders++;
  if (exposed.renders === 1) performance.mark("spice:first-render");
}

async function pollTasks(): Promise<void> {
  const run = selected;
  const body = $("#tasks tbody");
  if (!run) {
    body.replaceChildren();
    return;
  }
  const f = new FormData($<HTMLFormElement>("#task-filter"));
  const q = new URLSearchParams({ limit: "30", valid: String(f.get("valid") ?? "any") });
  for (const k of ["p_min", "p_max"]) if (f.get(k)) q.set(k, String(f.get(k)));
  const { tasks } = await api<{ tasks: TaskRow[] }>(`/v1/trainer/runs/${encodeURIComponent(run)}/tasks?${q}`);
  if (run !== selected) return;
  body.replaceChildren(
    ...tasks.map((t) =>
      h(
        "tr",
        { class: t.valid ? "valid" : "invalid", "data-task": String(t.id) },
        h("td", {}, String(t.iteration)),
        h(
          "td",
          { class: "doc", title: t.document_excerpt ?? t.doc_id ?? "" },
          clip(t.document_excerpt ?? t.doc_id ?? "–", 140),
        ),
        h(
          "td",
          { class: "question" },
          t.valid ? (t.question ?? "") : h("span", { class: "reason" }, `invalid: ${t.reason ?? "?"}`),
        ),
        h("td", { class: "gold" }, t.gold ?? "–"),
        h("td", {}, t.answer_type ?? t.task_type ?? "–"),
        h("td", { class: "p" }, t.pass_rate === null ? "–" : fmt(t.pass_rate)),
        h(
          "td",
          { class: "rollouts" },
          ...t.rollouts.map((r) =>
            h(
              "span",
              { class: `verdict ${r.correct ? "ok" : "bad"}`, title: `rollout ${r.sample}` },
              `${r.extracted ?? "∅"} ${r.correct ? "✓" : "✗"}`,
            ),
          ),
        ),
      ),
    ),
  );
  exposed.tasks = tasks.length;
}

async function pollCorpus(): Promise<void> {
  const [stats, manifest] = await Promise.all([
    api<{ documents: number; segments: number; tokens: number; rejected_total: number; corpus_version: number }>(
      "/v1/corpus/stats",
    ),
    api<{ content_hash: string }>("/v1/corpus/manifest"),
  ]);
  const dl = $("#corpus");
  const item = (k: string, v: string, title = "") => [h("dt", {}, k), h("dd", { title }, v)];
  dl.replaceChildren(
    ...item("documents", String(stats.documents)),
    ...item("segments", String(stats.segments)),
    ...item("tokens", String(stats.tokens)),
    ...item("rejected", String(stats.rejected_total)),
    ...item("version", String(stats.corpus_version)),
    ...item("manifest hash", short(manifest.content_hash.replace(/^sha256:/, ""), 16), manifest.content_hash),
  );
}

/** Run `fn` now and every `ms`, reporting failures in the message line without stopping. */
function every(ms: number, fn: () => Promise<void>): void {
  const tick = async () => {
    try {
      await fn();
    } catch (err) {
      say(err instanceof ApiError ? `${err.status}: ${err.message}` : String(err), "error");
    }
    setTimeout(tick, ms);
  };
  void tick();
}

async function control(action: "pause" | "resume" | "stop"): Promise<void> {
  try {
    status = await api<Status>(`/v1/trainer/${action}`, { method: "POST" });
    renderStatus();
    say(`trainer ${status.state}`);
  } catch (err) {
    say(String((err as Error).message), "error");
  }
}

/** The body the editor and the two boxes make; a parse error is shown and stops there. */
function startBody(): Record<string, unknown> | null {
  const check = $("#config-check");
  let config: unknown;
  try {
    config = JSON.parse($<HTMLTextAreaElement>("#config-editor").value || "{}");
  } catch (err) {
    check.className = "check error";
    check.textContent = `not JSON: ${(err as Error).message}`;
    return null;
  }
  if (typeof config !== "object" || config === null || Array.isArray(config)) {
    check.className = "check error";
    check.textContent = "the configuration is one JSON object";
    return null;
  }
  return {
    ...config,
    ...($<HTMLInputElement>("#opt-new-run").checked ? { new_run: true } : {}),
    ...($<HTMLInputElement>("#opt-resume").checked ? { resume: true } : {}),
  };
}

async function validate(): Promise<boolean> {
  const body = startBody();
  const check = $("#config-check");
  if (!body) return false;
  try {
    const v = await api<Validation>("/v1/trainer/validate", { method: "POST", body });
    check.className = v.action === "conflict" || v.holder ? "check warn" : "check ok";
    check.textContent = v.holder
      ? `valid, but a trainer is running (pid ${v.holder.pid} on ${v.holder.host}): stop it first`
      : v.action === "new"
        ? "valid: starts a new run"
        : v.action === "resume"
          ? `valid: resumes run ${short(v.run_id)}`
          : `differs from the unfinished run ${short(v.run_id)} in ${v.differing_keys.join(", ")}: tick "new run" or "resume"`;
    return v.action !== "conflict" && !v.holder;
  } catch (err) {
    check.className = "check error";
    const e = err as ApiError;
    check.textContent = e.body?.errors?.length
      ? e.body.errors.map((x) => `${x.field}: ${x.message}`).join("\n")
      : String(e.message);
    return false;
  }
}

async function openStart(): Promise<void> {
  const dialog = $<HTMLDialogElement>("#start-dialog");
  const editor = $<HTMLTextAreaElement>("#config-editor");
  if (!editor.value) {
    // The defaults (or the unfinished run's stored configuration), as the server fills them in.
    const v = await api<Validation>("/v1/trainer/validate", { method: "POST", body: {} });
    editor.value = JSON.stringify(v.config, null, 2);
  }
  dialog.showModal();
  void validate();
}

async function submitStart(): Promise<void> {
  const body = startBody();
  if (!body) return;
  try {
    status = await api<Status>("/v1/trainer/start", { method: "POST", body });
    $<HTMLDialogElement>("#start-dialog").close();
    pinned = false;
    say(`started run ${short(status.run_id)}`);
    renderStatus();
    await pollRuns();
    if (status.run_id) select(status.run_id);
  } catch (err) {
    const check = $("#config-check");
    check.className = "check error";
    check.textContent = String((err as Error).message);
  }
}

function mount(): void {
  $("#app").innerHTML = LAYOUT;
  const grid = $("#charts");
  for (const spec of CHARTS) {
    const el = h("div", { class: "chart", id: `chart-${spec.id}` }, h("h3", {}, spec.title));
    grid.append(el);
    charts.set(spec.id, new LineChart(el, spec));
  }
  const histEl = h("div", { class: "chart", id: "chart-histogram" }, h("h3", {}, "p̂ histogram (last 10 iterations)"));
  grid.append(histEl);
  histogram = new HistogramChart(histEl);
  for (const [id, c] of charts) exposed.charts[id] = c.u as unknown as { data: unknown[][] };
  exposed.charts.histogram = histogram.u as unknown as { data: unknown[][] };
  window.addEventListener("resize", () => {
    for (const c of charts.values()) c.resize();
    histogram.resize();
  });
  $("#btn-pause").onclick = () => void control("pause");
  $("#btn-resume").onclick = () => void control("resume");
  $("#btn-stop").onclick = () => void control("stop");
  $("#btn-start").onclick = () => void openStart().catch((err) => say(String(err.message), "error"));
  $("#btn-start-go").onclick = (e) => {
    e.preventDefault();
    void submitStart();
  };
  let timer: ReturnType<typeof setTimeout> | undefined;
  const revalidate = () => {
    clearTimeout(timer);
    timer = setTimeout(() => void validate(), 250);
  };
  $("#config-editor").addEventListener("input", revalidate);
  $("#opt-new-run").addEventListener("change", revalidate);
  $("#opt-resume").addEventListener("change", revalidate);
  $("#task-filter").addEventListener("input", () => void pollTasks());
  every(1000, pollStatus);
  every(3000, pollRuns);
  every(1500, pollMetrics);
  every(4000, pollTasks);
  every(30000, pollCorpus);
}

mount();
