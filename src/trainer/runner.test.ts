import { afterEach, describe, expect, test } from "bun:test";
import { appendFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { count, eq } from "drizzle-orm";
import { iterations, rollouts, runs, segmentsUsed, tasks, trainerLock } from "../db/schema.ts";
import { parseTrainerConfig, TrainerConfigError } from "./config.ts";
import { currentHolder } from "./lock.ts";
import { runMetrics } from "./persist.ts";
import { TrainerConfigConflict } from "./plan.ts";
import { Trainer } from "./runner.ts";
import { ScoredGroupSchema } from "../spice/scored-group.ts";
import { testContext } from "../../test/helpers.ts";
import { scriptedFactory, testTrainerConfig } from "../../test/trainer/fixtures.ts";

const contexts: Array<ReturnType<typeof testContext>> = [];
afterEach(async () => {
  for (const c of contexts.splice(0)) await c.close();
});
function ctx() {
  const c = testContext();
  contexts.push(c);
  return c;
}

const readGroups = (path: string) =>
  readFileSync(path, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => ScoredGroupSchema.parse(JSON.parse(l)));

function rowCounts(c: ReturnType<typeof ctx>, runId: string) {
  const n = (q: { n: number } | undefined) => q?.n ?? 0;
  return {
    iterations: n(c.db.select({ n: count() }).from(iterations).where(eq(iterations.runId, runId)).get()),
    segments: n(c.db.select({ n: count() }).from(segmentsUsed).where(eq(segmentsUsed.runId, runId)).get()),
    tasks: n(c.db.select({ n: count() }).from(tasks).where(eq(tasks.runId, runId)).get()),
    rollouts: n(c.db.select({ n: count() }).from(rollouts).get()),
  };
}

describe("trainer loop", () => {
  test("runs every iteration, commits each with its rows, and exports scored groups", async () => {
    const c = ctx();
    const path = join(c.dataDir, "groups.jsonl");
    const trainer = new Trainer(c, scriptedFactory(path));
    const started = await trainer.start(testTrainerConfig());
    await trainer.done();
    const status = trainer.status();
    expect(status).toMatchObject({ state: "finished", iteration: 3, iterations: 3, resumed: false });
    const runId = started.run_id!;
    // 3 iterations × 2 documents × G = 3 samples; 2 valid per document × K = 2 rollouts.
    expect(rowCounts(c, runId)).toEqual({ iterations: 3, segments: 6, tasks: 18, rollouts: 24 });
    expect(c.db.select().from(runs).where(eq(runs.id, runId)).get()!.status).toBe("finished");
    const groups = readGroups(path);
    expect(new Set(groups.map((g) => g.iteration))).toEqual(new Set([1, 2, 3]));
    expect(groups.every((g) => g.run === runId)).toBe(true);
    // Per iteration: 4 reasoner groups (one per valid task) + per document a selection and a task group.
    expect(groups.filter((g) => g.iteration === 1 && g.role === "reasoner")).toHaveLength(4);
    expect(groups.filter((g) => g.iteration === 1 && g.role === "challenger")).toHaveLength(4);
    const reasoner = groups.find((g) => g.role === "reasoner")!;
    expect(reasoner.rewards).toEqual([1, 0]);
    expect(reasoner.advantages).toEqual([0.5, -0.5]);
    const metrics = runMetrics(c.db, runId, ["challenger.valid_rate", "reasoner.accuracy"]);
    expect(metrics).toHaveLength(3);
    expect(metrics[0]).toEqual({ iteration: 1, "challenger.valid_rate": 2 / 3, "reasoner.accuracy": 0.5 });
    const prom = await c.registry.metrics();
    expect(prom).toContain(`spice_trainer_iteration{run="${runId}"} 3`);
    expect(prom).toContain("spice_trainer_reasoner_accuracy");
  });

  test("resumes the unfinished run exactly where it stopped: no lost or duplicated rows or groups", async () => {
    const c = ctx();
    const path = join(c.dataDir, "groups.jsonl");
    const config = testTrainerConfig({ iterations: 4 });

    // Reference: an uninterrupted run of the same config on another data dir.
    const ref = ctx();
    const refPath = join(ref.dataDir, "groups.jsonl");
    const refTrainer = new Trainer(ref, scriptedFactory(refPath));
    await refTrainer.start(config);
    await refTrainer.done();

    const first = new Trainer(c, scriptedFactory(path, { delayMs: 30 }));
    const { run_id } = await first.start(config);
    while (first.status().iteration < 2) await Bun.sleep(5);
    await first.stop();
    expect(first.status().state).toBe("stopped");
    const stoppedAt = first.status().iteration;
    expect(rowCounts(c, run_id!).iterations).toBe(stoppedAt);
    // An uncommitted iteration's groups that reached the file before a crash.
    appendFileSync(path, '{"torn": true, "iteration": 99}\n{"half');

    const second = new Trainer(c, scriptedFactory(path));
    const resumed = await second.start(config);
    expect(resumed).toMatchObject({ run_id, resumed: true, iteration: stoppedAt });
    await second.done();
    expect(second.status()).toMatchObject({ state: "finished", iteration: 4 });
    expect(rowCounts(c, run_id!)).toEqual({
      iterations: 4,
      segments: 8,
      tasks: 24,
      rollouts: rowCounts(ref, refTrainer.status().run_id!).rollouts,
    });

    // The resumed run drew the same documents and produced the same groups as the uninterrupted one.
    const strip = (gs: ReturnType<typeof readGroups>) => gs.map(({ run: _r, ...g }) => g);
    expect(strip(readGroups(path))).toEqual(strip(readGroups(refPath)));
    const docs = (x: ReturnType<typeof ctx>, id: string) =>
      x.db
        .select({ it: segmentsUsed.iteration, doc: segmentsUsed.docId })
        .from(segmentsUsed)
        .where(eq(segmentsUsed.runId, id))
        .orderBy(segmentsUsed.iteration, segmentsUsed.slot)
        .all()
        .map((r) => r.doc);
    expect(docs(c, run_id!)).toEqual(docs(ref, refTrainer.status().run_id!));
  });

  test("pause holds the loop between iterations; resume continues", async () => {
    const c = ctx();
    const trainer = new Trainer(c, scriptedFactory(join(c.dataDir, "g.jsonl"), { delayMs: 20 }));
    await trainer.start(testTrainerConfig({ iterations: 3 }));
    trainer.pause();
    const at = trainer.status().iteration;
    await Bun.sleep(120);
    expect(trainer.status().state).toBe("paused");
    expect(trainer.status().iteration).toBeLessThanOrEqual(at + 1);
    expect(() => trainer.pause()).toThrow(/cannot pause/);
    trainer.resume();
    await trainer.done();
    expect(trainer.status()).toMatchObject({ state: "finished", iteration: 3 });
  });

  test("--new-run starts afresh and marks the old run stopped", async () => {
    const c = ctx();
    const path = join(c.dataDir, "g.jsonl");
    const a = new Trainer(c, scriptedFactory(path, { delayMs: 20 }));
    const first = await a.start(testTrainerConfig({ iterations: 5 }));
    await a.stop();
    const b = new Trainer(c, scriptedFactory(path));
    const second = await b.start(testTrainerConfig({ iterations: 1 }), { newRun: true });
    await b.done();
    expect(second.run_id).not.toBe(first.run_id);
    expect(second.resumed).toBe(false);
    expect(c.db.select().from(runs).where(eq(runs.id, first.run_id!)).get()!.status).toBe("stopped");
  });

  test("a start whose configuration differs from the unfinished run's is refused; that run is left as it was", async () => {
    const c = ctx();
    const path = join(c.dataDir, "g.jsonl");
    const a = new Trainer(c, scriptedFactory(path, { delayMs: 20 }));
    const first = await a.start(testTrainerConfig({ iterations: 5 }));
    await a.stop();
    const stoppedAt = a.status().iteration;
    const b = new Trainer(c, scriptedFactory(path));
    expect(b.start(testTrainerConfig({ iterations: 9 }))).rejects.toThrow(TrainerConfigConflict);
    await Bun.sleep(10);
    expect(b.status()).toMatchObject({ state: "idle", run_id: null, holder: null });
    expect(currentHolder(c.db)).toBeNull();
    expect(c.db.select().from(runs).where(eq(runs.id, first.run_id!)).get()!.status).toBe("stopped");
    // resume: the stored configuration wins, from where it stopped.
    const resumed = await b.start(testTrainerConfig({ iterations: 9 }), { resume: true });
    expect(resumed).toMatchObject({ run_id: first.run_id, resumed: true, iteration: stoppedAt, iterations: 5 });
    await b.done();
    expect(b.status()).toMatchObject({ state: "finished", iteration: 5 });
  });

  test("a trainer whose lock is taken over stops without writing again and without failing the run", async () => {
    const c = ctx();
    const trainer = new Trainer(c, scriptedFactory(join(c.dataDir, "g.jsonl"), { delayMs: 40 }));
    const { run_id } = await trainer.start(testTrainerConfig({ iterations: 50 }));
    while (trainer.status().iteration < 1) await Bun.sleep(5);
    expect(trainer.status().holder).toMatchObject({ pid: process.pid, run_id, this_process: true });
    // Another process presumed this one dead and took the lock.
    c.db.update(trainerLock).set({ token: "usurper" }).run();
    await trainer.done();
    const committed = rowCounts(c, run_id!).iterations;
    expect(trainer.status()).toMatchObject({ state: "stopped" });
    expect(trainer.status().error).toContain("taken over");
    await Bun.sleep(100);
    expect(rowCounts(c, run_id!).iterations).toBe(committed);
    expect(c.db.select().from(runs).where(eq(runs.id, run_id!)).get()!.status).toBe("running");
  });

  test("a second start while running is refused", async () => {
    const c = ctx();
    const trainer = new Trainer(c, scriptedFactory(join(c.dataDir, "g.jsonl"), { delayMs: 20 }));
    await trainer.start(testTrainerConfig({ iterations: 3 }));
    expect(trainer.start(testTrainerConfig())).rejects.toThrow(/already running/);
    await trainer.stop();
  });
});

describe("trainer config", () => {
  test("the contract's keys validate; errors name the field", () => {
    expect(parseTrainerConfig({ iterations: 640, batch_docs: 8, reward: "rzero", learner: "embedded" })).toMatchObject({
      iterations: 640,
      reward: "rzero",
    });
    expect(() => parseTrainerConfig({ batch_docs: 0 })).toThrow(/batch_docs/);
    expect(() => parseTrainerConfig({ reward: "bogus" })).toThrow(/reward/);
    expect(() => parseTrainerConfig({ task_types: [] })).toThrow(/task_types/);
    expect(() => parseTrainerConfig({ task_types: ["essay"] })).toThrow(/task_types\.0/);
    expect(() => parseTrainerConfig({ learning_rat: 1 })).toThrow(/learning_rat/);
    expect(() => parseTrainerConfig({ temperature: "hot" })).toThrow(TrainerConfigError);
  });

  test("challenger_policy: a spec string, or a server object with its own model, endpoint and key variable", () => {
    expect(parseTrainerConfig({ challenger_policy: "http://big:8000" }).challenger_policy).toBe("http://big:8000");
    const server = {
      url: ["http://a:8000", " http://b:8000/v1"],
      model: "Qwen/Qwen3-32B",
      endpoint: "chat" as const,
      api_key_env: "CHALLENGER_KEY",
    };
    expect(parseTrainerConfig({ challenger_policy: server }).challenger_policy).toEqual({
      ...server,
      url: "http://a:8000,http://b:8000/v1",
    });
    expect(() => parseTrainerConfig({ challenger_policy: { url: "ftp://x" } })).toThrow(/challenger_policy/);
    expect(() => parseTrainerConfig({ challenger_policy: { url: "http://a", endpoint: "x" } })).toThrow(
      /challenger_policy/,
    );
    expect(() => parseTrainerConfig({ challenger_policy: { url: "http://a", api_key: "secret" } })).toThrow(
      /challenger_policy/,
    );
    expect(() => parseTrainerConfig({ challenger_policy: { url: "http://a", api_key_env: "no spaces" } })).toThrow(
      /api_key_env/,
    );
  });
});
