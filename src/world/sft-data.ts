import { createRng } from "../prng.ts";
import { renderPlain, type Prompt } from "../policy/types.ts";
import { reasonerPrompt, selectionPrompt, taskPrompt } from "../spice/prompts.ts";
import { ROLES, type Role } from "../spice/scored-group.ts";
import { TASK_TYPES, type FreeFormAnswerType, type TaskType } from "../spice/task-types.ts";
import type { World, WorldDocument, WorldTask } from "./types.ts";

/**
 * Warm-start data: `{prompt, completion}` pairs in both roles' formats, built with the roles'
 * own prompt builders and rendered as the policy renders them, so that supervised fine-tuning
 * teaches exactly the strings self-play will later sample from.
 */

export type SftRole = Role;

export interface SftPair {
  prompt: string;
  completion: string;
  /** Which role and step the pair teaches; the learner reads only prompt and completion. */
  role: SftRole;
  step: "selection" | "task" | "answer";
}

export interface SftDataOptions {
  seed: number;
  roles?: readonly SftRole[];
  /** The policy's render(); plain `User:`/`Assistant:` text (a model without chat template) by default. */
  render?: (prompt: Prompt) => string;
}

const REASONS: Record<WorldDocument["kind"], string> = {
  story: "it says how many things people have",
  table: "it lists prices",
  units: "it says how much each container holds",
  dates: "it gives days of the week",
};

function taskTypeOf(task: WorldTask): { taskType: TaskType; answerType: FreeFormAnswerType | null } {
  return task.answer_type === "MCQ"
    ? { taskType: "mcq", answerType: null }
    : { taskType: "free_form", answerType: task.answer_type };
}

function challengerTaskJson(task: WorldTask): string {
  return task.answer_type === "MCQ"
    ? JSON.stringify({ question: task.question, options: task.options, answer: task.answer })
    : JSON.stringify({ question: task.question, answer: task.answer, answer_type: task.answer_type });
}

/** The reasoner's target: the worked steps, then the answer (the letter for MCQ) in a box. */
export function reasonerCompletion(task: WorldTask): string {
  return `${task.steps.join(" ")} \\boxed{${task.answer}}`;
}

export function sftPairs(world: World, options: SftDataOptions): SftPair[] {
  const render = options.render ?? renderPlain;
  const roles = new Set(options.roles ?? ROLES);
  const rng = createRng(options.seed);
  const tasksByDoc = Map.groupBy(world.tasks, (t) => t.doc_id);
  // A completion follows the rendered prompt directly; plain prompts end in "Assistant:", so a space goes between.
  const pair = (prompt: Prompt, completion: string, role: SftRole, step: SftPair["step"]): SftPair => {
    const text = render(prompt);
    return { prompt: text, completion: /\s$/.test(text) ? completion : ` ${completion}`, role, step };
  };
  const out: SftPair[] = [];
  for (const doc of world.documents) {
    const tasks = tasksByDoc.get(doc.id) ?? [];
    if (tasks.length === 0) continue;
    if (roles.has("challenger")) {
      // One of the document's tasks per document: its long prompt costs far more to train on than a reasoner pair.
      const task = tasks[rng.int(tasks.length)]!;
      const { taskType, answerType } = taskTypeOf(task);
      const selection = JSON.stringify({ task_type: taskType, answer_type: answerType, reason: REASONS[doc.kind] });
      out.push(pair(selectionPrompt(doc.text, TASK_TYPES), selection, "challenger", "selection"));
      out.push(pair(taskPrompt(doc.text, taskType, answerType), challengerTaskJson(task), "challenger", "task"));
    }
    if (roles.has("reasoner")) {
      for (const task of tasks)
        out.push(pair(reasonerPrompt(task.question, task.options), reasonerCompletion(task), "reasoner", "answer"));
    }
  }
  return out;
}
