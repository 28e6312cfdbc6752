import { describe, expect, test } from "bun:test";
import { loadConfig } from "./config.ts";
import { startServer } from "./server.ts";
import { tempDir } from "../test/helpers.ts";

/** A start-up task that finishes (or fails) when the test says so. */
function gate() {
  let open!: () => void;
  let fail!: (err: Error) => void;
  const done = new Promise<void>((resolve, reject) => {
    open = resolve;
    fail = reject;
  });
  return { run: () => done, open, fail };
}

async function readyz(url: string) {
  const res = await fetch(`${url}/readyz`);
  return { status: res.status, retryAfter: res.headers.get("retry-after"), body: (await res.json()) as any };
}

async function until<T>(probe: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const v = await probe();
    if (ok(v)) return v;
    await Bun.sleep(10);
  }
  throw new Error("condition not reached");
}

describe("readiness (/readyz) apart from liveness (/healthz)", () => {
  test("503 with Retry-After while start-up work runs, 200 once it is done; /healthz answers throughout", async () => {
    const t = tempDir();
    const corpus = gate();
    const trainer = gate();
    const running = await startServer(loadConfig({ port: 0, dataDir: t.dir, logLevel: "silent" }, {}), [
      { name: "sample corpus", run: corpus.run },
      { name: "trainer", run: trainer.run, gatesReadiness: false },
    ]);
    try {
      expect((await fetch(`${running.url}/healthz`)).status).toBe(200);
      const starting = await readyz(running.url);
      expect(starting.status).toBe(503);
      expect(starting.retryAfter).toBe("2");
      expect(starting.body).toMatchObject({ title: "Not ready", pending: ["sample corpus"], failed: [] });
      expect(starting.body.detail).toContain("sample corpus");
      // A draw from the still-empty corpus in that window is "not yet" (503, Retry-After), not 409 "Corpus empty".
      const early = await fetch(`${running.url}/v1/challenger/generate`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ sample: true, seed: 1 }),
      });
      expect(early.status).toBe(503);
      expect(early.headers.get("retry-after")).toBe("2");
      expect(((await early.json()) as { detail: string }).detail).toContain("waiting for sample corpus");
      corpus.open();
      const ready = await until(
        () => readyz(running.url),
        (r) => r.status === 200,
      );
      expect(ready.body).toMatchObject({ status: "ready" });
      expect(ready.retryAfter).toBeNull();
    } finally {
      trainer.open();
      await running.stop();
      t.cleanup();
    }
  });

  test("a failed start-up task keeps the process unready, naming the task and the error", async () => {
    const t = tempDir();
    const models = gate();
    const running = await startServer(loadConfig({ port: 0, dataDir: t.dir, logLevel: "silent" }, {}), [
      { name: "default models", run: models.run },
    ]);
    try {
      models.fail(new Error("EROFS: read-only file system, mkdir 'data/models'"));
      const failed = await until(
        () => readyz(running.url),
        (r) => r.body.failed?.length > 0,
      );
      expect(failed.status).toBe(503);
      expect(failed.body.failed).toEqual([{ task: "default models", error: expect.stringContaining("EROFS") }]);
      expect(failed.body.detail).toContain('start-up task "default models" failed');
      expect((await fetch(`${running.url}/healthz`)).status).toBe(200);
    } finally {
      await running.stop();
      t.cleanup();
    }
  });

  test("with no start-up work (--no-warmup), ready at once", async () => {
    const t = tempDir();
    const running = await startServer(loadConfig({ port: 0, dataDir: t.dir, logLevel: "silent" }, {}), []);
    try {
      expect((await readyz(running.url)).status).toBe(200);
    } finally {
      await running.stop();
      t.cleanup();
    }
  });
});
