/**
 * The NeMo-Gym environment (issue 15), on loopback with a real data dir:
 * 1. a challenger row's `/verify` is dominated by its K reasoner samples: against a fake policy server with a
 *    fixed latency, the K requests go out concurrently, so the call takes about one request's time, not K. The
 *    baseline is the same K requests sent one after another, measured in the same run.
 * 2. a reasoner row's `/step` latency with 200 rollouts in flight (target p99 ≤ 5 ms), each rollout resetting,
 *    "generating" for 0.5-1.5 s and stepping; the baseline is the liveness route `GET /` asked by the same
 *    rollouts right after each step. The environment runs in its own process, as NeMo-Gym runs it.
 */
import { join } from "node:path";
import { challengerRows, reasonerRows } from "../src/gym/rows.ts";
import { createRng } from "../src/prng.ts";
import { startFakeOpenAI } from "../test/fakes/openai-server.ts";
import { tempDir } from "../test/helpers.ts";
import { agentRow, GymAgentClient, responseFor, simpleAgentRun } from "../test/gym/nemo-client.ts";

const LATENCY_MS = 100;
const K = 8;
const ROLLOUTS = 200;
const REPS = 5;
const ROUNDS = 3;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.ceil(q * xs.length) - 1]!;

const fake = startFakeOpenAI({ delayMs: LATENCY_MS });
fake.setReply((_prompt, _choice, body) => `\\boxed{${Number(body.seed ?? 0) % 2 === 0 ? 3 : 4}}`);
const data = tempDir("spice-bench-gym-");

// The environment in its own process, as NeMo-Gym runs it: the load generator below does not share its event loop.
const server = Bun.spawn(
  [
    "bun",
    join(import.meta.dir, "../src/cli/main.ts"),
    "gym",
    "serve",
    "--gym-port",
    "0",
    "--k",
    String(K),
    "--window",
    "1000",
  ],
  {
    env: { ...process.env, SPICE_DATA_DIR: data.dir, SPICE_POLICY_URL: fake.url, SPICE_LOG_LEVEL: "warn" },
    stderr: "pipe",
  },
);
let banner = "";
const reader = server.stderr.getReader();
while (!/gym environment on (\S+) /.test(banner)) {
  const { value, done } = await reader.read();
  if (done) throw new Error(`gym serve did not start: ${banner}`);
  banner += new TextDecoder().decode(value);
}
reader.releaseLock();
const url = /gym environment on (\S+) /.exec(banner)![1]!;

// 1. Challenger /verify, one at a time.
const [row] = challengerRows(
  [{ id: "seg", text: "A library opened in 1905 with three reading rooms." }],
  createRng(1),
  {
    taskTypes: ["free_form"],
    agent: null,
  },
);
async function verifyOnce(i: number): Promise<number> {
  const r = agentRow({ ...row!, spice_answer_type: "Integer" }, i, 0);
  const task = JSON.stringify({ question: `How many reading rooms (${i})?`, answer: "3", answer_type: "Integer" });
  const t0 = performance.now();
  const { response } = await simpleAgentRun(url, r, task);
  if (response.status !== 200) throw new Error(`verify ${response.status}: ${await response.text()}`);
  await response.json();
  return performance.now() - t0;
}
async function sequentialK(): Promise<number> {
  const t0 = performance.now();
  for (let j = 0; j < K; j++) {
    const res = await fetch(`${fake.url}/v1/completions`, {
      method: "POST",
      body: JSON.stringify({ model: "fake-model", prompt: "How many?", n: 1, max_tokens: 16, logprobs: 1 }),
    });
    await res.json();
  }
  return performance.now() - t0;
}
await verifyOnce(100); // warm-up
const verifyRuns: number[] = [];
const seqRuns: number[] = [];
for (let r = 0; r < REPS; r++) {
  verifyRuns.push(await verifyOnce(r));
  seqRuns.push(await sequentialK());
}
const verifyMs = median(verifyRuns);
const sequential = median(seqRuns);

// 2. 200 concurrent rollouts of reasoner rows (the pool holds the tasks verified above): each resets, "generates"
// for 0.5-1.5 s (a model's answer takes that long or longer), steps, and goes round again.
const rng = createRng(2);
const rows = reasonerRows(ROLLOUTS / 8, { agent: null });
const stepMs: number[] = [];
const liveMs: number[] = [];
async function timed(f: () => Promise<Response>): Promise<[number, Response]> {
  const t0 = performance.now();
  const res = await f();
  const ms = performance.now() - t0;
  if (res.status !== 200) throw new Error(`status ${res.status}: ${await res.text()}`);
  return [ms, res];
}
await Promise.all(
  Array.from({ length: ROLLOUTS }, async (_, k) => {
    const client = new GymAgentClient(url);
    for (let round = 0; round < ROUNDS; round++) {
      const rr = agentRow(rows[Math.floor(k / 8)]!, 1000 * round + Math.floor(k / 8), k % 8);
      await (await client.post("/reset", rr)).json();
      await Bun.sleep(500 + rng.next() * 1000);
      const [ms, res] = await timed(() => client.post("/step", { ...rr, response: responseFor("\\boxed{3}") }));
      await res.json();
      stepMs.push(ms);
      const [live, lres] = await timed(() => fetch(`${url}/`));
      await lres.json();
      liveMs.push(live);
    }
  }),
);

const load = (
  await Bun.file("/proc/loadavg")
    .text()
    .catch(() => "? ")
).split(" ")[0];
console.log(`## NeMo-Gym environment (loopback, fake policy server with ${LATENCY_MS} ms per request)\n`);
console.log(`Load average at the end of the run: ${load} on ${navigator.hardwareConcurrency} cores.\n`);
console.log(`| challenger /verify, K = ${K} samples | ms (median of ${REPS}) | vs K sequential requests |`);
console.log("|---|---:|---:|");
console.log(`| K requests one after another (baseline) | ${sequential.toFixed(0)} | 1.00× |`);
console.log(`| /verify (K concurrent) | ${verifyMs.toFixed(0)} | ${(sequential / verifyMs).toFixed(2)}× faster |`);
console.log(
  `\nOne request takes ${LATENCY_MS} ms: /verify costs ${(verifyMs / LATENCY_MS).toFixed(2)} requests' time.\n`,
);
console.log(`| ${ROLLOUTS} concurrent rollouts × ${ROUNDS} rounds | p50 ms | p99 ms | max ms |`);
console.log("|---|---:|---:|---:|");
console.log(
  `| GET / (baseline) | ${quantile(liveMs, 0.5).toFixed(2)} | ${quantile(liveMs, 0.99).toFixed(2)} | ${Math.max(...liveMs).toFixed(2)} |`,
);
console.log(
  `| reasoner /step | ${quantile(stepMs, 0.5).toFixed(2)} | ${quantile(stepMs, 0.99).toFixed(2)} | ${Math.max(...stepMs).toFixed(2)} |`,
);
console.log(
  `\n/step p99 is ${(quantile(stepMs, 0.99) / quantile(liveMs, 0.99)).toFixed(2)}× the liveness route's; target ≤ 5 ms.`,
);

// The server's own view (its Prometheus latency histogram): the share of /step answered within 5 ms.
const prom = await (await fetch(`${url}/metrics`)).text();
const bucket = (le: string) =>
  Number(
    prom
      .split("\n")
      .find((l) => l.startsWith(`spice_http_request_duration_seconds_bucket{le="${le}",method="POST",route="/step"}`))
      ?.split(" ")[1] ?? Number.NaN,
  );
console.log(
  `Server side (its latency histogram): ${((100 * bucket("0.005")) / bucket("+Inf")).toFixed(1)}% of ${bucket("+Inf")} /step answers within 5 ms, ` +
    `${((100 * bucket("0.001")) / bucket("+Inf")).toFixed(1)}% within 1 ms.`,
);

server.kill("SIGTERM");
await server.exited;
await fake.stop();
data.cleanup();
