/**
 * The edge module's verifier throughput (issue 19): verdicts/s through `POST /v1/verify` of the built edge module
 * served by workerd (miniflare) and Deno, and by Node for comparison, against the Bun app (`spice serve`'s
 * createApp under Bun.serve) on the same machine, in one run. Each server is its own process on loopback; one
 * Bun client drives them in turn: single-item calls (8 in flight) and 100-item batches (2 in flight). The items
 * cycle through the verifier's rule table (test/verify/cases.ts) without its pathological long responses. Rounds
 * alternate the servers and the median round is reported, because the machine is shared.
 */
import { startFakeOpenAI } from "../test/fakes/openai-server.ts";
import { edgeModule, RUNTIMES, startEdge } from "../test/edge/harness.ts";
import { tempDir } from "../test/helpers.ts";
import { CASES } from "../test/verify/cases.ts";

const SINGLE_REQUESTS = 800;
const SINGLE_CONCURRENCY = 8;
const BATCH_SIZE = 100;
const BATCH_REQUESTS = 40;
const BATCH_CONCURRENCY = 2;
const ROUNDS = 3;

// `bun bench/edge.ts --serve-bun-app`: the reference server, in its own process like the others.
if (process.argv.includes("--serve-bun-app")) {
  const { createApp } = await import("../src/app.ts");
  const { testContext } = await import("../test/helpers.ts");
  const ctx = testContext({ maxBody: 16 * 1024 * 1024 });
  const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: createApp(ctx).fetch });
  console.log(`bun app listening on http://127.0.0.1:${server.port}`);
  process.on("SIGTERM", () => void ctx.close().then(() => process.exit(0)));
  await new Promise(() => {});
}

const ITEMS = CASES.filter(([, response]) => response.length <= 1000).map(
  ([, response, answer, answer_type, , options]) => ({
    response,
    answer,
    answer_type,
    ...(options ? { options } : {}),
  }),
);

interface Server {
  name: string;
  url: string;
  stop(): Promise<void>;
}

async function startBunApp(): Promise<Server> {
  const proc = Bun.spawn(["bun", import.meta.path, "--serve-bun-app"], { stdout: "pipe", stderr: "inherit" });
  const reader = proc.stdout.getReader();
  let out = "";
  while (!/listening on (\S+)/.test(out)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`the Bun app did not start: ${out}`);
    out += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  void proc.stdout.pipeTo(new WritableStream());
  const url = /listening on (\S+)/.exec(out)![1]!;
  return { name: "Bun app (spice serve)", url, stop: async () => void proc.kill() };
}

/** `requests` POSTs with `inFlight` at a time; returns verdicts per second. */
async function drive(url: string, bodies: string[], requests: number, inFlight: number, perRequest: number) {
  let next = 0;
  const worker = async () => {
    while (next < requests) {
      const body = bodies[next++ % bodies.length]!;
      const res = await fetch(`${url}/v1/verify`, {
        method: "POST",
        body,
        headers: { "content-type": "application/json" },
      });
      if (res.status !== 200) throw new Error(`${url}: ${res.status} ${await res.text()}`);
      await res.arrayBuffer();
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: inFlight }, worker));
  return (requests * perRequest) / ((performance.now() - t0) / 1000);
}

const singles = ITEMS.map((it) => JSON.stringify(it));
const batches = Array.from({ length: 16 }, (_, b) =>
  JSON.stringify({ items: Array.from({ length: BATCH_SIZE }, (_, i) => ITEMS[(b * BATCH_SIZE + i) % ITEMS.length]) }),
);

const tmp = tempDir("spice-bench-edge-");
const fake = startFakeOpenAI();
const built = await edgeModule();
const settings = { SPICE_LOG_LEVEL: "silent", SPICE_MAX_BODY: String(16 * 1024 * 1024), SPICE_POLICY_URL: fake.url };
const servers: Server[] = [await startBunApp()];
for (const runtime of RUNTIMES) {
  const name =
    runtime === "workerd" ? "edge module on workerd" : `edge module on ${runtime === "deno" ? "Deno" : "Node"}`;
  servers.push({ ...(await startEdge(runtime, built.path, settings)), name });
}

try {
  // Warm-up: JIT and the verifier's caches, on every server.
  for (const s of servers) {
    await drive(s.url, singles, 200, SINGLE_CONCURRENCY, 1);
    await drive(s.url, batches, 8, BATCH_CONCURRENCY, BATCH_SIZE);
  }
  const single = new Map<string, number[]>();
  const batch = new Map<string, number[]>();
  for (let round = 0; round < ROUNDS; round++) {
    for (const s of servers) {
      single.set(s.name, [
        ...(single.get(s.name) ?? []),
        await drive(s.url, singles, SINGLE_REQUESTS, SINGLE_CONCURRENCY, 1),
      ]);
      batch.set(s.name, [
        ...(batch.get(s.name) ?? []),
        await drive(s.url, batches, BATCH_REQUESTS, BATCH_CONCURRENCY, BATCH_SIZE),
      ]);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const base = servers[0]!.name;
  const ratio = (x: number, ref: number) =>
    x >= ref ? `${(x / ref).toFixed(2)}× faster` : `${(ref / x).toFixed(2)}× slower`;
  const fmt = (x: number) => Math.round(x).toLocaleString("en-US");
  console.log("## Edge module throughput (bench/edge.ts)\n");
  console.log(
    `Verdicts/s through POST /v1/verify over loopback HTTP, median of ${ROUNDS} rounds; single items ${SINGLE_REQUESTS} ` +
      `requests with ${SINGLE_CONCURRENCY} in flight, batches ${BATCH_REQUESTS} × ${BATCH_SIZE} items with ` +
      `${BATCH_CONCURRENCY} in flight. Module: ${(built.bytes / 2 ** 20).toFixed(2)} MiB ` +
      `(${(built.gzipBytes / 2 ** 20).toFixed(2)} MiB gzipped).\n`,
  );
  console.log("| server | single item, verdicts/s | vs Bun app | 100-item batches, verdicts/s | vs Bun app |");
  console.log("|---|---:|---|---:|---|");
  const s0 = median(single.get(base)!);
  const b0 = median(batch.get(base)!);
  for (const s of servers) {
    const si = median(single.get(s.name)!);
    const ba = median(batch.get(s.name)!);
    const same = s.name === base;
    console.log(
      `| ${s.name} | ${fmt(si)} | ${same ? "baseline" : ratio(si, s0)} | ${fmt(ba)} | ${same ? "baseline" : ratio(ba, b0)} |`,
    );
  }
} finally {
  await Promise.all(servers.map((s) => s.stop()));
  await fake.stop();
  tmp.cleanup();
}
