import { type Command, InvalidArgumentError, Option } from "commander";
import { createWriteStream, existsSync, readFileSync, writeFileSync } from "node:fs";
import { ConfigError, type Config } from "../config.ts";
import { CorpusEmpty } from "../errors.ts";
import { getCorpus } from "../corpus/index.ts";
import { NemoGymConfigError, readNemoGymPlacement, type NemoGymPlacement } from "../gym/nemo-config.ts";
import { challengerRows, DEFAULT_AGENTS, GYM_ROLES, reasonerObservation, reasonerRows } from "../gym/rows.ts";
import { latestExternalRun, loadPoolTasks } from "../gym/store.ts";
import { getRun } from "../trainer/persist.ts";
import { startGymServer } from "../gym/serve.ts";
import { GymSettingsError, parseGymSettings, type GymSettings } from "../gym/settings.ts";
import { createRng } from "../prng.ts";
import { openContext } from "../server.ts";
import { REWARD_FUNCTIONS } from "../spice/rewards.ts";
import { TASK_TYPES, TaskTypeSchema, type TaskType } from "../spice/task-types.ts";
import { commandConfig, fail, intArg } from "./util.ts";

/**
 * `spice gym serve` and `spice gym dataset`: the SPICE environment as a NeMo-Gym resources server for an external
 * trainer (NeMo-RL, verl, TRL, …), and the dataset rows it serves (docs/gym.md).
 */

export const DEFAULT_GYM_PORT = 8790;

function taskTypesArg(value: string): TaskType[] {
  const types = value.split(",").map((s) => s.trim());
  for (const t of types)
    if (!TaskTypeSchema.safeParse(t).success)
      throw new InvalidArgumentError(`--task-types takes a comma-separated list of ${TASK_TYPES.join(", ")}.`);
  return types as TaskType[];
}

interface ServeFlags {
  gymHost?: string;
  gymPort?: number;
  config?: string;
  k?: number;
  seed?: number;
  reward?: string;
  window?: number;
  newRun: boolean;
  nemoGym: boolean;
  api: boolean;
}

function readSettingsFile(path: string): Record<string, unknown> {
  if (!existsSync(path)) fail(`no such file: ${path}`);
  try {
    const value = JSON.parse(readFileSync(path, "utf8")) as unknown;
    if (value === null || typeof value !== "object" || Array.isArray(value)) fail(`${path}: not a JSON object`);
    return value as Record<string, unknown>;
  } catch (err) {
    fail(`${path} is not valid JSON: ${(err as Error).message}`);
  }
}

/** Settings: the config file, then NeMo-Gym's `spice` block, then flags. */
function settingsOf(opts: ServeFlags, placement: NemoGymPlacement | null): GymSettings {
  const flags = Object.fromEntries(
    Object.entries({ reasoner_samples: opts.k, seed: opts.seed, reward: opts.reward, window: opts.window }).filter(
      ([, v]) => v !== undefined,
    ),
  );
  const merged = { ...(opts.config ? readSettingsFile(opts.config) : {}), ...(placement?.settings ?? {}), ...flags };
  try {
    return parseGymSettings(merged);
  } catch (err) {
    if (err instanceof GymSettingsError) fail(err.message);
    throw err;
  }
}

async function serve(opts: ServeFlags, cmd: Command): Promise<void> {
  let placement: NemoGymPlacement | null = null;
  if (opts.nemoGym) {
    try {
      placement = readNemoGymPlacement();
    } catch (err) {
      if (err instanceof NemoGymConfigError) fail(err.message);
      throw err;
    }
  }
  const base = commandConfig(cmd);
  // NeMo-Gym's data_dir applies unless --data-dir / SPICE_DATA_DIR says otherwise.
  const explicitDataDir = (cmd.optsWithGlobals() as { dataDir?: string }).dataDir ?? process.env.SPICE_DATA_DIR;
  const config: Config = placement?.dataDir && !explicitDataDir ? { ...base, dataDir: placement.dataDir } : base;
  const settings = settingsOf(opts, placement);
  const host = opts.gymHost ?? placement?.host ?? "127.0.0.1";
  const port = opts.gymPort ?? placement?.port ?? DEFAULT_GYM_PORT;
  try {
    const running = await startGymServer(config, {
      host,
      port,
      settings,
      newRun: opts.newRun,
      nemoPolicy: placement?.policy ?? null,
      api: opts.api,
    });
    const stop = (signal: string) => {
      running.ctx.logger.info({ signal }, "shutting down");
      running.stop().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    process.once("SIGTERM", () => stop("SIGTERM"));
    process.once("SIGINT", () => stop("SIGINT"));
    const run = running.env.store.run;
    process.stderr.write(
      `spice: gym environment on ${running.url} (run ${run.id}${running.env.store.resumed ? ", resumed" : ""}, ` +
        `pool ${running.env.poolSize}, reasoner samples from ${running.policySource})` +
        `${running.apiUrl ? `; API on ${running.apiUrl}` : ""}\n`,
    );
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message);
    if ((err as { code?: string }).code === "EADDRINUSE") fail(`port ${port} is already in use (--gym-port)`);
    throw err;
  }
}

interface DatasetFlags {
  role: (typeof GYM_ROLES)[number];
  n: number;
  seed: number;
  out?: string;
  taskTypes: TaskType[];
  agent?: string;
  agentRef: boolean;
  firstRow: number;
}

async function dataset(opts: DatasetFlags, cmd: Command): Promise<void> {
  const agent = opts.agentRef ? (opts.agent ?? DEFAULT_AGENTS[opts.role]) : null;
  let rows: Record<string, unknown>[];
  if (opts.role === "reasoner") {
    rows = reasonerRows(opts.n, { agent, firstRow: opts.firstRow });
  } else {
    const ctx = openContext({ ...commandConfig(cmd), logLevel: "silent" });
    try {
      const corpus = await getCorpus(ctx);
      if ((await corpus.stats()).segments === 0) throw new CorpusEmpty();
      // The trainer's epoch sampler: uniform over segments, each drawn once per epoch.
      const ids = (await corpus.createSampler({ seed: opts.seed })).next(opts.n);
      const byId = new Map((await corpus.segments([...new Set(ids)])).map((s) => [s.id, s]));
      const segments = ids.map((id) => ({ id, text: byId.get(id)!.text }));
      rows = challengerRows(segments, createRng(opts.seed), {
        taskTypes: opts.taskTypes,
        agent,
        firstRow: opts.firstRow,
      });
    } finally {
      await ctx.close();
    }
  }
  const out = opts.out ? createWriteStream(opts.out) : process.stdout;
  for (const row of rows) out.write(`${JSON.stringify(row)}\n`);
  if (opts.out)
    await new Promise<void>((resolve, reject) =>
      (out as ReturnType<typeof createWriteStream>).end((e?: Error) => (e ? reject(e) : resolve())),
    );
  process.stderr.write(`spice: ${rows.length} ${opts.role} rows${opts.out ? ` → ${opts.out}` : ""}\n`);
}

interface PoolFlags {
  run?: string;
  format: "openrlhf" | "eval";
  out?: string;
}

/** The pool of an external run as rows for another trainer or for `spice eval`. */
async function pool(opts: PoolFlags, cmd: Command): Promise<void> {
  const ctx = openContext({ ...commandConfig(cmd), logLevel: "silent" });
  try {
    const run = opts.run ? getRun(ctx.db, opts.run) : latestExternalRun(ctx.db);
    if (run?.kind !== "external") fail(opts.run ? `no external run ${opts.run}` : "no external run in this data dir");
    const tasks = loadPoolTasks(ctx.db, run.id);
    const lines = tasks.map((t) => {
      const gold = { answer: t.answer, answer_type: t.answerType, ...(t.options ? { options: t.options } : {}) };
      return JSON.stringify(
        opts.format === "openrlhf"
          ? { prompt: reasonerObservation(t.question, t.options), label: JSON.stringify(gold), p_hat: t.passRate }
          : { id: `task-${t.taskId}`, question: t.question, ...gold },
      );
    });
    const text = lines.map((l) => `${l}\n`).join("");
    if (opts.out) writeFileSync(opts.out, text);
    else process.stdout.write(text);
    process.stderr.write(`spice: ${lines.length} pool tasks of run ${run.id}${opts.out ? ` → ${opts.out}` : ""}\n`);
  } finally {
    await ctx.close();
  }
}

export function registerGym(program: Command): void {
  const gym = program
    .command("gym")
    .description("the SPICE environment for external trainers: a NeMo-Gym resources server and its dataset rows");

  gym
    .command("serve")
    .description(
      "serve the NeMo-Gym resources server (both roles) and POST /openrlhf/reward on its own port; " +
        "records the external run in the data dir (docs/gym.md)",
    )
    .option("--gym-host <host>", "interface to listen on (default 127.0.0.1, or NeMo-Gym's)")
    .option(
      "--gym-port <port>",
      `port (default ${DEFAULT_GYM_PORT}, or NeMo-Gym's; 0 = any)`,
      intArg("--gym-port", 0, 65535),
    )
    .option("--config <file>", "gym settings (JSON; docs/gym.md#settings)")
    .option("--k <n>", "K: reasoner samples per valid challenger task (default 8)", intArg("--k", 1, 64))
    .option("--seed <n>", "seed (default 1)", intArg("--seed", 0, 2 ** 31 - 1))
    .addOption(new Option("--reward <fn>", "challenger reward (default variance)").choices([...REWARD_FUNCTIONS]))
    .option("--window <n>", "verdicts per recorded iteration (default 64)", intArg("--window", 1))
    .option("--new-run", "start a new external run instead of resuming the newest unfinished one", false)
    .option(
      "--nemo-gym",
      "take host, port, data_dir, the `spice` settings block and the policy model from NeMo-Gym's launcher " +
        "(NEMO_GYM_CONFIG_DICT, NEMO_GYM_CONFIG_PATH)",
      false,
    )
    .option("--api", "also serve the HTTP API on SPICE_HOST:SPICE_PORT from this process", false)
    .action((opts: ServeFlags, cmd: Command) => serve(opts, cmd));

  gym
    .command("dataset")
    .description("write NeMo-Gym rows as JSON Lines: challenger rows (one corpus segment each) or reasoner rows")
    .addOption(new Option("--role <role>", "challenger | reasoner").choices([...GYM_ROLES]).makeOptionMandatory())
    .requiredOption("--n <n>", "rows to write", intArg("--n", 1, 10_000_000))
    .option("--seed <n>", "seed of the segment draw and the task kinds", intArg("--seed", 0, 2 ** 31 - 1), 1)
    .option("--out <file>", "output file (default stdout)")
    .option("--task-types <list>", "challenger task types (default mcq,free_form)", taskTypesArg, [...TASK_TYPES])
    .option("--agent <name>", `agent_ref name (default ${DEFAULT_AGENTS.challenger} / ${DEFAULT_AGENTS.reasoner})`)
    .option("--no-agent-ref", "leave agent_ref out of the rows")
    .option(
      "--first-row <n>",
      "spice_row of the first row (to number several files apart)",
      intArg("--first-row", 0),
      0,
    )
    .action((opts: DatasetFlags, cmd: Command) => dataset(opts, cmd));

  gym
    .command("pool")
    .description(
      "write the task pool of an external run as JSON Lines: OpenRLHF prompt/label rows, or `spice eval` rows",
    )
    .option("--run <id>", "the run (default: the newest external run)")
    .addOption(new Option("--format <format>", "openrlhf | eval").choices(["openrlhf", "eval"]).default("openrlhf"))
    .option("--out <file>", "output file (default stdout)")
    .action((opts: PoolFlags, cmd: Command) => pool(opts, cmd));
}
