import { describe, expect, test } from "bun:test";
import { ScriptedPolicy } from "../policy/scripted.ts";
import { challengerReward } from "../spice/rewards.ts";
import { runSelfPlayIteration, type SelfPlaySettings } from "./iteration.ts";

/**
 * A scripted policy that makes one iteration checkable by hand. Per document, G = 4 challenger
 * samples: two free-form Integer tasks, one MCQ, one unparseable selection. The reasoner (K = 4)
 * gets case 0 right 2/4 times, case 1 right 1/4 times, the MCQ 4/4 times.
 */
function scripted(): ScriptedPolicy {
  return new ScriptedPolicy((prompt, { prompt: p, sample }) => {
    const doc = /DOC-(\w)/.exec(prompt)?.[1] ?? "none";
    if (prompt.includes("Step 1 of 2")) {
      return [
        '{"task_type": "free_form", "answer_type": "Integer", "reason": "numbers"}',
        '```json\n{"task_type": "free_form", "answer_type": "Integer",}\n```',
        "{'task_type': 'mcq', 'answer_type': null}",
        "I would rather write a poem.",
      ][sample]!;
    }
    if (prompt.includes("Step 2 of 2: write a free-form")) {
      return `{"question": "How many apples in case ${p} of doc ${doc}?", "answer": "12", "answer_type": "Integer"}`;
    }
    if (prompt.includes("Step 2 of 2: write a multiple-choice")) {
      return `Sure! {"question": "Which is two (doc ${doc})?", "options": {"A": "1", "B": "2", "C": "3", "D": "4"}, "answer": "B"} Hope this helps.`;
    }
    if (prompt.includes("case 0")) return sample < 2 ? "3 times 4 is \\boxed{12}" : "\\boxed{7}";
    if (prompt.includes("case 1")) return sample < 1 ? "The answer is 12." : "\\boxed{13}";
    if (prompt.includes("Which is two")) return "Two is option \\boxed{B}";
    throw new Error(`unexpected prompt: ${prompt.slice(0, 200)}`);
  });
}

const settings: SelfPlaySettings = {
  batchDocs: 2,
  challengerSamples: 4,
  reasonerRollouts: 4,
  maxAttempts: 8,
  taskTypes: ["mcq", "free_form"],
  reward: "variance",
  useCorpus: true,
  temperature: 1,
  topP: 1,
  maxNewTokens: 256,
};

function docs() {
  let drawn = 0;
  const all = [
    { id: "a", text: "DOC-A: Ann has 3 bags of 4 apples." },
    { id: "b", text: "DOC-B: Bo has 12 apples." },
  ];
  return {
    async next(n: number) {
      const out = Array.from({ length: n }, (_, i) => all[(drawn + i) % all.length]!);
      drawn += n;
      return out;
    },
    state: () => ({ drawn }),
  };
}

describe("one self-play iteration", () => {
  test("rewards, advantages, records and metrics match the hand computation", async () => {
    const out = await runSelfPlayIteration({ policy: scripted(), documents: docs() }, settings, {
      runId: "r",
      iteration: 1,
      seed: 5,
    });
    const rHalf = challengerReward(0.5); // 1
    const rQuarter = challengerReward(0.25); // 0.8226
    const rOne = challengerReward(1); // 0.0439
    const rewards = [rHalf, rQuarter, rOne, -0.1];
    const mean = rewards.reduce((a, b) => a + b) / 4;

    expect(out.segments.map((s) => s.docId)).toEqual(["a", "b"]);
    expect(out.samplerState).toEqual({ drawn: 2 });
    for (const seg of out.segments) {
      expect(seg.attempts).toBe(4);
      expect(seg.skipped).toBe(false);
      expect(seg.tasks.map((t) => t.valid)).toEqual([true, true, true, false]);
      expect(seg.tasks[3]!.reason).toContain("selection");
      expect(seg.tasks.map((t) => t.passRate)).toEqual([0.5, 0.25, 1, null]);
      seg.tasks.forEach((t, i) => {
        expect(t.reward).toBeCloseTo(rewards[i]!, 12);
        expect(t.advantage).toBeCloseTo(rewards[i]! - mean, 12);
      });
      // Reasoner groups: binary rewards, mean-centred advantages (no std division).
      expect(seg.tasks[0]!.rollouts.map((r) => r.correct)).toEqual([true, true, false, false]);
      expect(seg.tasks[0]!.rollouts.map((r) => r.advantage)).toEqual([0.5, 0.5, -0.5, -0.5]);
      expect(seg.tasks[1]!.rollouts.map((r) => r.advantage)).toEqual([0.75, -0.25, -0.25, -0.25]);
      expect(seg.tasks[1]!.rollouts[0]!.extracted).toBe("12");
      expect(seg.tasks[2]!.rollouts.map((r) => r.advantage)).toEqual([0, 0, 0, 0]);
      expect(seg.tasks[3]!.rollouts).toEqual([]);
    }

    // Learner groups: per document 3 reasoner groups + the challenger's selection group and one per task prompt.
    const reasoner = out.groups.filter((g) => g.role === "reasoner");
    const challenger = out.groups.filter((g) => g.role === "challenger");
    expect(reasoner).toHaveLength(6);
    expect(challenger).toHaveLength(6);
    expect(out.groups.map((g) => g.group)).toEqual([...Array(12).keys()]);
    const selection = challenger.find((g) => g.prompt.includes("Step 1 of 2"))!;
    expect(selection.completions).toHaveLength(4);
    for (const [i, a] of selection.advantages.entries()) expect(a).toBeCloseTo(rewards[i]! - mean, 12);
    expect(selection.meta?.group_size).toBe(4);
    const freeForm = challenger.find((g) => g.prompt.includes("write a free-form"))!;
    expect(freeForm.completions).toHaveLength(2);
    expect(freeForm.meta?.group_size).toBe(4);
    for (const g of out.groups) {
      expect(g.token_ids).toHaveLength(g.completions.length);
      expect(g.logprobs).toHaveLength(g.completions.length);
      expect(g.rewards).toHaveLength(g.completions.length);
    }

    const m = out.metrics;
    expect(m["challenger.valid_rate"]).toBe(0.75);
    expect(m["challenger.docs_skipped"]).toBe(0);
    expect(m["reasoner.accuracy"]).toBeCloseTo(14 / 24, 12);
    expect(m["challenger.mean_reward"]).toBeCloseTo(mean, 12);
    expect(m.pass_rate_histogram).toEqual([0, 2, 2, 0, 2]);
    expect(m["mix.mcq"]).toBe(2);
    expect(m["mix.free_form.Integer"]).toBe(4);
    expect(Object.values(m.invalid_reasons as Record<string, number>)).toEqual([2]);
    for (const phase of ["corpus", "challenger", "reasoner", "verify"])
      expect(m[`seconds.${phase}`]).toBeGreaterThanOrEqual(0);
  });

  test("a document with no valid output within max_attempts is skipped after exactly max_attempts samples", async () => {
    const policy = new ScriptedPolicy(() => "no json here");
    const out = await runSelfPlayIteration(
      { policy, documents: docs() },
      { ...settings, batchDocs: 1, maxAttempts: 10 },
      { runId: "r", iteration: 1, seed: 1 },
    );
    const seg = out.segments[0]!;
    expect(seg.skipped).toBe(true);
    expect(seg.attempts).toBe(10);
    // The last round (10 − 2·4 = 2 samples) is the group; all invalid, so nothing reaches the learner.
    expect(seg.tasks).toHaveLength(2);
    expect(seg.tasks.every((t) => t.reward === -0.1 && t.advantage === 0)).toBe(true);
    expect(out.groups).toEqual([]);
  });

  test("without a corpus the challenger gets no document (the paper's ablation)", async () => {
    const policy = scripted();
    const out = await runSelfPlayIteration(
      { policy, documents: null },
      { ...settings, useCorpus: false, batchDocs: 1 },
      { runId: "r", iteration: 1, seed: 1 },
    );
    expect(out.segments[0]!.docId).toBeNull();
    expect(policy.seen.some((p) => p.includes("There is no document"))).toBe(true);
    expect(policy.seen.some((p) => p.includes("<<<DOCUMENT"))).toBe(false);
  });

  test("a fixed challenger writes the tasks; the policy only answers", async () => {
    const fixed = scripted();
    const reasoner = scripted();
    const out = await runSelfPlayIteration(
      { policy: reasoner, challenger: fixed, documents: docs() },
      { ...settings, batchDocs: 1 },
      { runId: "r", iteration: 1, seed: 1 },
    );
    expect(fixed.seen.every((p) => p.includes("Step "))).toBe(true);
    // Its tasks are scored and recorded, but only the reasoner's groups reach the learner.
    expect(out.segments[0]!.tasks.map((t) => t.valid)).toEqual([true, true, true, false]);
    expect(out.groups.length).toBeGreaterThan(0);
    expect(out.groups.every((g) => g.role === "reasoner")).toBe(true);
    expect(reasoner.seen.some((p) => p.includes("Step "))).toBe(false);
    expect(reasoner.seen.length).toBeGreaterThan(0);
  });

  test("an aborted iteration throws and returns nothing", async () => {
    const abort = new AbortController();
    abort.abort();
    expect(
      runSelfPlayIteration({ policy: scripted(), documents: docs() }, settings, {
        runId: "r",
        iteration: 1,
        seed: 1,
        signal: abort.signal,
      }),
    ).rejects.toThrow();
  });
});

describe("beyond the paper: the collapse guard and the oracle challenger", () => {
  test("with task_guard, a short question is rejected (ρ, no rollouts) and the others are scored as before", async () => {
    const out = await runSelfPlayIteration(
      { policy: scripted(), documents: docs() },
      { ...settings, taskGuard: true },
      { runId: "r", iteration: 1, seed: 5 },
    );
    for (const seg of out.segments) {
      const mcq = seg.tasks[2]!;
      expect(mcq.valid).toBe(false);
      expect(mcq.reason).toMatch(/^guard: question has 5 words/);
      expect(mcq.reward).toBe(-0.1);
      expect(mcq.rollouts).toEqual([]);
      // The two free-form tasks (8+ words, gold not in the question) pass: p̂ 0.5 and 0.25, the sibling is invalid but 0 < p̂ < 1.
      expect(seg.tasks.slice(0, 2).map((t) => [t.valid, t.passRate, t.reward])).toEqual([
        [true, 0.5, challengerReward(0.5)],
        [true, 0.25, challengerReward(0.25)],
      ]);
    }
    // Without the guard the same MCQ is valid at p̂ = 1 (the reward hole the guard closes).
    const plain = await runSelfPlayIteration({ policy: scripted(), documents: docs() }, settings, {
      runId: "r",
      iteration: 1,
      seed: 5,
    });
    expect(plain.segments[0]!.tasks[2]!.valid).toBe(true);
    expect(plain.segments[0]!.tasks[2]!.reward).toBeGreaterThan(-0.1);
  });

  test("an oracle replaces the challenger: its tasks are solved and scored, and no challenger step is trained", async () => {
    const policy = scripted();
    const asked: string[] = [];
    const out = await runSelfPlayIteration(
      {
        policy,
        documents: docs(),
        oracle: (doc, count) => {
          asked.push(doc.id);
          return Array.from({ length: count }, (_, i) => ({
            valid: true,
            taskType: "free_form" as const,
            question: `How many apples in case ${i % 2} of doc ${doc.id}?`,
            answer: "12",
            answerType: "Integer" as const,
          }));
        },
      },
      settings,
      { runId: "r", iteration: 1, seed: 5 },
    );
    expect(asked).toEqual(["a", "b"]);
    for (const seg of out.segments) {
      expect(seg.tasks.map((t) => t.passRate)).toEqual([0.5, 0.25, 0.5, 0.25]);
      expect(seg.tasks.every((t) => t.raw === "")).toBe(true);
    }
    expect(out.groups.some((g) => g.role === "challenger")).toBe(false);
    expect(out.groups.filter((g) => g.role === "reasoner")).toHaveLength(8);
  });
});
