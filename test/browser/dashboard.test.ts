import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, statSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { corpusDataDir, prose } from "../corpus/helpers.ts";
import { startFakeOpenAI } from "../fakes/openai-server.ts";
import { tempDir } from "../helpers.ts";
import { arithmeticScript } from "../trainer/fixtures.ts";
import { HAVE_CHROMIUM, launch, loopbackOnly, screenshotDir, serve, until } from "./helpers.ts";

/**
 * The dashboard in a real browser (Debian's chromium through playwright-core) against a real
 * `spice serve` on loopback: a short real training run (the trainer, SQLite, the corpus in LanceDB;
 * the policy is the fake OpenAI-compatible server, the one part that cannot run here) is started from
 * the page's configuration editor, its curves and task table show its data and grow while it runs,
 * and the page's buttons pause, resume and stop it. No request leaves loopback.
 */
const fake = startFakeOpenAI({ delayMs: 30 });
fake.setReply((prompt, choice) => arithmeticScript(prompt, { sample: choice }));
const models = corpusDataDir();
const data = tempDir();
const scratch = tempDir();
let server: Awaited<ReturnType<typeof serve>>;
let browser: Browser;

const CONFIG = {
  iterations: 60,
  seed: 3,
  batch_docs: 2,
  challenger_samples: 3,
  reasoner_rollouts: 2,
  max_attempts: 3,
  use_corpus: true,
  learner: "rollout-only",
  max_new_tokens: 200,
  checkpoint_every: 10,
};

const api = async <T>(path: string, init?: RequestInit) =>
  (await (await fetch(`${server.url}${path}`, init)).json()) as T;
type Status = { state: string; run_id: string | null; iteration: number };

beforeAll(async () => {
  if (!HAVE_CHROMIUM) return;
  mkdirSync(join(data.dir, "models"), { recursive: true });
  for (const m of ["spice-encoder-tiny", "spice-lm-tiny"])
    symlinkSync(join(models.dir, "models", m), join(data.dir, "models", m));
  server = await serve({ SPICE_DATA_DIR: data.dir, SPICE_POLICY_URL: fake.url });
  // The toy corpus the scripted policy reads: each document says how many apples someone has.
  const documents = Array.from({ length: 12 }, (_, i) => ({
    id: `apples-${i}`,
    text: `Sam has ${10 + i} apples. ${prose(i)}`,
    source: "test://apples",
  }));
  const ingest = await api<{ documents_added: number }>("/v1/corpus/documents", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ documents }),
  });
  expect(ingest.documents_added).toBe(12);
  browser = await launch();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  server?.proc.kill("SIGTERM");
  await server?.proc.exited;
  await fake.stop();
  models.cleanup();
  data.cleanup();
  scratch.cleanup();
});

describe.skipIf(!HAVE_CHROMIUM)("the dashboard in chromium", () => {
  test("start from the editor; live curves and tasks with the run's data; pause, resume, stop; loopback only", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const net = await loopbackOnly(page);
    await page.goto(`${server.url}/`);
    await page.waitForSelector("#trainer-state:has-text('trainer idle')");
    // The corpus panel: stats and the manifest hash.
    const manifest = await api<{ content_hash: string }>("/v1/corpus/manifest");
    await page.waitForSelector("#corpus dd");
    expect(await page.getAttribute(`#corpus dd[title="${manifest.content_hash}"]`, "title")).toBe(
      manifest.content_hash,
    );

    // Start from the configuration editor: an invalid value is refused by the trainer's schema first.
    await page.click("#btn-start");
    await page.waitForSelector("#start-dialog[open]");
    await until(
      () => page.inputValue("#config-editor"),
      (v) => v.includes('"iterations"'),
    );
    await page.fill("#config-editor", JSON.stringify({ ...CONFIG, batch_docs: 0 }));
    await page.waitForSelector("#config-check.error:has-text('batch_docs')");
    await page.fill("#config-editor", JSON.stringify(CONFIG, null, 2));
    await page.waitForSelector("#config-check.ok:has-text('starts a new run')");
    await page.click("#btn-start-go");
    await page.waitForSelector("#start-dialog", { state: "hidden" });
    const runId = (
      await until(
        () => api<Status>("/v1/trainer/status"),
        (s) => s.run_id !== null,
      )
    ).run_id!;

    // The curves show the run's own numbers, and grow while it runs.
    await page.waitForFunction(() => (window as any).spiceDashboard.metricsRows >= 3, null, { timeout: 30_000 });
    const shown = (await page.evaluate(() => {
      const d = (window as any).spiceDashboard;
      return { run: d.selectedRun, acc: d.charts.accuracy.data, valid: d.charts.valid.data };
    })) as { run: string; acc: (number | null)[][]; valid: (number | null)[][] };
    expect(shown.run).toBe(runId);
    const stored = await api<{ metrics: Record<string, number>[] }>(
      `/v1/trainer/runs/${runId}/metrics?names=reasoner.accuracy,challenger.valid_rate`,
    );
    const n = shown.acc[0]!.length;
    expect(shown.acc[0]).toEqual(stored.metrics.slice(0, n).map((m) => m.iteration!));
    expect(shown.acc[1]).toEqual(stored.metrics.slice(0, n).map((m) => m["reasoner.accuracy"]!));
    expect(shown.valid[1]).toEqual(stored.metrics.slice(0, n).map((m) => m["challenger.valid_rate"]!));
    await page.waitForFunction((k) => (window as any).spiceDashboard.metricsRows > k, n, { timeout: 30_000 });
    // The p̂ histogram has bars.
    const hist = (await page.evaluate(() => (window as any).spiceDashboard.charts.histogram.data)) as number[][];
    expect(hist[1]!.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);

    // The task table: the newest tasks with their document, question, gold, p̂ and verdicts.
    await page.waitForSelector("#tasks tbody tr.valid");
    // One snapshot of the table's valid rows (it is redrawn every few seconds), checked against the database.
    const rows = await page.$$eval("#tasks tbody tr.valid", (trs) =>
      trs.map((tr) => ({
        id: Number(tr.getAttribute("data-task")),
        iteration: Number(tr.querySelector("td")!.textContent),
        doc: tr.querySelector("td.doc")!.textContent,
        question: tr.querySelector("td.question")!.textContent,
        gold: tr.querySelector("td.gold")!.textContent,
        verdicts: [...tr.querySelectorAll(".verdict")].map((v) => v.textContent),
      })),
    );
    expect(rows.length).toBeGreaterThan(0);
    const r0 = rows[0]!;
    const stored0 = (
      await api<{
        tasks: { id: number; question: string; gold: string; rollouts: { extracted: string; correct: boolean }[] }[];
      }>(`/v1/trainer/runs/${runId}/tasks?iteration=${r0.iteration}&limit=500`)
    ).tasks.find((t) => t.id === r0.id)!;
    expect(r0.question).toBe(stored0.question);
    expect(r0.gold).toBe(stored0.gold);
    expect(r0.doc).toContain("apples");
    expect(r0.verdicts).toEqual(stored0.rollouts.map((ro) => `${ro.extracted} ${ro.correct ? "✓" : "✗"}`));
    expect(r0.verdicts).toHaveLength(CONFIG.reasoner_rollouts);
    // Filter: only invalid outputs.
    await page.selectOption("#task-filter select[name=valid]", "false");
    await until(
      () => page.$$eval("#tasks tbody tr", (trs) => trs.map((t) => t.className)),
      (cls) => cls.length > 0 && cls.every((c) => c === "invalid"),
    );
    await page.selectOption("#task-filter select[name=valid]", "any");

    // Screenshot while it runs.
    await page.waitForTimeout(1500);
    const shot = join(screenshotDir(scratch.dir), "dashboard.png");
    await page.screenshot({ path: shot });
    expect(statSync(shot).size).toBeGreaterThan(20_000);
    // The task table, its first rows.
    const table = page.locator("section:has(#tasks)");
    await table.scrollIntoViewIfNeeded();
    const box = (await table.boundingBox())!;
    const tasksShot = join(screenshotDir(scratch.dir), "dashboard-tasks.png");
    await page.screenshot({
      path: tasksShot,
      fullPage: true,
      clip: {
        x: box.x,
        y: box.y + (await page.evaluate(() => window.scrollY)),
        width: box.width,
        height: Math.min(box.height, 520),
      },
    });
    expect(statSync(tasksShot).size).toBeGreaterThan(10_000);

    // Controls: pause, resume, stop, as the server sees them.
    await page.click("#btn-pause");
    await until(
      () => api<Status>("/v1/trainer/status"),
      (s) => s.state === "paused",
    );
    await page.waitForSelector("#trainer-state.paused");
    const pausedAt = (await api<Status>("/v1/trainer/status")).iteration;
    await Bun.sleep(800);
    expect((await api<Status>("/v1/trainer/status")).iteration).toBeLessThanOrEqual(pausedAt + 1);
    await page.click("#btn-resume");
    await until(
      () => api<Status>("/v1/trainer/status"),
      (s) => s.state === "running" && s.iteration > pausedAt + 1,
    );
    await page.click("#btn-stop");
    await until(
      () => api<Status>("/v1/trainer/status"),
      (s) => s.state === "stopped",
    );
    await page.waitForSelector("#trainer-state.stopped");
    const runs = await api<{ runs: { id: string; status: string }[] }>("/v1/trainer/runs");
    expect(runs.runs).toEqual([expect.objectContaining({ id: runId, status: "stopped" })]);

    // Page weight and time to first render, measured by the browser on a fresh load.
    await page.reload();
    await page.waitForFunction(() => performance.getEntriesByName("spice:first-render").length > 0);
    const perf = (await page.evaluate(() => {
      const nav = performance.getEntriesByType("navigation")[0] as PerformanceNavigationTiming;
      const res = performance.getEntriesByType("resource") as PerformanceResourceTiming[];
      const statics = res.filter((r) => /\/dashboard\/app\.(js|css)$/.test(r.name));
      return {
        html_bytes: nav.transferSize,
        static_bytes: nav.transferSize + statics.reduce((a, r) => a + r.transferSize, 0),
        static_decoded_bytes: nav.decodedBodySize + statics.reduce((a, r) => a + r.decodedBodySize, 0),
        api_bytes: res.filter((r) => r.name.includes("/v1/")).reduce((a, r) => a + r.transferSize, 0),
        requests: res.length + 1,
        dom_content_loaded_ms: Math.round(nav.domContentLoadedEventEnd),
        first_render_ms: Math.round(performance.getEntriesByName("spice:first-render")[0]!.startTime),
      };
    })) as Record<string, number>;
    console.log(`dashboard performance: ${JSON.stringify(perf)}`);
    expect(perf.static_bytes).toBeGreaterThan(1000);
    expect(perf.first_render_ms).toBeGreaterThan(0);

    expect(net.outside).toEqual([]);
    expect(net.urls.length).toBeGreaterThan(5);
    await page.close();
  }, 120_000);

  test("with SPICE_API_TOKEN: the page asks for the token, retries with it, keeps it for the session only", async () => {
    const token = "dashboard-test-token-0123456789";
    const secured = await serve({ SPICE_DATA_DIR: data.dir, SPICE_API_TOKEN: token, SPICE_POLICY_URL: fake.url });
    try {
      const context = await browser.newContext();
      const page = await context.newPage();
      const net = await loopbackOnly(page);
      await page.goto(`${secured.url}/dashboard`);
      // The page itself is served without the token; the API asks for it.
      await page.waitForSelector("#token-dialog[open]");
      await page.fill("#token-dialog input", "not-the-token-0000000000");
      await page.click("#token-dialog button[type=submit]");
      await page.waitForSelector("#token-dialog[open] .token-message:has-text('refused')");
      await page.fill("#token-dialog input", token);
      await page.click("#token-dialog button[type=submit]");
      await page.waitForSelector("#trainer-state:has-text('trainer')");
      await page.waitForSelector("#runs tbody tr");
      expect(await page.evaluate(() => sessionStorage.getItem("spice.api-token"))).toBe(token);
      expect(await page.evaluate(() => localStorage.length)).toBe(0);
      // Every API call after the prompt carried it; none went elsewhere.
      expect(net.outside).toEqual([]);
      // A new session (another browser context) is asked again.
      const fresh = await browser.newContext();
      const again = await fresh.newPage();
      await again.goto(`${secured.url}/`);
      await again.waitForSelector("#token-dialog[open]");
      await fresh.close();
      await context.close();
    } finally {
      secured.proc.kill("SIGTERM");
      await secured.proc.exited;
    }
  }, 60_000);
});
