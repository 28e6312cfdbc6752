/**
 * `spice gym serve` as NeMo-Gym's agents drive it (test/gym/nemo-client.ts), on real loopback HTTP with a real
 * SQLite data dir; the policy server is the fake OpenAI server (no vLLM here).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { loadConfig } from "../../src/config.ts";
import { gymPool } from "../../src/db/schema.ts";
import { challengerRows, reasonerRows } from "../../src/gym/rows.ts";
import { startGymServer, type RunningGym } from "../../src/gym/serve.ts";
import { parseGymSettings, type GymSettingsInput } from "../../src/gym/settings.ts";
import { createRng } from "../../src/prng.ts";
import { challengerReward } from "../../src/spice/rewards.ts";
import { lastIteration, listRuns, runMetrics } from "../../src/trainer/persist.ts";
import { startFakeOpenAI } from "../fakes/openai-server.ts";
import { tempDir } from "../helpers.ts";
import { agentRow, GymAgentClient, gymnasiumAgentRun, responseFor, simpleAgentRun } from "./nemo-client.ts";

const DOC = { id: "seg-danube", text: "The Danube flows through Vienna, Budapest and Belgrade to the Black Sea." };

/** The fake policy answers each question correctly for the first `correct[q]` of its K samples. */
const fake = startFakeOpenAI();
const correctOf = new Map<string, { correct: number; gold: string; wrong: string }>();
const served = new Map<string, number>();
fake.setReply((prompt) => {
  for (const [q, plan] of correctOf) {
    if (!prompt.includes(q)) continue;
    const n = served.get(q) ?? 0;
    served.set(q, n + 1);
    return `Thinking. So the answer is \\boxed{${n % 8 < plan.correct ? plan.gold : plan.wrong}}`;
  }
  return "no idea";
});

const data = tempDir("spice-gym-");
let gym: RunningGym;

async function start(settings: GymSettingsInput = {}): Promise<RunningGym> {
  const config = loadConfig({ dataDir: data.dir, logLevel: "silent", policyUrl: fake.url }, {});
  return startGymServer(config, {
    host: "127.0.0.1",
    port: 0,
    settings: parseGymSettings({ reasoner_samples: 8, reset_wait_ms: 150, window: 6, ...settings }),
  });
}

beforeAll(async () => {
  gym = await start();
});
afterAll(async () => {
  await gym.stop();
  await fake.stop();
  data.cleanup();
});

function rowOf(taskType: "mcq" | "free_form", answerType: "Integer" | "Expression" | "String" | null) {
  const [row] = challengerRows([DOC], createRng(1), { taskTypes: [taskType], agent: "spice_simple_agent" });
  return { ...row!, spice_task_type: taskType, spice_answer_type: answerType };
}

const mcq = (q: string, answer = "B") =>
  JSON.stringify({ question: q, options: { A: "Rhine", B: "Danube", C: "Elbe", D: "Oder" }, answer });
const intTask = (q: string, a: string) => JSON.stringify({ question: q, answer: a, answer_type: "Integer" });

describe("challenger rows through /seed_session + /verify", () => {
  test("the answer is the request's own bytes plus the added fields; JSON values deep-equal, key order kept", async () => {
    correctOf.set("Which river reaches the Black Sea?", { correct: 4, gold: "B", wrong: "C" });
    const row = agentRow(rowOf("mcq", null), 0, 0);
    const { request, response } = await simpleAgentRun(gym.url, row, mcq("Which river reaches the Black Sea?"));
    expect(response.status).toBe(200);
    const text = await response.text();
    // Byte-for-byte: Python's spacing, `1.0`, `-0.0`, `1e-07` and a 21-digit integer survive unchanged.
    expect(text.startsWith(request.slice(0, request.lastIndexOf("}")))).toBe(true);
    expect(request).toContain('"generation_log_probs": [-0.0, -1.0, -0.30000000000000004, -1e-07');
    expect(text).toContain("123456789012345678901");
    const answer = JSON.parse(text) as Record<string, unknown>;
    const added = ["reward", "valid", "reason", "p_hat", "task"];
    const rest = Object.fromEntries(Object.entries(answer).filter(([k]) => !added.includes(k)));
    expect(rest).toEqual(JSON.parse(request));
    expect(Object.keys(rest)).toEqual(Object.keys(JSON.parse(request)));
    expect(Object.keys(answer).slice(-5)).toEqual(added);
    expect(answer).toMatchObject({ valid: true, p_hat: 0.5, reason: null });
    expect(answer.reward).toBeCloseTo(1, 10);
  });

  test("a group of G outputs for one document earns the SPEC's rewards (K = 8 samples from the policy)", async () => {
    const plans: [string, number][] = [
      ["How many cities does the Danube pass?", 2],
      ["How many capitals lie on the Danube?", 3],
      ["How many seas does the Danube reach?", 8],
    ];
    for (const [q, c] of plans) correctOf.set(q, { correct: c, gold: "3", wrong: "7" });
    const before = fake.requests.length;
    const outputs = [...plans.map(([q]) => intTask(q, "3")), "I cannot write JSON today"];
    const answers = await Promise.all(
      outputs.map(async (out, g) => {
        const row = agentRow(rowOf("free_form", "Integer"), 1, g);
        const { response } = await simpleAgentRun(gym.url, row, out);
        expect(response.status).toBe(200);
        return (await response.json()) as { reward: number; valid: boolean; p_hat: number | null; reason: string };
      }),
    );
    // The SPEC's table for K = 8 (docs/method.md §1 step 4): 2/8 → 0.8226, 3/8 → 0.9879, 8/8 → 0.0439; invalid → −0.1.
    expect(answers.map((a) => a.p_hat)).toEqual([0.25, 0.375, 1, null]);
    expect(answers[0]!.reward).toBeCloseTo(0.8226, 4);
    expect(answers[1]!.reward).toBeCloseTo(0.9879, 4);
    expect(answers[2]!.reward).toBeCloseTo(0.0439, 4);
    expect(answers[3]).toMatchObject({ reward: -0.1, valid: false, p_hat: null });
    expect(answers[3]!.reason).toContain("no JSON object");
    // 3 valid tasks × K = 8 single-sample requests to the policy server.
    expect(fake.requests.length - before).toBe(24);
    expect(answers[0]!.reward).toBe(challengerReward(0.25, "variance"));
  });

  test("bad rows are 400 problem+json naming the field; the reasoner's role is refused on /verify", async () => {
    const noType = { ...agentRow(rowOf("mcq", null), 2, 0), spice_task_type: undefined };
    const r1 = await simpleAgentRun(gym.url, noType, mcq("Q?"));
    expect(r1.response.status).toBe(400);
    expect(r1.response.headers.get("content-type")).toContain("application/problem+json");
    expect(((await r1.response.json()) as { detail: string }).detail).toContain("spice_task_type");
    const reasoner = agentRow(reasonerRows(1, { agent: null })[0]!, 3, 0);
    const r2 = await simpleAgentRun(gym.url, reasoner, "\\boxed{1}");
    expect(r2.response.status).toBe(400);
    const junk = await fetch(`${gym.url}/verify`, { method: "POST", body: "[1, 2" });
    expect(junk.status).toBe(400);
  });

  test("a plain verifiable row (question, expected_answer, answer_type) works through /verify", async () => {
    const row = agentRow(
      {
        responses_create_params: { input: [{ role: "user", content: "What is 6*7?" }] },
        question: "What is 6*7?",
        expected_answer: "42",
        answer_type: "Integer",
      },
      4,
      0,
    );
    const right = await simpleAgentRun(gym.url, row, "6*7 = \\boxed{42}");
    expect(await right.response.json()).toMatchObject({ reward: 1, correct: true, extracted: "42" });
    const wrong = await simpleAgentRun(gym.url, row, "\\boxed{41}");
    expect(await wrong.response.json()).toMatchObject({ reward: 0, correct: false });
  });
});

describe("reasoner rows through /reset + /step", () => {
  const rows = reasonerRows(3, { agent: "spice_gymnasium_agent" });
  const taskOf = (observation: string) =>
    [...correctOf.keys()].find((q) => observation.includes(q)) ?? `unknown: ${observation.slice(0, 60)}`;

  test("the K rollouts of one row get the same task, other rows others; /step rewards 1 or 0", async () => {
    // One training step: every rollout of every group resets (concurrently), then each answers and steps.
    const clients = rows.flatMap((row, i) =>
      [0, 1, 2, 3].map((r) => ({ r, row: agentRow(row, 10 + i, r), client: new GymAgentClient(gym.url) })),
    );
    const observations = await Promise.all(
      clients.map(async ({ row, client }) => {
        const res = await client.post("/reset", row);
        expect(res.status).toBe(200);
        return ((await res.json()) as { observation: string }).observation;
      }),
    );
    const steps = await Promise.all(
      clients.map(async ({ r, row, client }, k) => {
        const plan = correctOf.get(taskOf(observations[k]!))!;
        const res = await client.post("/step", {
          ...row,
          response: responseFor(`\\boxed{${r % 2 === 0 ? plan.gold : plan.wrong}}`),
        });
        return (await res.json()) as Record<string, unknown>;
      }),
    );
    expect(steps.map((s) => s.reward)).toEqual([1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0]);
    for (const s of steps) expect(s).toMatchObject({ observation: null, terminated: true, truncated: false });
    expect(observations[0]).toContain("\\boxed{}");
    const tasks = observations.map(taskOf);
    const byRow = [0, 1, 2].map((i) => tasks.slice(4 * i, 4 * i + 4));
    for (const group of byRow) expect(new Set(group).size).toBe(1);
    // Three concurrent groups, four pool tasks: the groups of one step get different tasks.
    expect(new Set(byRow.map((g) => g[0])).size).toBe(3);
  });

  test("a retried rollout keeps its group's task; a row that comes round again is a new group, a new draw", async () => {
    const servedSum = () =>
      gym.ctx.db
        .select({ n: sql<number>`sum(${gymPool.served})` })
        .from(gymPool)
        .get()!.n;
    const row0 = agentRow(rows[0]!, 20, 0);
    const first = await gymnasiumAgentRun(gym.url, row0, () => "\\boxed{0}");
    const afterFirst = servedSum();
    // Rollout 1 of the same group resets twice (a retry): the same task, no new draw.
    const c = new GymAgentClient(gym.url);
    const retry1 = (await (await c.post("/reset", agentRow(rows[0]!, 20, 1))).json()) as {
      info: { spice_task_id: number };
    };
    const retry2 = (await (await c.post("/reset", agentRow(rows[0]!, 20, 1))).json()) as {
      info: { spice_task_id: number };
    };
    expect(retry1.info.spice_task_id).toBe(first.info.spice_task_id as number);
    expect(retry2.info.spice_task_id).toBe(first.info.spice_task_id as number);
    expect(servedSum()).toBe(afterFirst);
    // Rollout 0 already stepped: its index coming back means the row came round again.
    const again = await gymnasiumAgentRun(gym.url, row0, () => "\\boxed{0}");
    expect(again.reset.status).toBe(200);
    expect(servedSum()).toBe(afterFirst + 1);
  });

  test("/step without a /reset for the row is 409; /aggregate_metrics groups by task", async () => {
    const res = await fetch(`${gym.url}/step`, {
      method: "POST",
      body: JSON.stringify({ ...agentRow(rows[2]!, 99, 0), response: { output: [] } }),
    });
    expect(res.status).toBe(409);
    const agg = await fetch(`${gym.url}/aggregate_metrics`, {
      method: "POST",
      body: JSON.stringify({
        verify_responses: [
          { _ng_task_index: 0, reward: 1, correct: true },
          { _ng_task_index: 0, reward: 0, correct: false },
          { _ng_task_index: 1, reward: 0.5, spice_role: "challenger", valid: true, p_hat: 0.5 },
        ],
      }),
    });
    const m = (await agg.json()) as Record<string, Record<string, unknown>>;
    expect(m.group_level_metrics).toHaveLength(2);
    expect(m.agent_metrics).toMatchObject({ num_tasks: 2, num_rollouts: 3, "mean/reward": 0.5 });
    expect(m.key_metrics).toMatchObject({ "mean/reward": 0.5, "spice/challenger_valid_rate": 1 });
  });
});

describe("the external run's records", () => {
  test("a restart resumes the run with its pool; windows carry metrics as the trainer's do", async () => {
    const run = gym.env.store.run;
    const pool = gym.env.poolSize;
    expect(pool).toBe(4);
    await gym.stop();
    gym = await start();
    expect(gym.env.store.run.id).toBe(run.id);
    expect(gym.env.poolSize).toBe(pool);
    const status = await (await fetch(`${gym.url}/`)).json();
    expect(status).toMatchObject({ status: "ok", run_id: run.id, pool_size: 4 });
    const runs = listRuns(gym.ctx.db);
    expect(runs.find((r) => r.id === run.id)).toMatchObject({ kind: "external", status: "running" });
    const metrics = runMetrics(gym.ctx.db, run.id);
    expect(metrics.length).toBeGreaterThan(1);
    const total = (name: string) => metrics.reduce((n, m) => n + (m[name] ?? 0), 0);
    expect(total("challenger.samples")).toBe(5);
    expect(total("tasks.valid")).toBe(4);
    expect(total("reasoner.rollouts")).toBe(14);
    expect(lastIteration(gym.ctx.db, run.id)!.iteration).toBe(metrics.length);
    const prom = await (await fetch(`${gym.url}/metrics`)).text();
    expect(prom).toContain(`spice_gym_pool_size{run="${run.id}"} 4`);
  });
});

describe("an empty pool", () => {
  test("/reset waits briefly, then answers a retryable 503", async () => {
    const other = tempDir("spice-gym-empty-");
    const config = loadConfig({ dataDir: other.dir, logLevel: "silent", policyUrl: fake.url }, {});
    const empty = await startGymServer(config, {
      host: "127.0.0.1",
      port: 0,
      settings: parseGymSettings({ reset_wait_ms: 100 }),
    });
    try {
      const t0 = performance.now();
      const { reset } = await gymnasiumAgentRun(
        empty.url,
        agentRow(reasonerRows(1, { agent: null })[0]!, 0, 0),
        () => "",
      );
      expect(reset.status).toBe(503);
      expect(performance.now() - t0).toBeGreaterThanOrEqual(90);
      expect(((await reset.json()) as { title: string }).title).toBe("No task in the pool yet");
    } finally {
      await empty.stop();
      other.cleanup();
    }
  });
});

describe("failures and the API beside it", () => {
  test("an unreachable policy server is a retryable 5xx and records nothing; --api serves the API from the same state", async () => {
    const other = tempDir("spice-gym-api-");
    const config = loadConfig(
      { dataDir: other.dir, logLevel: "silent", policyUrl: "http://127.0.0.1:9/v1", port: 0 },
      {},
    );
    const g = await startGymServer(config, {
      host: "127.0.0.1",
      port: 0,
      settings: parseGymSettings({ reasoner_samples: 2 }),
      api: true,
    });
    try {
      const row = agentRow(rowOf("free_form", "Integer"), 0, 0);
      const { response } = await simpleAgentRun(g.url, row, intTask("How many?", "3"));
      expect(response.status).toBe(503);
      expect(g.env.poolSize).toBe(0);
      const runs = (await (await fetch(`${g.apiUrl}/v1/trainer/runs`)).json()) as {
        runs: { id: string; kind: string }[];
      };
      expect(runs.runs).toEqual([expect.objectContaining({ id: g.env.store.runId, kind: "external" })]);
      const tasks = g.ctx.db.$client.query("select count(*) as n from tasks").get() as { n: number };
      expect(tasks.n).toBe(0);
    } finally {
      await g.stop();
      other.cleanup();
    }
  });
});
