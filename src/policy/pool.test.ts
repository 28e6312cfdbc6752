import { afterEach, describe, expect, test } from "bun:test";
import { Registry } from "prom-client";
import { type FakeOpenAIServer, type FakeOptions, startFakeOpenAI } from "../../test/fakes/openai-server.ts";
import { PolicySpecError } from "../errors.ts";
import { OpenAIPolicy, type OpenAIPolicyOptions } from "./openai.ts";
import { poolMetrics } from "./pool-metrics.ts";
import { openPolicy } from "./registry.ts";
import { PolicyError } from "./types.ts";

/** A pool of three fake OpenAI-compatible servers on loopback, each with its own latency and cap. */

const started: FakeOpenAIServer[] = [];
const policies: OpenAIPolicy[] = [];
afterEach(async () => {
  for (const p of policies.splice(0)) await p.close();
  for (const s of started.splice(0)) await s.stop();
});

function fakes(...each: FakeOptions[]): FakeOpenAIServer[] {
  const list = each.map((o) => startFakeOpenAI(o));
  started.push(...list);
  return list;
}

function pool(servers: FakeOpenAIServer[], o: Partial<OpenAIPolicyOptions> = {}): OpenAIPolicy {
  const p = new OpenAIPolicy({
    baseUrl: servers.map((s) => s.url).join(","),
    retries: 3,
    backoffMs: 5,
    timeoutMs: 5000,
    probeIntervalMs: 0,
    ...o,
  });
  policies.push(p);
  return p;
}

/** Prompt i has i + 1 characters; the fakes answer "answer <choice> to <length> chars: ...", so each answer names its prompt. */
const prompts = (n: number) => Array.from({ length: n }, (_, i) => "x".repeat(i + 1));
const answeredPrompt = (text: string) => Number(/ to (\d+) chars/.exec(text)![1]) - 1;

async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected a failure");
}

describe("a pool of OpenAI-compatible replicas", () => {
  test("balances by requests in flight, never past the per-replica cap", async () => {
    const servers = fakes({ msPerToken: 2 }, { msPerToken: 2 }, { msPerToken: 2 });
    const policy = pool(servers, { model: "fake-model", concurrency: 2 });
    const results = await policy.generate(prompts(30));
    expect(results.map((r) => answeredPrompt(r.completions[0]!.text))).toEqual([...Array(30).keys()]);
    for (const s of servers) {
      expect(s.maxInFlight).toBeLessThanOrEqual(2);
      expect(s.served).toBeGreaterThanOrEqual(7);
    }
    expect(servers.reduce((n, s) => n + s.served, 0)).toBe(30);
  });

  test("a slow replica gets fewer requests; the fast ones carry the run", async () => {
    const servers = fakes({ msPerToken: 1 }, { msPerToken: 1 }, { msPerToken: 30 });
    const policy = pool(servers, { model: "fake-model", concurrency: 2 });
    const results = await policy.generate(prompts(30));
    expect(results).toHaveLength(30);
    const [a, b, slow] = servers.map((s) => s.served);
    expect(slow!).toBeLessThan(a!);
    expect(slow!).toBeLessThan(b!);
  });

  test("a replica killed mid-run: its requests are retried elsewhere, none lost or duplicated", async () => {
    const servers = fakes({ msPerToken: 4 }, { msPerToken: 4 }, { msPerToken: 4 });
    const registry = new Registry();
    const policy = pool(servers, { model: "fake-model", concurrency: 2, metrics: poolMetrics(registry) });
    const run = policy.generate(prompts(40));
    while (servers[1]!.served < 3) await Bun.sleep(2);
    await servers[1]!.kill();
    const results = await run;
    expect(results.map((r) => answeredPrompt(r.completions[0]!.text))).toEqual([...Array(40).keys()]);
    // Each prompt was answered exactly once by some server: the killed one's answers in flight never arrived.
    expect(servers.reduce((n, s) => n + s.served, 0)).toBe(40);
    expect(policy.pool.replicas[1]!.healthy).toBe(false);
    const text = await registry.metrics();
    for (const s of servers) expect(text).toContain(`spice_policy_requests_total{replica="${s.url}/v1"}`);
    expect(text).toContain(`spice_policy_errors_total{replica="${servers[1]!.url}/v1"}`);
    expect(text).toContain(`spice_policy_replica_up{replica="${servers[1]!.url}/v1"} 0`);
    expect(text).toContain("spice_policy_in_flight");
    expect(text).toContain("spice_policy_request_seconds_bucket");
  });

  test("a replica brought back is probed back in and gets requests again", async () => {
    const servers = fakes({}, {}, {});
    const policy = pool(servers, { model: "fake-model", probeIntervalMs: 20, probeTimeoutMs: 500 });
    await servers[0]!.kill();
    await policy.generate(prompts(6));
    expect(policy.pool.replicas[0]!.healthy).toBe(false);
    const before = servers[0]!.served;
    servers[0]!.restart();
    const deadline = Date.now() + 5000;
    while (!policy.pool.replicas[0]!.healthy && Date.now() < deadline) await Bun.sleep(10);
    expect(policy.pool.replicas[0]!.healthy).toBe(true);
    await policy.generate(prompts(9));
    expect(servers[0]!.served).toBeGreaterThan(before);
  });

  test("a replica that hangs fails its probe and is taken out; its requests in flight finish elsewhere", async () => {
    const servers = fakes({}, {}, {});
    const policy = pool(servers, { model: "fake-model", probeIntervalMs: 30, probeTimeoutMs: 150 });
    servers[2]!.setMode({ kind: "hang" });
    const t0 = performance.now();
    const results = await policy.generate(prompts(9));
    expect(results.map((r) => answeredPrompt(r.completions[0]!.text))).toEqual([...Array(9).keys()]);
    // Far below the 5 s request timeout: the probe took the replica out and its requests were retried at once.
    expect(performance.now() - t0).toBeLessThan(3000);
    expect(policy.pool.replicas[2]!.healthy).toBe(false);
    expect(policy.pool.replicas[2]!.lastError).toContain("timed out");
  });

  test("every replica down: one clear error naming each of them", async () => {
    const servers = fakes({}, {}, {});
    const policy = pool(servers, { model: "fake-model" });
    for (const s of servers) await s.kill();
    const e = await failure(policy.generate(["x"]));
    expect(e).toBeInstanceOf(PolicyError);
    expect((e as PolicyError).kind).toBe("unavailable");
    expect(e.message).toContain("all 3 policy replicas are down");
    for (const s of servers) expect(e.message).toContain(s.url);
  });

  test("the model: the only one listed; several listed need a name; the name is sent; a replica without it is taken out", async () => {
    const [one] = fakes({ model: "only-model" });
    const single = pool([one!]);
    await single.generate(["x"]);
    expect(one!.requests.at(-1)!.body.model).toBe("only-model");

    const servers = fakes({ models: ["base", "tuned"] }, { models: ["base", "tuned"] }, { models: ["base"] });
    const e = await failure(pool(servers).generate(["x"]));
    expect(e).toBeInstanceOf(PolicySpecError);
    expect(e.message).toContain("base, tuned");
    expect(e.message).toContain("SPICE_POLICY_MODEL / --policy-model");

    const named = pool(servers, { model: "tuned" });
    await named.pool.probeAll();
    expect(named.pool.replicas.map((r) => r.healthy)).toEqual([true, true, false]);
    expect(named.pool.replicas[2]!.lastError).toContain('does not serve model "tuned"');
    await named.generate(prompts(4));
    const sent = servers.flatMap((s) => s.requests.filter((r) => r.path === "/v1/completions"));
    expect(sent.length).toBeGreaterThan(0);
    expect(new Set(sent.map((r) => r.body.model))).toEqual(new Set(["tuned"]));
  });

  test("the chat endpoint sends messages; the key goes as a bearer token; the version carries the server's fingerprint", async () => {
    const servers = fakes(
      { apiKey: "k-123", fingerprint: "fp_abc" },
      { apiKey: "k-123", fingerprint: "fp_abc" },
      { apiKey: "k-123", fingerprint: "fp_abc" },
    );
    const policy = pool(servers, { model: "fake-model", endpoint: "chat", apiKey: "k-123" });
    const [r] = await policy.generate([[{ role: "user", content: "hi" }]], { n: 2 });
    const sent = servers.flatMap((s) => s.requests).find((q) => q.path === "/v1/chat/completions")!;
    expect(sent.body.messages).toEqual([{ role: "user", content: "hi" }]);
    expect(r!.completions[0]!.version).toEqual({ backend: "openai", model: "fake-model", revision: "fp_abc" });
    expect(await policy.version()).toEqual({ backend: "openai", model: "fake-model", revision: "fp_abc" });
    const keyless = pool(servers, { model: "fake-model", endpoint: "chat" });
    const e = await failure(keyless.generate(["x"]));
    expect((e as PolicyError).kind).toBe("invalid_request");
    expect(e.message).toContain("401");
  });

  test("the registry opens a comma-separated spec as a pool, with the remote settings", async () => {
    const servers = fakes({ models: ["a", "b"] }, { models: ["a", "b"] });
    const policy = (await openPolicy(servers.map((s) => ` ${s.url}/v1/ `).join(","), {
      remote: { model: "b", endpoint: "chat" },
    })) as OpenAIPolicy;
    policies.push(policy);
    expect(policy.pool.replicas.map((r) => r.url)).toEqual(servers.map((s) => `${s.url}/v1`));
    await policy.generate(prompts(4));
    const chats = servers.flatMap((s) => s.requests.filter((q) => q.path === "/v1/chat/completions"));
    expect(chats.length).toBe(4);
    expect(chats.every((q) => q.body.model === "b")).toBe(true);
  });
});
