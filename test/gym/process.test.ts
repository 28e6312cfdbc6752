/**
 * `spice gym dataset` and `spice gym serve` as processes (README's walkthrough): rows from a real corpus, the
 * server killed with SIGKILL mid-run and restarted, NeMo-Gym's launcher running the shipped app.py under Debian's
 * python3, and the TRL / verl reward functions against a live `spice serve`.
 */
import { Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { scoreRequest } from "../../routes/openrlhf/reward.ts";
import { loadConfig } from "../../src/config.ts";
import { startServer, type RunningServer } from "../../src/server.ts";
import { startFakeOpenAI } from "../fakes/openai-server.ts";
import { REPO_ROOT, tempDir } from "../helpers.ts";
import { agentRow, GymAgentClient, responseFor, simpleAgentRun } from "./nemo-client.ts";

// Process start-up is slow on a shared 2-core machine: generous hang bounds.
setDefaultTimeout(120_000);

const MAIN = join(REPO_ROOT, "src/cli/main.ts");
const fake = startFakeOpenAI({ model: "Qwen/Qwen3-4B-Base" });
// Every reasoner sample answers 3: an Integer task whose gold is 3 gets p̂ = 1, others 0.
fake.setReply(() => "Counting carefully, \\boxed{3}");
const data = tempDir("spice-gym-proc-");
const env = { ...process.env, SPICE_DATA_DIR: data.dir, SPICE_LOG_LEVEL: "warn" };
afterAll(async () => {
  await fake.stop();
  data.cleanup();
});

async function run(args: string[], extraEnv: Record<string, string> = {}) {
  const p = Bun.spawn(["bun", MAIN, ...args], { env: { ...env, ...extraEnv }, stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { out, err, code };
}

/** Starts a server process and waits for the line that names its URL. */
async function serve(
  args: string[],
  cmd: string[] = ["bun", MAIN, "gym", "serve"],
  extraEnv: Record<string, string> = {},
) {
  const p = Bun.spawn([...cmd, ...args], { env: { ...env, ...extraEnv }, stdout: "pipe", stderr: "pipe" });
  const reader = p.stderr.getReader();
  let text = "";
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    text += new TextDecoder().decode(value);
    const m = /gym environment on (http:\/\/[^\s]+) /.exec(text);
    if (m) {
      reader.releaseLock();
      return { proc: p, url: m[1]!, log: text };
    }
  }
  p.kill("SIGKILL");
  throw new Error(`gym serve did not start: ${text}`);
}

const jsonl = (path: string) =>
  readFileSync(path, "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as Record<string, unknown>);

beforeAll(async () => {
  const docs = join(data.dir, "docs.jsonl");
  writeFileSync(
    docs,
    [
      "The Danube flows through Vienna, Budapest and Belgrade before it reaches the Black Sea; it crosses ten countries.",
      "Copper has the atomic number 29. It is soft, malleable and conducts heat and electricity very well indeed.",
      "The library opened in 1905 with three reading rooms, two of them for children, and a map room on the top floor.",
    ]
      .map((text, i) => JSON.stringify({ id: `doc${i}`, text }))
      .join("\n"),
  );
  const r = await run(["corpus", "ingest", docs]);
  expect(r.code).toBe(0);
});

describe("spice gym dataset", () => {
  test("challenger rows draw corpus segments; reasoner rows are numbered placeholders", async () => {
    const ch = join(data.dir, "challenger.jsonl");
    const r1 = await run(["gym", "dataset", "--role", "challenger", "--n", "5", "--seed", "3", "--out", ch]);
    expect(r1.code).toBe(0);
    const rows = jsonl(ch);
    expect(rows).toHaveLength(5);
    // An epoch covers every segment once before any repeats.
    expect(new Set(rows.slice(0, 3).map((r) => r.spice_segment)).size).toBe(3);
    expect(rows[0]).toMatchObject({ spice_role: "challenger", agent_ref: { name: "spice_simple_agent" } });
    const re = await run(["gym", "dataset", "--role", "reasoner", "--n", "2", "--first-row", "7", "--no-agent-ref"]);
    expect(
      re.out
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l)),
    ).toEqual([
      { responses_create_params: { input: [] }, spice_role: "reasoner", spice_row: 7 },
      { responses_create_params: { input: [] }, spice_role: "reasoner", spice_row: 8 },
    ]);
  });
});

describe("spice gym serve as a process", () => {
  test("SIGKILL mid-run, restart: the run, its pool and its verdicts are all there; groups keep their task", async () => {
    const rows = jsonl(join(data.dir, "challenger.jsonl"));
    const s1 = await serve(["--gym-port", "0", "--policy-url", fake.url, "--k", "4", "--seed", "9"]);
    const row = { ...agentRow(rows[0]!, 0, 0), spice_task_type: "free_form", spice_answer_type: "Integer" };
    const task = JSON.stringify({
      question: "How many reading rooms did the library open with?",
      answer: "3",
      answer_type: "Integer",
    });
    const v = await simpleAgentRun(s1.url, row, task);
    expect(await v.response.json()).toMatchObject({ valid: true, p_hat: 1 });
    const reasoner = agentRow({ responses_create_params: { input: [] }, spice_role: "reasoner", spice_row: 0 }, 5, 0);
    const c0 = new GymAgentClient(s1.url);
    const reset0 = (await (await c0.post("/reset", reasoner)).json()) as { info: { spice_task_id: number } };
    const step0 = await c0.post("/step", { ...reasoner, response: responseFor("\\boxed{3}") });
    expect(((await step0.json()) as { reward: number }).reward).toBe(1);
    s1.proc.kill("SIGKILL");
    await s1.proc.exited;

    const s2 = await serve(["--gym-port", "0", "--policy-url", fake.url, "--k", "4"]);
    try {
      expect(s2.log).toContain("resumed");
      expect(await (await fetch(`${s2.url}/`)).json()).toMatchObject({ pool_size: 1 });
      // Rollout 1 of the same group, after the restart: the same task.
      const c1 = new GymAgentClient(s2.url);
      const reset1 = (await (await c1.post("/reset", { ...reasoner, _ng_rollout_index: 1 })).json()) as {
        info: { spice_task_id: number };
      };
      expect(reset1.info.spice_task_id).toBe(reset0.info.spice_task_id);
      const status = await run(["train", "status", "--json"]);
      expect(JSON.parse(status.out)).toMatchObject({ run_kind: "external", run_status: "running" });
      const db = new Database(join(data.dir, "spice.sqlite"), { readonly: true });
      try {
        const q = (sql: string) => (db.query(sql).get() as { n: number }).n;
        expect(q("select count(*) as n from tasks")).toBe(1);
        // The K = 4 samples that measured p̂, and the reasoner row's verdict after them.
        expect(q("select count(*) as n from rollouts")).toBe(5);
        expect(q("select max(sample) as n from rollouts")).toBe(4);
        expect(q("select count(*) as n from gym_pool")).toBe(1);
      } finally {
        db.close();
      }
    } finally {
      s2.proc.kill("SIGTERM");
      expect(await s2.proc.exited).toBe(0);
    }
    const after = await run(["train", "status", "--json"]);
    expect(JSON.parse(after.out)).toMatchObject({ run_kind: "external", run_status: "stopped" });
    // The pool as OpenRLHF rows: the label scores the reasoner's answer through the remote reward.
    const exported = await run(["gym", "pool", "--format", "openrlhf"]);
    const [pooled] = exported.out
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { prompt: string; label: string });
    expect(pooled!.prompt).toContain("How many reading rooms did the library open with?");
    expect(JSON.parse(pooled!.label)).toEqual({ answer: "3", answer_type: "Integer" });
    const scored = scoreRequest({
      query: [`${pooled!.prompt} \\boxed{3}`],
      prompts: [pooled!.prompt],
      labels: [pooled!.label],
    });
    expect(scored.rewards).toEqual([1]);
    const asEval = await run(["gym", "pool", "--format", "eval"]);
    expect(JSON.parse(asEval.out)).toMatchObject({
      question: "How many reading rooms did the library open with?",
      answer: "3",
    });
  });
});

describe("the Python integrations under Debian's python3", () => {
  test("NeMo-Gym's launcher runs app.py: it starts spice gym serve on the assigned host and port", async () => {
    const probe = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
    const port = probe.port!;
    await probe.stop(true);
    const gymDir = tempDir("spice-gym-app-");
    const yaml = [
      `policy_base_url: ${fake.url}/v1`,
      "policy_model_name: Qwen/Qwen3-4B-Base",
      "policy_api_key: dummy",
      "policy_model:",
      "  responses_api_models:",
      "    vllm_model:",
      "      entrypoint: app.py",
      // OmegaConf interpolations, left unresolved by the launcher.
      `      base_url: ${"$"}{policy_base_url}`,
      `      api_key: ${"$"}{policy_api_key}`,
      `      model: ${"$"}{policy_model_name}`,
      "spice_resources_server:",
      "  resources_servers:",
      "    spice:",
      "      entrypoint: app.py",
      "      host: 127.0.0.1",
      `      port: ${port}`,
      `      data_dir: ${gymDir.dir}`,
      "      policy_model: {type: responses_api_models, name: policy_model}",
      "      spice: {reasoner_samples: 2}",
    ].join("\n");
    const appPy = join(REPO_ROOT, "integrations/nemo-gym/resources_servers/spice/app.py");
    const { SPICE_DATA_DIR: _, ...launcherEnv } = env;
    const p = Bun.spawn(["python3", appPy], {
      cwd: join(REPO_ROOT, "integrations/nemo-gym/resources_servers/spice"),
      env: { ...launcherEnv, NEMO_GYM_CONFIG_DICT: yaml, NEMO_GYM_CONFIG_PATH: "spice_resources_server" },
      stdout: "pipe",
      stderr: "pipe",
    });
    try {
      const url = `http://127.0.0.1:${port}`;
      const deadline = Date.now() + 30_000;
      let up = false;
      while (!up && Date.now() < deadline) {
        up = await fetch(`${url}/`).then(
          (r) => r.status === 200,
          () => false,
        );
        if (!up) await Bun.sleep(100);
      }
      expect(up).toBe(true);
      const before = fake.requests.length;
      const rows = jsonl(join(data.dir, "challenger.jsonl"));
      const row = { ...agentRow(rows[1]!, 0, 0), spice_task_type: "free_form", spice_answer_type: "Integer" };
      const v = await simpleAgentRun(
        url,
        row,
        JSON.stringify({ question: "How many?", answer: "2", answer_type: "Integer" }),
      );
      expect(await v.response.json()).toMatchObject({ valid: true, p_hat: 0 });
      // The K = 2 samples went to the trainer's vLLM on its chat endpoint, with the configured model name.
      const calls = fake.requests.slice(before);
      expect(calls.map((c) => c.path)).toEqual(["/v1/chat/completions", "/v1/chat/completions"]);
      expect(calls[0]!.body.model).toBe("Qwen/Qwen3-4B-Base");
      expect(readFileSync(join(gymDir.dir, "spice.sqlite")).length).toBeGreaterThan(0);
    } finally {
      p.kill("SIGTERM");
      await p.exited;
      gymDir.cleanup();
    }
  });

  test("app.py outside the launcher says what is missing", async () => {
    const appPy = join(REPO_ROOT, "integrations/nemo-gym/resources_servers/spice/app.py");
    const p = Bun.spawn(["python3", appPy], { env: { PATH: process.env.PATH! }, stderr: "pipe" });
    expect(await p.exited).toBe(1);
    expect(await new Response(p.stderr).text()).toContain("NEMO_GYM_CONFIG_DICT");
  });

  describe("reward functions against a live spice serve", () => {
    let api: RunningServer;
    beforeAll(async () => {
      const dir = tempDir("spice-gym-api-");
      api = await startServer(loadConfig({ dataDir: dir.dir, port: 0, logLevel: "silent" }, {}));
      api.ctx.onClose(dir.cleanup);
    });
    afterAll(() => api.stop());

    const python = async (code: string) => {
      const p = Bun.spawn(["python3", "-c", code], {
        cwd: REPO_ROOT,
        env: { PATH: process.env.PATH!, SPICE_URL: api.url },
        stdout: "pipe",
        stderr: "pipe",
      });
      const [out, err, exit] = await Promise.all([
        new Response(p.stdout).text(),
        new Response(p.stderr).text(),
        p.exited,
      ]);
      if (exit !== 0) throw new Error(err);
      return JSON.parse(out) as unknown;
    };

    test("TRL reward_funcs: plain and conversational completions, dataset columns as kwargs", async () => {
      const out = await python(`
import json, sys
sys.path.insert(0, "integrations/trl")
from spice_reward import spice_reward
print(json.dumps([
  spice_reward(["so \\\\boxed{\\\\frac12}", "\\\\boxed{3}", "no box"], answer=["0.5", "4", "1"], answer_type=["Expression", "Integer", None]),
  spice_reward([[{"role": "assistant", "content": "It is 17: \\\\boxed{B}"}]], answer=["B"], answer_type=["MCQ"],
               options=[{"A": "15", "B": "17", "C": "9", "D": "3"}], prompts=["ignored"]),
]))`);
      expect(out).toEqual([[1, 0, 0], [1]]);
    });

    test("verl compute_score: gold or JSON ground truth, a dict with score", async () => {
      const out = await python(`
import json, sys
sys.path.insert(0, "integrations/verl")
from spice_compute_score import compute_score
print(json.dumps([
  compute_score("spice", "x = \\\\boxed{42}", "42"),
  compute_score("spice", "x = \\\\boxed{41}", '{"answer": "42", "answer_type": "Integer"}'),
  compute_score("spice", "\\\\boxed{C}", "C", extra_info={"answer_type": "MCQ"}),
]))`);
      expect(out).toEqual([
        { score: 1, reward: 1, acc: 1, has_answer: 1 },
        { score: 0, reward: 0, acc: 0, has_answer: 1 },
        { score: 1, reward: 1, acc: 1, has_answer: 1 },
      ]);
    });
  });
});
