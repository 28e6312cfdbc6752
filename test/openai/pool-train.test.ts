import { afterAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { count, eq } from "drizzle-orm";
import { rollouts, tasks } from "../../src/db/schema.ts";
import { OpenAIPolicy } from "../../src/policy/openai.ts";
import { ScoredGroupSchema } from "../../src/spice/scored-group.ts";
import { Trainer } from "../../src/trainer/runner.ts";
import { type FakeOpenAIServer, startFakeOpenAI } from "../fakes/openai-server.ts";
import { testContext } from "../helpers.ts";
import { arithmeticScript, scriptedFactory, testTrainerConfig } from "../trainer/fixtures.ts";

/**
 * A rollout-only run through a pool of three fake OpenAI-compatible servers that answer the same
 * deterministic script: one replica is killed mid-run and brought back later, one is slow. The run
 * must go on and end with exactly the rows and scored groups of an undisturbed run.
 */

const contexts: Array<ReturnType<typeof testContext>> = [];
const servers: FakeOpenAIServer[] = [];
afterAll(async () => {
  for (const c of contexts) await c.close();
  for (const s of servers) await s.stop();
});

function replicas(msPerToken: number[]): FakeOpenAIServer[] {
  const list = msPerToken.map((ms) => {
    const s = startFakeOpenAI({ msPerToken: ms, fingerprint: "fp_fake" });
    s.setReply((prompt, choice) => arithmeticScript(prompt, { sample: choice }));
    return s;
  });
  servers.push(...list);
  return list;
}

async function runWith(pool: FakeOpenAIServer[], during?: (trainer: Trainer) => Promise<void>) {
  const c = testContext();
  contexts.push(c);
  const path = join(c.dataDir, "groups.jsonl");
  const policy = () =>
    new OpenAIPolicy({
      baseUrl: pool.map((s) => s.url),
      model: "fake-model",
      concurrency: 2,
      retries: 3,
      backoffMs: 5,
      probeIntervalMs: 25,
      probeTimeoutMs: 500,
    });
  const trainer = new Trainer(c, scriptedFactory(path, { policy }));
  const { run_id } = await trainer.start(testTrainerConfig({ iterations: 4, batch_docs: 3, max_new_tokens: 40 }));
  await during?.(trainer);
  await trainer.done();
  expect(trainer.status().state).toBe("finished");
  const groups = readFileSync(path, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => ScoredGroupSchema.parse(JSON.parse(l)));
  const n = (q: { n: number } | undefined) => q?.n ?? 0;
  return {
    groups: groups.map(({ run: _r, ...g }) => g),
    tasks: n(c.db.select({ n: count() }).from(tasks).where(eq(tasks.runId, run_id!)).get()),
    rollouts: n(c.db.select({ n: count() }).from(rollouts).get()),
    versions: c.db.select({ v: rollouts.policyVersion }).from(rollouts).all(),
  };
}

describe("rollout-only training through a pool of three replicas", () => {
  test("one replica killed mid-run and brought back, one slow: nothing lost or duplicated", async () => {
    const reference = await runWith(replicas([1, 1, 1]));
    expect(reference.rollouts).toBeGreaterThan(0);

    const pool = replicas([2, 2, 12]);
    const disturbed = await runWith(pool, async (trainer) => {
      while (trainer.status().iteration < 1) await Bun.sleep(2);
      await pool[0]!.kill();
      while (trainer.status().iteration < 2) await Bun.sleep(2);
      const servedWhileDown = pool[0]!.served;
      pool[0]!.restart();
      await trainer.done();
      // Probed back in and used again before the run ended.
      expect(pool[0]!.served).toBeGreaterThan(servedWhileDown);
    });
    expect(pool.every((s) => s.served > 0)).toBe(true);
    expect(disturbed.tasks).toBe(reference.tasks);
    expect(disturbed.rollouts).toBe(reference.rollouts);
    expect(disturbed.groups).toEqual(reference.groups);
    // Every exported completion and every stored rollout names the policy version that produced it.
    for (const g of disturbed.groups)
      expect(g.policy_versions).toEqual(
        g.completions.map(() => ({ backend: "openai", model: "fake-model", revision: "fp_fake" })),
      );
    expect(disturbed.versions.every((r) => r.v?.revision === "fp_fake")).toBe(true);
  }, 60_000);
});
