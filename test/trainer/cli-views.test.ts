import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startFakeOpenAI } from "../fakes/openai-server.ts";
import { REPO_ROOT, tempDir } from "../helpers.ts";
import { arithmeticScript, fakeServerConfig } from "./fixtures.ts";

/** What a person reads: `spice train`'s lines, `spice train status`, `spice runs`, `spice train plot`. */
const fake = startFakeOpenAI();
fake.setReply((prompt, choice) => arithmeticScript(prompt, { sample: choice }));
const t = tempDir();
const CONFIG = fakeServerConfig({ iterations: 3 });
const env = { ...process.env, SPICE_DATA_DIR: t.dir, SPICE_POLICY_URL: fake.url, SPICE_LOG_LEVEL: "info" };
async function spice(...args: string[]) {
  const p = Bun.spawn(["bun", join(REPO_ROOT, "src/cli/main.ts"), ...args], { env, stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([
    new Response(p.stdout).text(),
    new Response(p.stderr).text(),
    p.exited,
  ]);
  return { stdout, stderr, code };
}
let first: Awaited<ReturnType<typeof spice>>;
beforeAll(async () => {
  writeFileSync(join(t.dir, "train.json"), JSON.stringify(CONFIG));
  first = await spice("train", "--config", join(t.dir, "train.json"));
}, 60_000);
afterAll(async () => {
  await fake.stop();
  t.cleanup();
});

describe("the trainer as a person reads it", () => {
  test("spice train prints one human line per iteration (not the JSON log); --json keeps the JSON lines", async () => {
    expect(first.code).toBe(0);
    const lines = first.stderr.trim().split("\n");
    const its = lines.filter((l) => l.startsWith("iteration "));
    expect(its).toHaveLength(3);
    expect(its[0]).toMatch(/^iteration 1\/3 · valid 0\.67 · reasoner acc 0\.50 · p̂ 0\.50( · [\d.]+ s\/it · ETA \S+)?$/);
    expect(its[2]).toMatch(/^iteration 3\/3 · valid 0\.67 · reasoner acc 0\.50 · p̂ 0\.50 · [\d.]+ s\/it · ETA 0s$/);
    expect(first.stderr).not.toContain('"msg":"iteration committed"');

    const json = await spice("train", "--config", join(t.dir, "train.json"), "--new-run", "--json");
    expect(json.code).toBe(0);
    const logged = json.stderr
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as { msg: string; iteration?: number });
    expect(logged.filter((l) => l.msg === "iteration committed").map((l) => l.iteration)).toEqual([1, 2, 3]);
    expect(json.stderr).not.toMatch(/^iteration /m);
    expect(JSON.parse(json.stdout)).toMatchObject({ state: "finished", iteration: 3 });
  });

  test("spice runs and spice train status: compact summaries, and JSON", async () => {
    const runs = await spice("runs");
    expect(runs.code).toBe(0);
    const rows = runs.stdout.trim().split("\n");
    expect(rows[0]).toMatch(/^RUN\s+KIND\s+STATE\s+STARTED \(UTC\)\s+ITER\s+CORPUS$/);
    expect(rows).toHaveLength(3);
    expect(rows[1]).toMatch(/^[0-9a-f-]{36}\s+rollout-only\s+finished\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+3\/3\s+–$/);
    const listed = JSON.parse((await spice("runs", "--json")).stdout) as { runs: { id: string }[]; holder: null };
    expect(listed.runs).toHaveLength(2);
    expect(listed.holder).toBeNull();

    const status = await spice("train", "status");
    expect(status.stdout).toContain("trainer  not running");
    expect(status.stdout).toContain(`run      ${listed.runs[1]!.id} (rollout-only) · finished · iteration 3/3`);
    expect(status.stdout).toContain("last     valid 0.67 · reasoner acc 0.50 · p̂ 0.50");
    expect(status.stdout).toContain("runs     2");
  });

  test("spice train plot writes the experiment report's four PNGs for a run (by id prefix)", async () => {
    const listed = JSON.parse((await spice("runs", "--json")).stdout) as { runs: { id: string }[] };
    const out = join(t.dir, "plots");
    const r = await spice("train", "plot", listed.runs[0]!.id.slice(0, 8), "--out", out);
    expect(r.code).toBe(0);
    const files = r.stdout.trim().split("\n");
    expect(files.map((f) => f.split("/").at(-1))).toEqual([
      "accuracy.png",
      "challenger_reward.png",
      "valid_rate.png",
      "pass_rate.png",
    ]);
    for (const f of files) expect(readFileSync(f).subarray(1, 4).toString()).toBe("PNG");
    const missing = await spice("train", "plot", "nope", "--out", out);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("no run nope");
  });
});
