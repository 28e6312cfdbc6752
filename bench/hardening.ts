/**
 * What a gone client and a huge prompt cost a running server (issue 17, items 2 and 3), measured
 * on a `spice serve` child process with the built tiny model, over HTTP on loopback.
 * 1. Cancellation: a k = 32 solve (plain and streamed) and a G = 32 challenger call whose client
 *    disconnects after 1 s: the server's CPU seconds from the disconnect until it is idle, against
 *    the CPU seconds of the same solve run to the end (the baseline, same run).
 * 2. Huge prompts: a 9 MiB question and a 9 MiB challenger document (time to the answer, the
 *    server's RSS growth), and three 9 MiB questions at once while /healthz is polled every 10 ms
 *    (slowest /healthz, against its p50 on the idle server). Targets: /healthz under 50 ms.
 * `bun bench/hardening.ts [--root <checkout>]`: `--root` serves another checkout (say, the main
 * branch) with this file's harness, for before/after figures. Linux only (reads /proc).
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { DEFAULT_LM, ensureModel } from "../models/index.ts";

const { values } = parseArgs({ options: { root: { type: "string", default: join(import.meta.dir, "..") } } });
const ROOT = resolve(values.root);
const NINE_MIB = 9 * 1024 * 1024;
const CLK_TCK = 100;
const log = (s: string) => process.stderr.write(`bench/hardening: ${s}\n`);

const dataDir = mkdtempSync(join(tmpdir(), "spice-bench-hardening-"));
ensureModel(dataDir, DEFAULT_LM);
const port = 20_000 + Math.floor(Math.random() * 20_000);
const base = `http://127.0.0.1:${port}`;
const server = Bun.spawn(["bun", join(ROOT, "src/cli/main.ts"), "serve", "--no-warmup"], {
  cwd: ROOT,
  env: {
    ...process.env,
    SPICE_DATA_DIR: dataDir,
    SPICE_HOST: "127.0.0.1",
    SPICE_PORT: String(port),
    SPICE_LOG_LEVEL: "error",
  },
  stdout: "ignore",
  stderr: "ignore",
});

/** The server's CPU seconds so far (user + system, from /proc). */
function cpuSeconds(): number {
  const stat = readFileSync(`/proc/${server.pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}
function rssMiB(): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${server.pid}/status`, "utf8"));
  return Number(m?.[1] ?? 0) / 1024;
}

/** Waits until the server uses under 5% of a core over half a second; returns the seconds waited. */
async function untilIdle(limitS = 120): Promise<number> {
  const t0 = performance.now();
  let last = cpuSeconds();
  for (;;) {
    await Bun.sleep(500);
    const now = cpuSeconds();
    if (now - last < 0.025 || (performance.now() - t0) / 1000 > limitS) return (performance.now() - t0) / 1000;
    last = now;
  }
}

/** A body as JSON text (9 MiB ones are serialised before the clock starts). */
const post = (path: string, body: unknown, signal?: AbortSignal) =>
  fetch(`${base}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
    signal,
  });

/**
 * /healthz polled every 10 ms from a process of its own (this one blocks while it sends 9 MiB),
 * one latency in ms per line.
 */
const POLLER = `
  const url = process.argv[1];
  for (;;) {
    const t0 = performance.now();
    await (await fetch(url)).arrayBuffer();
    console.log((performance.now() - t0).toFixed(2));
    await Bun.sleep(10);
  }`;

/** Runs `work` while sampling RSS every 20 ms and polling /healthz from another process. */
async function observed<T>(work: () => Promise<T>) {
  const rss0 = rssMiB();
  let peak = rss0;
  let done = false;
  const poller = Bun.spawn(["bun", "-e", POLLER, `${base}/healthz`], { stdout: "pipe", stderr: "ignore" });
  const lines = new Response(poller.stdout).text();
  await Bun.sleep(300); // the poller's first answers
  const sampler = (async () => {
    while (!done) {
      peak = Math.max(peak, rssMiB());
      await Bun.sleep(20);
    }
  })();
  const t0 = performance.now();
  const result = await work().finally(() => (done = true));
  const seconds = (performance.now() - t0) / 1000;
  await sampler;
  await Bun.sleep(100);
  poller.kill();
  const health = (await lines).trim().split("\n").map(Number);
  return { result, seconds, rssGrowth: peak - rss0, slowestHealthz: Math.max(0, ...health) };
}

const SOLVE = { question: "What is 2+2?", k: 32, max_tokens: 512, seed: 1 };

try {
  for (let i = 0; ; i++) {
    if (
      await fetch(`${base}/healthz`).then(
        (r) => r.ok,
        () => false,
      )
    )
      break;
    if (i > 600) throw new Error("the server did not start");
    await Bun.sleep(100);
  }
  const idle: number[] = [];
  for (let i = 0; i < 50; i++) {
    const t0 = performance.now();
    await (await fetch(`${base}/healthz`)).arrayBuffer();
    idle.push(performance.now() - t0);
  }
  idle.sort((a, b) => a - b);
  const idleP50 = idle[25]!;

  // ---- 1. cancellation ----
  log("warm-up solve …");
  await (await post("/v1/reasoner/solve", { ...SOLVE, k: 2, max_tokens: 8 })).arrayBuffer();
  log("k = 32 solve to the end (baseline) …");
  const c0 = cpuSeconds();
  const t0 = performance.now();
  await (await post("/v1/reasoner/solve", SOLVE)).arrayBuffer();
  const fullCpu = cpuSeconds() - c0;
  const fullWall = (performance.now() - t0) / 1000;
  await untilIdle();

  const cancelled: { what: string; cpu: number; idleAfter: number }[] = [];
  const disconnect = async (what: string, path: string, body: Record<string, unknown>, stream = false) => {
    log(`${what}: disconnect after 1 s …`);
    const gone = new AbortController();
    const res = post(path, body, gone.signal).then(
      async (r) => {
        if (stream) for await (const _ of r.body!) if (gone.signal.aborted) break;
      },
      () => {},
    );
    await Bun.sleep(1000);
    gone.abort();
    await res.catch(() => {});
    const at = cpuSeconds();
    const idleAfter = await untilIdle();
    cancelled.push({ what, cpu: cpuSeconds() - at, idleAfter });
  };
  await disconnect("reasoner/solve, k = 32", "/v1/reasoner/solve", SOLVE);
  await disconnect("reasoner/solve, k = 32, streamed", "/v1/reasoner/solve", { ...SOLVE, stream: true }, true);
  const doc = "The Danube flows through Vienna, Budapest and Belgrade before reaching the Black Sea. ".repeat(4);
  await disconnect("challenger/generate, n = 32 (MCQ)", "/v1/challenger/generate", {
    document: doc,
    n: 32,
    task_type: "mcq",
    max_tokens: 512,
    seed: 1,
  });

  // ---- 2. huge prompts ----
  const question = JSON.stringify({ question: "word ".repeat(NINE_MIB / 5), k: 1, max_tokens: 8 });
  const document = JSON.stringify({
    document: "The Danube flows through Vienna and Budapest. ".repeat(Math.floor(NINE_MIB / 46)),
    n: 1,
    max_attempts: 1,
    task_type: "mcq",
    max_tokens: 8,
  });
  log("one 9 MiB question …");
  const one = await observed(() => post("/v1/reasoner/solve", question).then((r) => r.status));
  await untilIdle();
  log("one 9 MiB challenger document …");
  const challenger = await observed(() => post("/v1/challenger/generate", document).then((r) => r.status));
  await untilIdle();
  log("three 9 MiB questions at once …");
  const three = await observed(() =>
    Promise.all([1, 2, 3].map(() => post("/v1/reasoner/solve", question).then((r) => r.status))),
  );

  const f = (x: number, d = 2) => x.toFixed(d);
  const out = [
    `## Hardening: gone clients and huge prompts (\`spice serve\` of ${ROOT}, built tiny model)`,
    "",
    `Baseline: the k = 32 solve (max_tokens 512) run to the end: ${f(fullCpu)} CPU s in ${f(fullWall)} s.`,
    "",
    "| client disconnects after 1 s | server CPU s after the disconnect | ratio vs the full solve | idle after (s) |",
    "|---|---|---|---|",
    ...cancelled.map((c) => `| ${c.what} | **${f(c.cpu)}** | ${f(c.cpu / fullCpu)} | ${f(c.idleAfter, 1)} |`),
    "",
    `| 9 MiB request | status | time to the answer (s) | server RSS growth (MiB) | slowest /healthz (ms) | vs idle /healthz p50 (${f(idleP50)} ms) |`,
    "|---|---|---|---|---|---|",
    `| one question | ${one.result} | **${f(one.seconds)}** | ${f(one.rssGrowth, 0)} | ${f(one.slowestHealthz, 1)} | ${f(one.slowestHealthz / idleP50, 1)}× |`,
    `| one challenger document | ${challenger.result} | **${f(challenger.seconds)}** | ${f(challenger.rssGrowth, 0)} | ${f(challenger.slowestHealthz, 1)} | ${f(challenger.slowestHealthz / idleP50, 1)}× |`,
    `| three questions at once | ${three.result.join(", ")} | **${f(three.seconds)}** | ${f(three.rssGrowth, 0)} | **${f(three.slowestHealthz, 1)}** | ${f(three.slowestHealthz / idleP50, 1)}× |`,
    "",
    `Target /healthz under 50 ms while 9 MiB requests are refused: **${Math.max(one.slowestHealthz, three.slowestHealthz) < 50 ? "met" : "not met"}**.`,
  ];
  process.stdout.write(`${out.join("\n")}\n`);
} finally {
  server.kill();
  await server.exited;
  rmSync(dataDir, { recursive: true, force: true });
}
