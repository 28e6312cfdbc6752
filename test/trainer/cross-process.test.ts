import { Database } from "bun:sqlite";
import { afterAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { startFakeOpenAI } from "../fakes/openai-server.ts";
import { REPO_ROOT, tempDir } from "../helpers.ts";
import { arithmeticScript, fakeServerConfig } from "./fixtures.ts";

/**
 * One trainer per data dir across real processes: `spice train` (daemon or foreground) and `spice serve`
 * on the same data dir, in both orders; a killed holder; status, control and gauges seen from the other
 * process; and no run ever marked failed by a collision. Policy: a fake OpenAI server on loopback.
 */
const fake = startFakeOpenAI({ delayMs: 15 });
fake.setReply((prompt, choice) => arithmeticScript(prompt, { sample: choice }));
afterAll(() => fake.stop());

const CLI = join(REPO_ROOT, "src/cli/main.ts");
const CONFIG = fakeServerConfig({ iterations: 400 });

function setup() {
  const t = tempDir();
  const config = join(t.dir, "train.json");
  writeFileSync(config, JSON.stringify(CONFIG));
  const env = { ...process.env, SPICE_DATA_DIR: t.dir, SPICE_POLICY_URL: fake.url, SPICE_LOG_LEVEL: "warn" };
  const spawned: Array<ReturnType<typeof Bun.spawn>> = [];
  const spice = (...args: string[]) => {
    const p = Bun.spawn(["bun", CLI, ...args], { env, stdout: "pipe", stderr: "pipe" });
    spawned.push(p);
    return p;
  };
  const run = async (...args: string[]) => {
    const p = spice(...args);
    const [stdout, stderr, code] = await Promise.all([
      new Response(p.stdout).text(),
      new Response(p.stderr).text(),
      p.exited,
    ]);
    return { stdout, stderr, code };
  };
  const sql = <T>(q: string): T[] => {
    let db: Database | undefined;
    try {
      db = new Database(join(t.dir, "spice.sqlite"), { readonly: true });
      return db.query(q).all() as T[];
    } catch {
      return [];
    } finally {
      db?.close();
    }
  };
  const serve = async () => {
    const p = spice("serve", "--port", "0", "--no-warmup");
    const reader = p.stderr.getReader();
    let seen = "";
    while (!/serving on (\S+)/.test(seen)) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`server did not start: ${seen}`);
      seen += new TextDecoder().decode(value);
    }
    reader.releaseLock();
    return { p, url: /serving on (\S+)/.exec(seen)![1]! };
  };
  return {
    dir: t.dir,
    config,
    spice,
    run,
    sql,
    serve,
    cleanup: () => {
      for (const p of spawned) p.kill("SIGKILL");
      t.cleanup();
    },
  };
}

async function until<T>(get: () => T | Promise<T>, ok: (v: T) => boolean, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await get();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`timed out; last: ${JSON.stringify(v)}`);
    await Bun.sleep(50);
  }
}

type Status = {
  state: string;
  run_id: string | null;
  iteration: number;
  holder: { pid: number; run_id: string; this_process: boolean } | null;
};
const getJson = async <T>(url: string) => (await (await fetch(url)).json()) as T;
const post = (url: string, body?: unknown) =>
  fetch(url, {
    method: "POST",
    ...(body === undefined ? {} : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
  });

describe("one trainer per data dir, whatever the process", () => {
  test("daemon first: the server reports it, refuses a second start naming it, and steers it through the lock", async () => {
    const s = setup();
    try {
      const d = await s.run("train", "--config", s.config, "--daemon");
      expect(d.code).toBe(0);
      const daemonPid = (JSON.parse(d.stdout) as { pid: number }).pid;
      const { p: server, url } = await s.serve();

      // Status from the other process: the daemon's run, its iteration, the daemon as holder.
      const st = await until(
        () => getJson<Status>(`${url}/v1/trainer/status`),
        (v) => v.iteration >= 1,
      ).catch(async (e) => {
        throw new Error(`${e.message}\n${await Bun.file(join(s.dir, "trainer.log")).text()}`);
      });
      expect(st).toMatchObject({ state: "running", holder: { pid: daemonPid, this_process: false } });
      const runId = st.run_id!;
      expect(st.holder!.run_id).toBe(runId);

      // A second start: 409 naming the holder, and nothing written to the daemon's run.
      const refused = await post(`${url}/v1/trainer/start`, {});
      expect(refused.status).toBe(409);
      const problem = (await refused.json()) as { detail: string; holder: { pid: number } };
      expect(problem.holder.pid).toBe(daemonPid);
      expect(problem.detail).toContain(`pid ${daemonPid}`);

      // Gauges of the run training in the other process.
      const prom = await (await fetch(`${url}/metrics`)).text();
      expect(prom).toMatch(new RegExp(`spice_trainer_iteration\\{run="${runId}"\\} \\d+`));
      expect(prom).toContain('spice_trainer_state{state="running"} 1');

      // `spice train status` from a third process says the same.
      const cli = JSON.parse((await s.run("train", "status", "--json")).stdout);
      expect(cli).toMatchObject({ state: "running", pid: daemonPid, run_id: runId });

      // Pause / resume / stop through the server, carried out by the daemon.
      const pausing = await post(`${url}/v1/trainer/pause`);
      const paused = (await pausing.json()) as Status;
      expect(paused, JSON.stringify(paused)).toMatchObject({ state: "paused" });
      expect(s.sql<{ status: string }>(`select status from runs where id = '${runId}'`)[0]!.status).toBe("paused");
      const at = paused.iteration;
      await Bun.sleep(600);
      expect((await getJson<Status>(`${url}/v1/trainer/status`)).iteration).toBeLessThanOrEqual(at + 1);
      expect(((await (await post(`${url}/v1/trainer/resume`)).json()) as Status).state).toBe("running");
      const stopped = (await (await post(`${url}/v1/trainer/stop`)).json()) as Status;
      expect(stopped.holder).toBeNull();
      await until(
        () => s.sql<{ n: number }>("select count(*) as n from trainer_lock")[0]?.n,
        (n) => n === 0,
      );
      expect(s.sql<{ status: string }>("select status from runs").map((r) => r.status)).toEqual(["stopped"]);
      server.kill("SIGTERM");
      expect(await server.exited).toBe(0);
      // The daemon process is gone too.
      await until(
        () => {
          try {
            process.kill(daemonPid, 0);
            return false;
          } catch {
            return true;
          }
        },
        (gone) => gone,
      );
    } finally {
      s.cleanup();
    }
  }, 90_000);

  test("server first: `spice train` exits 2 naming the server; killed, the server's lock passes to the next trainer", async () => {
    const s = setup();
    try {
      const { p: server, url } = await s.serve();
      const started = await post(`${url}/v1/trainer/start`, CONFIG);
      expect(started.status).toBe(202);
      const runId = ((await started.json()) as Status).run_id!;
      await until(
        () => getJson<Status>(`${url}/v1/trainer/status`),
        (v) => v.iteration >= 1,
      );

      const second = await s.run("train", "--config", s.config);
      expect(second.code).toBe(2);
      expect(second.stderr).toContain(`pid ${server.pid}`);
      expect(second.stderr).toContain(runId);
      const daemon = await s.run("train", "--daemon");
      expect(daemon.code).toBe(2);
      const status = JSON.parse((await s.run("train", "status", "--json")).stdout);
      expect(status).toMatchObject({ state: "running", pid: server.pid, run_id: runId });

      // The holder dies without a word (kill -9): its run stays resumable, never failed.
      server.kill("SIGKILL");
      await server.exited;
      const committed = s.sql<{ n: number }>(`select count(*) as n from iterations where run_id = '${runId}'`)[0]!.n;
      const next = s.spice("train", "--config", s.config);
      await until(
        () => s.sql<{ n: number }>(`select count(*) as n from iterations where run_id = '${runId}'`)[0]!.n,
        (n) => n > committed,
      );
      const st = JSON.parse((await s.run("train", "status", "--json")).stdout);
      const notes = JSON.stringify(s.sql("select status, note from runs"));
      expect(st, notes).toMatchObject({ state: "running", pid: next.pid, run_id: runId });
      next.kill("SIGTERM");
      expect(await next.exited).toBe(0);
      const runs = s.sql<{ id: string; status: string }>("select id, status from runs");
      expect(runs).toEqual([{ id: runId, status: "stopped" }]);
      const dup = s.sql<{ n: number }>(
        "select count(*) as n from (select iteration from iterations group by run_id, iteration having count(*) > 1)",
      );
      expect(dup[0]!.n).toBe(0);
    } finally {
      s.cleanup();
    }
  }, 90_000);

  test("no silent resume, from the command line and over HTTP", async () => {
    const s = setup();
    try {
      // An unfinished run of 400 iterations, stopped after its first commit.
      const first = s.spice("train", "--config", s.config);
      await until(
        () => s.sql<{ n: number }>("select count(*) as n from iterations")[0]?.n ?? 0,
        (n) => n >= 1,
      );
      first.kill("SIGTERM");
      expect(await first.exited).toBe(0);
      const runId = s.sql<{ id: string }>("select id from runs")[0]!.id;

      const other = join(s.dir, "other.json");
      writeFileSync(other, JSON.stringify({ ...CONFIG, iterations: 2, seed: 5 }));
      const refused = await s.run("train", "--config", other);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain(runId);
      expect(refused.stderr).toMatch(/iterations 400 → 2, seed 1 → 5/);
      expect(refused.stderr).toContain("--resume");
      expect(refused.stderr).toContain("--new-run");
      expect((await s.run("train", "--config", other, "--resume", "--new-run")).code).toBe(2);

      const { p: server, url } = await s.serve();
      const conflict = await post(`${url}/v1/trainer/start`, { ...CONFIG, iterations: 2, seed: 5 });
      expect(conflict.status).toBe(409);
      expect(((await conflict.json()) as { differing_keys: string[] }).differing_keys).toEqual(["iterations", "seed"]);
      const check = (await (await post(`${url}/v1/trainer/validate`, { ...CONFIG, iterations: 2 })).json()) as {
        action: string;
        run_id: string;
      };
      expect(check).toMatchObject({ action: "conflict", run_id: runId });

      // resume: the stored configuration (400 iterations) goes on.
      const resumed = (await (
        await post(`${url}/v1/trainer/start`, { ...CONFIG, iterations: 2, resume: true })
      ).json()) as Status & { resumed: boolean; iterations: number };
      expect(resumed).toMatchObject({ run_id: runId, resumed: true, iterations: 400 });
      const stopRes = await post(`${url}/v1/trainer/stop`);
      expect(stopRes.status).toBe(200);
      expect(((await stopRes.json()) as Status).state).toBe("stopped");
      // new_run: a fresh run with the given configuration, which finishes.
      const freshRes = await post(`${url}/v1/trainer/start`, { ...CONFIG, iterations: 2, new_run: true });
      expect(freshRes.status).toBe(202);
      const fresh = (await freshRes.json()) as Status;
      expect(fresh.run_id).not.toBe(runId);
      await until(
        () => getJson<Status>(`${url}/v1/trainer/status`),
        (v) => v.state === "finished",
      );
      server.kill("SIGTERM");
      await server.exited;
      // No configuration at all: resumes the unfinished run (the first), as before.
      const plain = s.spice("train");
      await until(
        () => s.sql<{ status: string }>(`select status from runs where id = '${runId}'`)[0]?.status,
        (st) => st === "running",
      );
      plain.kill("SIGTERM");
      expect(await plain.exited).toBe(0);
      expect(s.sql<{ status: string }>("select status from runs order by created_at").map((r) => r.status)).toEqual([
        "stopped",
        "finished",
      ]);
    } finally {
      s.cleanup();
    }
  }, 90_000);
});
