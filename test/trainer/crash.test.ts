import { Database } from "bun:sqlite";
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ScoredGroupSchema } from "../../src/spice/scored-group.ts";
import { startFakeOpenAI } from "../fakes/openai-server.ts";
import { REPO_ROOT, tempDir } from "../helpers.ts";
import { arithmeticScript, fakeServerConfig } from "./fixtures.ts";

/**
 * The daemon against real processes: `spice train` over HTTP to a fake OpenAI-compatible server,
 * killed with SIGKILL mid-iteration, restarted, and checked for exactly-once rows and groups.
 */
const fake = startFakeOpenAI({ delayMs: 25 });
fake.setReply((prompt, choice) => arithmeticScript(prompt, { sample: choice }));
afterAll(() => fake.stop());

const ITERATIONS = 4;
const CONFIG = fakeServerConfig({ iterations: ITERATIONS, batch_docs: 2 });

function setup() {
  const t = tempDir();
  const config = join(t.dir, "train.json");
  writeFileSync(config, JSON.stringify(CONFIG));
  const env = { ...process.env, SPICE_DATA_DIR: t.dir, SPICE_POLICY_URL: fake.url, SPICE_LOG_LEVEL: "warn" };
  const train = (...extra: string[]) =>
    Bun.spawn(["bun", join(REPO_ROOT, "src/cli/main.ts"), "train", "--config", config, ...extra], {
      env,
      stdout: "pipe",
      stderr: "pipe",
    });
  const committed = () => {
    if (!existsSync(join(t.dir, "spice.sqlite"))) return 0;
    const db = new Database(join(t.dir, "spice.sqlite"), { readonly: true });
    try {
      return (db.query("select count(*) as n from iterations").get() as { n: number }).n;
    } catch {
      return 0;
    } finally {
      db.close();
    }
  };
  /** The pid holding the data dir's trainer lock (the trainer_lock row), or null. */
  const holderPid = () => {
    if (!existsSync(join(t.dir, "spice.sqlite"))) return null;
    const db = new Database(join(t.dir, "spice.sqlite"), { readonly: true });
    try {
      return (db.query("select pid from trainer_lock").get() as { pid: number } | null)?.pid ?? null;
    } catch {
      return null;
    } finally {
      db.close();
    }
  };
  return { dir: t.dir, cleanup: t.cleanup, train, committed, holderPid };
}

async function until(cond: () => boolean, ms = 30_000) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("timed out");
    await Bun.sleep(20);
  }
}

describe("spice train as a process", () => {
  test("SIGKILL mid-iteration, then restart: continues from the last commit, every row exactly once", async () => {
    const s = setup();
    try {
      const first = s.train();
      await until(() => s.committed() >= 1);
      await Bun.sleep(60); // inside the next iteration
      first.kill("SIGKILL");
      await first.exited;
      const before = s.committed();
      expect(before).toBeLessThan(ITERATIONS);

      const second = s.train();
      const stderr = await new Response(second.stderr).text();
      expect(await second.exited).toBe(0);
      expect(stderr).toContain(`resumed run`);

      const db = new Database(join(s.dir, "spice.sqlite"), { readonly: true });
      const its = db.query("select iteration from iterations order by iteration").all() as { iteration: number }[];
      expect(its.map((r) => r.iteration)).toEqual([1, 2, 3, 4]);
      const dupTasks = db
        .query(
          "select count(*) as n from (select iteration, slot, sample from tasks group by 1,2,3 having count(*) > 1)",
        )
        .get() as { n: number };
      expect(dupTasks.n).toBe(0);
      expect((db.query("select count(*) as n from tasks").get() as { n: number }).n).toBe(ITERATIONS * 2 * 3);
      expect((db.query("select count(*) as n from segments_used").get() as { n: number }).n).toBe(ITERATIONS * 2);
      const perIteration = db.query("select iteration, count(*) as n from tasks group by iteration").all() as {
        n: number;
      }[];
      expect(perIteration.every((r) => r.n === 6)).toBe(true);
      const run = db.query("select id, status from runs").all() as { id: string; status: string }[];
      expect(run).toHaveLength(1);
      expect(run[0]!.status).toBe("finished");
      db.close();

      // The export holds each committed iteration's groups exactly once, all well-formed.
      const lines = readFileSync(join(s.dir, "runs", run[0]!.id, "groups.jsonl"), "utf8")
        .trim()
        .split("\n");
      const groups = lines.map((l) => ScoredGroupSchema.parse(JSON.parse(l)));
      const byIter = Map.groupBy(groups, (g) => g.iteration);
      expect([...byIter.keys()].sort()).toEqual([1, 2, 3, 4]);
      const sizes = [...byIter.values()].map((g) => g.length);
      expect(new Set(sizes).size).toBe(1);
      for (const gs of byIter.values()) expect(gs.map((g) => g.group)).toEqual([...gs.keys()]);
    } finally {
      s.cleanup();
    }
  });

  test("SIGTERM stops cleanly after rolling back the iteration in progress; train status reports the run", async () => {
    const s = setup();
    try {
      const p = s.train();
      await until(() => s.committed() >= 1);
      p.kill("SIGTERM");
      expect(await p.exited).toBe(0);
      const status = Bun.spawnSync(["bun", join(REPO_ROOT, "src/cli/main.ts"), "train", "status", "--json"], {
        env: { ...process.env, SPICE_DATA_DIR: s.dir },
      });
      expect(status.exitCode).toBe(0);
      const st = JSON.parse(status.stdout.toString());
      expect(st.pid).toBeNull();
      expect(st.run_status).toBe("stopped");
      expect(st.resumable_run).toBe(st.run_id);
      expect(st.iteration).toBe(s.committed());
      expect(st.iteration).toBeLessThan(ITERATIONS);
    } finally {
      s.cleanup();
    }
  });

  test("a second trainer on the same data dir is refused (exit 2)", async () => {
    const s = setup();
    try {
      // Slow enough that the first run is still going when the second starts (its phases submit requests
      // concurrently, so a short delay per request no longer makes a long run).
      fake.setMode({ kind: "slow", delayMs: 2000 });
      const p = s.train();
      await until(() => s.holderPid() === p.pid);
      const second = s.train();
      const err = await new Response(second.stderr).text();
      expect(await second.exited).toBe(2);
      expect(err).toContain("already running");
      expect(err).toContain(`pid ${p.pid}`);
      p.kill("SIGTERM");
      expect(await p.exited).toBe(0);
    } finally {
      fake.setMode({ kind: "ok" });
      s.cleanup();
    }
  });

  test("serve --train runs the trainer in the server process, controllable over HTTP", async () => {
    const s = setup();
    const p = Bun.spawn(
      [
        "bun",
        join(REPO_ROOT, "src/cli/main.ts"),
        "serve",
        "--port",
        "0",
        "--no-warmup",
        "--train",
        "--config",
        join(s.dir, "train.json"),
      ],
      {
        env: { ...process.env, SPICE_DATA_DIR: s.dir, SPICE_POLICY_URL: fake.url, SPICE_LOG_LEVEL: "warn" },
        stderr: "pipe",
      },
    );
    try {
      const reader = p.stderr.getReader();
      let seen = "";
      while (!/serving on (\S+)/.test(seen)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`server did not start: ${seen}`);
        seen += new TextDecoder().decode(value);
      }
      const url = /serving on (\S+)/.exec(seen)![1]!;
      let status = { state: "", iteration: 0 };
      for (let i = 0; i < 1500 && status.state !== "finished"; i++) {
        status = (await (await fetch(`${url}/v1/trainer/status`)).json()) as typeof status;
        await Bun.sleep(20);
      }
      expect(status).toMatchObject({ state: "finished", iteration: ITERATIONS });
      p.kill("SIGTERM");
      expect(await p.exited).toBe(0);
    } finally {
      p.kill("SIGKILL");
      s.cleanup();
    }
  });

  test("a config that fails validation exits 2 naming the field", async () => {
    const s = setup();
    try {
      writeFileSync(join(s.dir, "bad.json"), JSON.stringify({ batch_docs: -1 }));
      const p = Bun.spawnSync(
        ["bun", join(REPO_ROOT, "src/cli/main.ts"), "train", "--config", join(s.dir, "bad.json")],
        { env: { ...process.env, SPICE_DATA_DIR: s.dir } },
      );
      expect(p.exitCode).toBe(2);
      expect(p.stderr.toString()).toContain("batch_docs");
      const missing = Bun.spawnSync(
        ["bun", join(REPO_ROOT, "src/cli/main.ts"), "train", "--config", join(s.dir, "nope.json")],
        { env: { ...process.env, SPICE_DATA_DIR: s.dir } },
      );
      expect(missing.exitCode).toBe(2);
      expect(missing.stderr.toString()).toContain("not found");
      // Paths and policies it names are checked before anything starts: exit 2 naming the setting.
      const victim = join(s.dir, "victim.txt");
      writeFileSync(victim, "precious");
      for (const [bad, setting] of [
        [{ ...CONFIG, rollout_path: victim }, "rollout_path"],
        [{ ...CONFIG, challenger_policy: "/etc" }, "challenger_policy"],
      ] as const) {
        writeFileSync(join(s.dir, "bad.json"), JSON.stringify(bad));
        const p = Bun.spawnSync(
          ["bun", join(REPO_ROOT, "src/cli/main.ts"), "train", "--config", join(s.dir, "bad.json")],
          { env: { ...process.env, SPICE_DATA_DIR: s.dir, SPICE_POLICY_URL: fake.url } },
        );
        expect(p.exitCode).toBe(2);
        expect(p.stderr.toString()).toContain(`${setting}: `);
      }
      expect(readFileSync(victim, "utf8")).toBe("precious");
    } finally {
      s.cleanup();
    }
  });
});
