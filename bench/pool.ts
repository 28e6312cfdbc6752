/**
 * A simulated pool of inference servers (issue 14): N = 1, 2, 4 fake OpenAI-compatible replicas
 * (test/fakes/openai-server.ts), each decoding at a fixed time per token with a concurrency cap
 * (requests past it queue on the replica, as vLLM's scheduler queues them). One self-play iteration
 * (the real runSelfPlayIteration: challenger rounds for every document at once, then every valid
 * task's K rollouts) runs through the toolkit's pool; its wall time is compared with the ideal,
 * the generation work the replicas did divided by the slots they have (N × cap).
 * Target: ≥ 0.8 of ideal at N = 4.
 */
import { OpenAIPolicy } from "../src/policy/openai.ts";
import { mixSeed } from "../src/policy/sampling.ts";
import type { Policy } from "../src/policy/types.ts";
import { challenge } from "../src/roles/challenge.ts";
import { runSelfPlayIteration } from "../src/selfplay/iteration.ts";
import { solveTasks, validTasks } from "../src/selfplay/reasoner-phase.ts";
import { selfPlaySettings } from "../src/trainer/factory.ts";
import { type FakeOpenAIServer, startFakeOpenAI } from "../test/fakes/openai-server.ts";
import { arithmeticScript, testTrainerConfig } from "../test/trainer/fixtures.ts";

const MS_PER_TOKEN = 4;
const CAP = 4;
const DOCS = Array.from({ length: 16 }, (_, i) => ({ id: `doc-${i}`, text: `Sam has ${10 + i} apples.` }));
const settings = selfPlaySettings(
  testTrainerConfig({ batch_docs: DOCS.length, challenger_samples: 4, reasoner_rollouts: 4, max_attempts: 8 }),
);

/** The loop before issue 14, for comparison: the challenger phase one document at a time. */
async function oneDocumentAtATime(policy: Policy, seed: number): Promise<number> {
  const challenges = [];
  for (const [slot, doc] of DOCS.entries()) {
    challenges.push(
      await challenge(policy, doc.text, {
        samples: settings.challengerSamples,
        maxAttempts: settings.maxAttempts,
        maxTokens: settings.maxNewTokens,
        seed: mixSeed(seed, 1, slot),
      }),
    );
  }
  const solved = await solveTasks(policy, validTasks(challenges), settings, seed);
  return solved.reduce((s, r) => s + r.rollouts.length, 0);
}

async function iteration(n: number, seed: number, sequential = false) {
  const servers: FakeOpenAIServer[] = Array.from({ length: n }, () => {
    const s = startFakeOpenAI({ msPerToken: MS_PER_TOKEN, maxConcurrent: CAP });
    s.setReply((prompt, choice) => arithmeticScript(prompt, { sample: choice }));
    return s;
  });
  const policy = new OpenAIPolicy({
    baseUrl: servers.map((s) => s.url),
    model: "fake-model",
    concurrency: CAP,
    probeIntervalMs: 0,
  });
  let next = 0;
  const documents = {
    async next(k: number) {
      return Array.from({ length: k }, () => DOCS[next++ % DOCS.length]!);
    },
    state: () => next,
  };
  const t0 = performance.now();
  const rollouts = sequential
    ? await oneDocumentAtATime(policy, seed)
    : (
        await runSelfPlayIteration({ policy, documents }, settings, { runId: "bench", iteration: 1, seed })
      ).segments.reduce((s, g) => s + g.tasks.reduce((t, k) => t + k.rollouts.length, 0), 0);
  const wall = performance.now() - t0;
  const busy = servers.reduce((s, x) => s + x.busyMs, 0);
  const requests = servers.reduce((s, x) => s + x.served, 0);
  await policy.close();
  for (const s of servers) await s.stop();
  return { wall, ideal: busy / (n * CAP), requests, rollouts };
}

const REPS = 5;
/** The median run by efficiency of REPS seeded iterations. */
async function measure(n: number, sequential = false) {
  const runs = [];
  for (let seed = 1; seed <= REPS; seed++) runs.push(await iteration(n, seed, sequential));
  return runs.sort((a, b) => a.ideal / b.wall - b.ideal / a.wall)[Math.floor(REPS / 2)]!;
}

await iteration(1, 0); // warm-up
const measured: Array<{ label: string; n: number; r: Awaited<ReturnType<typeof measure>> }> = [];
for (const n of [1, 2, 4]) measured.push({ label: String(n), n, r: await measure(n) });
measured.push({ label: "4, challenger one document at a time (before)", n: 4, r: await measure(4, true) });

const base = measured[0]!.r.wall;
console.log(
  `## Pool of inference servers: one self-play iteration over N fake replicas (${MS_PER_TOKEN} ms/token, cap ${CAP} each)\n`,
);
console.log(
  `B ${DOCS.length} documents · G ${settings.challengerSamples} · K ${settings.reasonerRollouts} · median of ${REPS} seeded iterations per row\n`,
);
console.log("| replicas N | requests | rollouts | ideal ms (work / N·cap) | wall ms | of ideal | speed-up vs N = 1 |");
console.log("|---|---:|---:|---:|---:|---:|---:|");
for (const { label, r } of measured)
  console.log(
    `| ${label} | ${r.requests} | ${r.rollouts} | ${r.ideal.toFixed(0)} | ${r.wall.toFixed(0)} | ${(r.ideal / r.wall).toFixed(2)} | ${(base / r.wall).toFixed(2)}× |`,
  );
const at4 = measured[2]!.r.ideal / measured[2]!.r.wall;
console.log(`\nTarget ≥ 0.8 of ideal at N = 4: **${at4 >= 0.8 ? "met" : "not met"}** (${at4.toFixed(2)}).`);
