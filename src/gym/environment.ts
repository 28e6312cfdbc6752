import type { z } from "zod";
import { GymBadRow, GymNoAssignment, GymNoTask } from "../errors.ts";
import { createRng, type Rng } from "../prng.ts";
import { mixSeed } from "../policy/sampling.ts";
import type { Policy } from "../policy/types.ts";
import { solveMany } from "../roles/solve.ts";
import { parseTask, type Selection } from "../spice/challenger.ts";
import { goldOf, passRate, scoreRollout } from "../spice/reasoner.ts";
import { challengerOutputReward, drGrpoAdvantages, INVALID_PENALTY, reasonerReward } from "../spice/rewards.ts";
import { verify } from "../verify/index.ts";
import { parseAnswerType } from "../verify/types.ts";
import { drawTask } from "./pool.ts";
import { GymRowSchema, GymVerifyRequestSchema, outputText, reasonerObservation, type GymRow } from "./rows.ts";
import type { GymSettings } from "./settings.ts";
import type { Assignment, GymStore, PoolTask } from "./store.ts";

/**
 * The SPICE environment behind NeMo-Gym's resources-server contract (docs/gym.md), HTTP-free: the routes hand it
 * parsed rows and turn its answers and errors into responses. Both roles of one policy:
 * - challenger rows (`/verify`): the output is parsed and validated as the embedded trainer does; a valid task
 *   gets K reasoner samples from the policy server, its p̂ and the configured reward, and joins the task pool;
 * - reasoner rows (Gymnasium `/reset` + `/step`): a pool task per row key, the same for every rollout of the
 *   group, verified against its gold answer;
 * - plain verifiable rows (`question`, `expected_answer`, `answer_type`): `/verify` against the fixed gold.
 */

export interface ResetAnswer {
  observation: string;
  info: Record<string, unknown>;
}

export interface StepAnswer {
  observation: null;
  reward: number;
  terminated: true;
  truncated: false;
  info: Record<string, unknown>;
}

/** The fields `/verify` adds to the echoed request. */
export type VerifyFields = Record<string, unknown> & { reward: number };

type VerifyRequest = z.infer<typeof GymVerifyRequestSchema>;

function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.length ? i.path.join(".") : "(row)"}: ${i.message}`).join("; ");
}

/** 32-bit FNV-1a of a string: a stable seed part for a row. */
function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** Which rollout of its group a request belongs to; rows without `_ng_rollout_index` count from 10⁶ up. */
const ANONYMOUS_ROLLOUT = 1_000_000;

export class GymEnvironment {
  private readonly pool: PoolTask[];
  private readonly byId = new Map<number, PoolTask>();
  private readonly assignments = new Map<string, Assignment>();
  private readonly sessions = new Map<string, { key: string; rollout: number }>();
  private waiters: Array<() => void> = [];
  private readonly rng: Rng;
  private anonymous = ANONYMOUS_ROLLOUT;

  constructor(
    readonly store: GymStore,
    readonly settings: GymSettings,
    /** The policy the K reasoner samples come from, opened on first use. */
    private readonly policy: () => Promise<Policy>,
  ) {
    this.pool = store.loadPool();
    for (const t of this.pool) this.byId.set(t.taskId, t);
    for (const a of store.loadAssignments()) this.assignments.set(a.key, a);
    // A restarted server draws a different stream than the one before, but a seeded one.
    this.rng = createRng(mixSeed(settings.seed, this.pool.length, this.assignments.size));
  }

  get poolSize(): number {
    return this.pool.length;
  }

  /** Reads a row; a row the schema rejects is bad data (400). */
  static row(raw: Record<string, unknown>): GymRow {
    const r = GymRowSchema.safeParse(raw);
    if (!r.success) throw new GymBadRow(`bad row: ${describeIssues(r.error)}`);
    return r.data;
  }

  // ---- /verify -------------------------------------------------------------------------------------------

  async verify(raw: Record<string, unknown>): Promise<VerifyFields> {
    const parsed = GymVerifyRequestSchema.safeParse(raw);
    if (!parsed.success) throw new GymBadRow(`bad verify request: ${describeIssues(parsed.error)}`);
    const req = parsed.data;
    const text = outputText(req.response);
    if (req.spice_role === "challenger") return this.verifyChallenger(req, text);
    if (req.spice_role === "reasoner")
      throw new GymBadRow(
        "reasoner rows get their task from /reset: run them with the Gymnasium agent (/reset, /step)",
      );
    if (req.expected_answer !== undefined) return this.verifyFixed(req, text);
    throw new GymBadRow(
      'the row is neither a SPICE row (spice_role "challenger" | "reasoner") nor a verifiable one (question, expected_answer, answer_type)',
    );
  }

  private verifyFixed(req: VerifyRequest, text: string): VerifyFields {
    const answerType = req.answer_type ?? (req.options ? "MCQ" : "Expression");
    if (parseAnswerType(answerType) === null)
      throw new GymBadRow(`answer_type: must be Integer, Expression, String or MCQ, got ${JSON.stringify(answerType)}`);
    const v = verify(text, String(req.expected_answer), answerType, req.options ? { options: req.options } : undefined);
    this.store.recordFixed(v.correct);
    return { reward: reasonerReward(v.correct), correct: v.correct, extracted: v.extracted, reason: v.reason };
  }

  private selection(req: VerifyRequest): Selection {
    if (!req.spice_task_type) throw new GymBadRow("spice_task_type: required on a challenger row");
    if (req.spice_task_type === "mcq") return { taskType: "mcq", answerType: null, reason: "" };
    if (!req.spice_answer_type)
      throw new GymBadRow("spice_answer_type: a free_form challenger row needs Integer, Expression or String");
    return { taskType: "free_form", answerType: req.spice_answer_type, reason: "" };
  }

  private async verifyChallenger(req: VerifyRequest, text: string): Promise<VerifyFields> {
    const task = parseTask(text, this.selection(req));
    const docId = req.spice_segment ?? null;
    const groupKey = `${req._ng_task_index ?? "-"}:${req.spice_row ?? "-"}:${docId ?? "-"}`;
    const gold = goldOf(task);
    if (!gold) {
      this.store.recordChallenger({
        groupKey,
        docId,
        raw: text,
        task,
        passRate: null,
        reward: INVALID_PENALTY,
        samples: [],
      });
      return { reward: INVALID_PENALTY, valid: false, reason: task.error ?? "invalid", p_hat: null, task: null };
    }
    const K = this.settings.reasoner_samples;
    const question = { question: task.question, ...(task.options ? { options: task.options } : {}) };
    const seed = mixSeed(this.settings.seed, hash32(`${groupKey}|${req._ng_rollout_index ?? "-"}|${text}`));
    // K prompts of one sample each, sent concurrently: servers that ignore `n` and replica pools serve them too.
    const solved = await solveMany(
      await this.policy(),
      Array.from({ length: K }, () => question),
      {
        rollouts: 1,
        temperature: this.settings.temperature,
        topP: this.settings.top_p,
        maxTokens: this.settings.max_new_tokens,
        seed,
      },
    );
    const scores = solved.map((s) => scoreRollout(s.rollouts[0]!.text, gold));
    const pHat = passRate(scores);
    const reward = challengerOutputReward(true, pHat, this.settings.reward);
    const rewards = scores.map((s) => reasonerReward(s.correct === true));
    const advantages = drGrpoAdvantages(rewards);
    const pooled = this.store.recordChallenger({
      groupKey,
      docId,
      raw: text,
      task,
      passRate: pHat,
      reward,
      samples: scores.map((s, j) => ({
        text: solved[j]!.rollouts[0]!.text,
        extracted: s.extracted,
        correct: s.correct === true,
        reward: rewards[j]!,
        advantage: advantages[j]!,
      })),
    });
    if (pooled) this.addToPool(pooled);
    return {
      reward,
      valid: true,
      reason: null,
      p_hat: pHat,
      task: {
        task_id: pooled?.taskId ?? null,
        task_type: task.taskType,
        question: task.question,
        ...(task.options ? { options: task.options } : {}),
        answer: task.answer,
        answer_type: task.answerType,
      },
    };
  }

  private addToPool(task: PoolTask): void {
    this.pool.push(task);
    this.byId.set(task.taskId, task);
    const waiting = this.waiters;
    this.waiters = [];
    for (const wake of waiting) wake();
  }

  // ---- /reset and /step ------------------------------------------------------------------------------------

  /** The key of a reasoner row's group: the trainer's task index and the row's own number. */
  private keyOf(row: GymRow): string {
    if (row._ng_task_index === undefined && row.spice_row === undefined)
      throw new GymBadRow("a reasoner row needs _ng_task_index or spice_row to key its group's task");
    return `${row._ng_task_index ?? "-"}:${row.spice_row ?? "-"}`;
  }

  private async waitForPool(signal?: AbortSignal): Promise<boolean> {
    if (this.pool.length > 0) return true;
    if (this.settings.reset_wait_ms === 0) return false;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, this.settings.reset_wait_ms);
      const wake = () => done();
      function done() {
        clearTimeout(timer);
        signal?.removeEventListener("abort", wake);
        resolve();
      }
      this.waiters.push(wake);
      signal?.addEventListener("abort", wake);
    });
    return this.pool.length > 0;
  }

  /**
   * A task for a new group: drawn among the newest `pool_recent` pool tasks, leaving out those another group is
   * still answering (reset but not stepped by all its rollouts) unless nothing else is left, so that the groups of
   * one training step get different tasks while the pool has enough.
   */
  private draw(): PoolTask {
    const recent = this.pool.slice(-this.settings.pool_recent);
    const inUse = new Set<number>();
    for (const a of this.assignments.values()) if (a.stepped.length < a.reset.length) inUse.add(a.taskId);
    const free = recent.filter((t) => !inUse.has(t.taskId));
    const candidates = free.length > 0 ? free : recent;
    return drawTask(candidates, this.store.version, this.settings.recency_half_life, this.rng) as PoolTask;
  }

  /**
   * `/reset`: the row's group task. The first rollout of a group draws it; the others (and retries of a rollout
   * that has not stepped) get the same one. A rollout index that already stepped under the row's assignment
   * means the row came round again (a later epoch or step reusing the index): a new group, a new task.
   */
  async reset(raw: Record<string, unknown>, session: string, signal?: AbortSignal): Promise<ResetAnswer> {
    const row = GymEnvironment.row(raw);
    if (row.spice_role !== "reasoner")
      throw new GymBadRow('/reset serves reasoner rows (spice_role "reasoner"); challenger rows use /verify');
    const key = this.keyOf(row);
    const rollout = row._ng_rollout_index ?? this.anonymous++;
    let a = this.assignments.get(key);
    let fresh = false;
    const anonymousDone = row._ng_rollout_index === undefined && a && a.stepped.length >= a.reset.length;
    if (!a || a.stepped.includes(rollout) || anonymousDone) {
      if (!(await this.waitForPool(signal))) {
        this.store.recordReset(null, false);
        throw new GymNoTask(
          `the task pool is empty after ${this.settings.reset_wait_ms} ms: challenger rows fill it (retry later)`,
        );
      }
      // Another rollout of the group may have drawn while this one waited.
      const again = this.assignments.get(key);
      if (again && again !== a && !again.stepped.includes(rollout)) a = again;
      else {
        a = { key, taskId: this.draw().taskId, reset: [], stepped: [] };
        this.assignments.set(key, a);
        fresh = true;
      }
    }
    if (!a.reset.includes(rollout)) a.reset.push(rollout);
    this.store.recordReset(a, fresh);
    this.remember(session, { key, rollout });
    const task = this.byId.get(a.taskId)!;
    return {
      observation: reasonerObservation(task.question, task.options),
      info: { spice_task_id: task.taskId, p_hat: task.passRate, policy_version: task.policyVersion },
    };
  }

  private remember(session: string, value: { key: string; rollout: number }): void {
    this.sessions.delete(session);
    this.sessions.set(session, value);
    // Sessions of rollouts that never stepped are dropped oldest first.
    if (this.sessions.size > 100_000) this.sessions.delete(this.sessions.keys().next().value!);
  }

  /** `/step`: the answer verified against the group task's gold; one step ends the episode. */
  step(raw: Record<string, unknown>, session: string | null): StepAnswer {
    const parsed = GymVerifyRequestSchema.safeParse(raw);
    if (!parsed.success) throw new GymBadRow(`bad step request: ${describeIssues(parsed.error)}`);
    const row = parsed.data;
    const known = session ? this.sessions.get(session) : undefined;
    const key = known?.key ?? this.keyOf(row);
    const a = this.assignments.get(key);
    if (!a) throw new GymNoAssignment(`no /reset for row ${key}: reset the episode first`);
    const rollout = known?.rollout ?? row._ng_rollout_index ?? a.reset.at(-1) ?? 0;
    if (session) this.sessions.delete(session);
    const task = this.byId.get(a.taskId)!;
    const text = outputText(row.response);
    const v = verify(text, task.answer, task.answerType, task.options ? { options: task.options } : undefined);
    const reward = reasonerReward(v.correct);
    this.store.recordStep(a, rollout, { text, extracted: v.extracted, correct: v.correct, reward });
    return {
      observation: null,
      reward,
      terminated: true,
      truncated: false,
      info: { spice_task_id: task.taskId, correct: v.correct, extracted: v.extracted, reason: v.reason },
    };
  }
}
