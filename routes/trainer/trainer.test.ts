import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_ENCODER, DEFAULT_LM, ensureModel } from "../../models/index.ts";
import { createApp } from "../../src/app.ts";
import { startFakeOpenAI } from "../../test/fakes/openai-server.ts";
import { tempDir, testContext } from "../../test/helpers.ts";
import { arithmeticScript, fakeServerConfig } from "../../test/trainer/fixtures.ts";

const fake = startFakeOpenAI();
const outside = tempDir("spice-outside-");
fake.setReply((prompt, choice) => arithmeticScript(prompt, { sample: choice }));
const ctx = testContext({ policyUrl: fake.url });
const app = createApp(ctx);
afterAll(async () => {
  await ctx.close();
  await fake.stop();
  outside.cleanup();
});

const status = async () => (await (await app.request("/v1/trainer/status")).json()) as { state: string };
const runs = async () => ((await (await app.request("/v1/trainer/runs")).json()) as { runs: unknown[] }).runs;
const errorsOf = async (res: Response) => {
  expect(res.status).toBe(400);
  expect(res.headers.get("content-type")).toContain("application/problem+json");
  return ((await res.json()) as { errors: { field: string; message: string }[] }).errors;
};

const post = (path: string, body?: unknown) =>
  app.request(path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

const CONFIG = fakeServerConfig({ iterations: 2 });

describe("/v1/trainer", () => {
  test("idle status before any run", async () => {
    const res = await app.request("/v1/trainer/status");
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ state: "idle", run_id: null, iteration: 0, warnings: [] });
  });

  test("start runs the loop; status, runs and metrics report it; control on a finished run is a 409", async () => {
    const res = await post("/v1/trainer/start", CONFIG);
    expect(res.status).toBe(202);
    const started = (await res.json()) as { run_id: string; state: string };
    expect(started.state).toBe("running");
    let status: { state: string; iteration: number } = { state: "", iteration: 0 };
    for (let i = 0; i < 300 && status.state !== "finished"; i++) {
      await Bun.sleep(20);
      status = (await (await app.request("/v1/trainer/status")).json()) as typeof status;
    }
    // The scripted challenger writes valid tasks: no stall to warn of.
    expect(status).toMatchObject({ state: "finished", iteration: 2, warnings: [] });

    const metrics = await app.request(
      `/v1/trainer/runs/${started.run_id}/metrics?names=reasoner.accuracy,challenger.valid_rate`,
    );
    expect(metrics.status).toBe(200);
    const body = (await metrics.json()) as { run: { id: string; status: string }; metrics: Record<string, number>[] };
    expect(body.run).toMatchObject({ id: started.run_id, status: "finished" });
    expect(body.metrics).toEqual([
      { iteration: 1, "reasoner.accuracy": 0.5, "challenger.valid_rate": 2 / 3 },
      { iteration: 2, "reasoner.accuracy": 0.5, "challenger.valid_rate": 2 / 3 },
    ]);
    const runs = (await (await app.request("/v1/trainer/runs")).json()) as { runs: { id: string }[] };
    expect(runs.runs.map((r) => r.id)).toContain(started.run_id);

    for (const action of ["pause", "resume"]) {
      const r = await post(`/v1/trainer/${action}`);
      expect(r.status).toBe(409);
      expect(r.headers.get("content-type")).toContain("application/problem+json");
    }
    expect((await post("/v1/trainer/stop")).status).toBe(200);
    const prom = await (await app.request("/metrics")).text();
    expect(prom).toContain(`spice_trainer_iteration{run="${started.run_id}"} 2`);
  });

  test("a bad configuration is a 400 naming the field, and starts nothing", async () => {
    const res = await post("/v1/trainer/start", { ...CONFIG, reward: "bogus", batch_docs: 0 });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { errors: { field: string }[] };
    expect(body.errors.map((e) => e.field).sort()).toEqual(["batch_docs", "reward"]);
    expect(((await (await app.request("/v1/trainer/status")).json()) as { state: string }).state).not.toBe("running");
  });

  test("a setup that cannot run is a 400 naming why: the embedded learner with a remote policy, an empty corpus", async () => {
    const remote = await post("/v1/trainer/start", { ...CONFIG, learner: "embedded" });
    expect(remote.status).toBe(400);
    expect(((await remote.json()) as { detail: string }).detail).toContain("SPICE_POLICY_URL");
    const empty = await post("/v1/trainer/start", { ...CONFIG, use_corpus: true });
    expect(empty.status).toBe(400);
    expect(((await empty.json()) as { detail: string }).detail).toContain("corpus is empty");
    expect(((await (await app.request("/v1/trainer/status")).json()) as { state: string }).state).toBe("failed");
    // Nothing half-done: neither refused start left a run behind.
    const runs = (await (await app.request("/v1/trainer/runs")).json()) as { runs: { status: string }[] };
    expect(runs.runs.map((r) => r.status)).toEqual(["finished"]);
  });

  test("rollout_path is confined to <data-dir>/rollouts/: escapes and links out are a 400 naming it, and touch nothing", async () => {
    const victim = join(outside.dir, "victim.txt");
    writeFileSync(victim, "precious");
    mkdirSync(join(ctx.dataDir, "rollouts"), { recursive: true });
    symlinkSync(outside.dir, join(ctx.dataDir, "rollouts", "out"));
    const before = { state: (await status()).state, runs: (await runs()).length };
    for (const path of [victim, "../spice.sqlite", "../../victim.txt", "out/victim.txt", "out/new.jsonl"]) {
      const errors = await errorsOf(await post("/v1/trainer/start", { ...CONFIG, new_run: true, rollout_path: path }));
      expect(errors).toEqual([{ field: "rollout_path", message: expect.stringMatching(/outside|symbolic link/) }]);
    }
    expect(readFileSync(victim, "utf8")).toBe("precious");
    expect(existsSync(join(outside.dir, "new.jsonl"))).toBe(false);
    expect(await status()).toMatchObject({ state: before.state });
    expect(await runs()).toHaveLength(before.runs);
  });

  test("a relative rollout_path lands under <data-dir>/rollouts/", async () => {
    const res = await post("/v1/trainer/start", {
      ...CONFIG,
      iterations: 1,
      new_run: true,
      rollout_path: "exp/g.jsonl",
    });
    expect(res.status).toBe(202);
    for (let i = 0; i < 300 && (await status()).state === "running"; i++) await Bun.sleep(20);
    expect((await status()).state).toBe("finished");
    const lines = readFileSync(join(ctx.dataDir, "rollouts", "exp", "g.jsonl"), "utf8")
      .trim()
      .split("\n");
    expect(lines.length).toBeGreaterThan(0);
  });

  test("a challenger_policy that cannot open is a 400 naming it, checked before the trainer is touched", async () => {
    const before = { state: (await status()).state, runs: (await runs()).length };
    const encoder = ensureModel(ctx.dataDir, DEFAULT_ENCODER);
    mkdirSync(join(ctx.dataDir, "half-model"), { recursive: true });
    writeFileSync(join(ctx.dataDir, "half-model", "config.json"), JSON.stringify({ model_type: "gpt2" }));
    const cases: [string, RegExp][] = [
      ["/etc", /must lie in the data dir/],
      ["/no/such/folder", /must lie in the data dir/],
      ["no-such-folder", /no backend takes it|no such folder/],
      ["file:///etc", /no backend takes it/],
      ["http://", /not a valid URL|no host/],
      ["half-model", /no tokenizer\.json/],
      [encoder, /not a causal language model/],
      ["../../etc", /must lie in the data dir/],
    ];
    for (const [spec, why] of cases) {
      const errors = await errorsOf(
        await post("/v1/trainer/start", { ...CONFIG, new_run: true, challenger_policy: spec }),
      );
      expect(errors).toEqual([{ field: "challenger_policy", message: expect.stringMatching(why) }]);
    }
    // A real model folder outside the data dir is refused over HTTP (the CLI's own config files may name one).
    const elsewhere = ensureModel(outside.dir, DEFAULT_LM);
    const far = await errorsOf(await post("/v1/trainer/start", { ...CONFIG, challenger_policy: elsewhere }));
    expect(far[0]!.message).toContain("must lie in the data dir");
    expect(await status()).toMatchObject({ state: before.state });
    expect(await runs()).toHaveLength(before.runs);
  });

  test("metrics of an unknown run are a 404 problem", async () => {
    const res = await app.request("/v1/trainer/runs/nope/metrics");
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
  });
});
