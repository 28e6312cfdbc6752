/**
 * The built module's default export in this process, called as Cloudflare Workers call it: `fetch(request, env)`
 * with the settings as bindings. (The module carries its own zod, so its jitless switch stays inside it.)
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { edgeModule } from "./harness.ts";

type Worker = { fetch(request: Request, env?: unknown): Response | Promise<Response> };
let worker: Worker;

beforeAll(async () => {
  worker = ((await import((await edgeModule()).path)) as { default: Worker }).default;
}, 120_000);

const verify = (env: Record<string, string>, headers: Record<string, string> = {}) =>
  worker.fetch(
    new Request("http://edge.test/v1/verify", {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify({ response: "\\boxed{7}", answer: "7", answer_type: "Integer" }),
    }),
    env,
  );

describe("the edge module's fetch with Workers bindings", () => {
  test("bindings configure the app; a change of bindings rebuilds it", async () => {
    const token = { SPICE_API_TOKEN: "binding-token-0123456789", SPICE_LOG_LEVEL: "silent" };
    expect((await verify(token)).status).toBe(401);
    expect((await verify(token, { authorization: `Bearer ${token.SPICE_API_TOKEN}` })).status).toBe(200);
    const open = await verify({ SPICE_LOG_LEVEL: "silent" });
    expect(open.status).toBe(200);
    expect(await open.json()).toMatchObject({ correct: true, reward: 1 });
  });

  test("a bad setting answers every request with a 500 problem naming it, and recovers when fixed", async () => {
    const res = await verify({ SPICE_MAX_BODY: "lots", SPICE_LOG_LEVEL: "silent" });
    expect(res.status).toBe(500);
    expect(res.headers.get("content-type")).toStartWith("application/problem+json");
    const body = (await res.json()) as Record<string, string>;
    expect(body).toMatchObject({ title: "Misconfigured", status: 500, instance: "/v1/verify" });
    expect(body.detail).toContain("SPICE_MAX_BODY");
    const secret = await verify({ SPICE_API_TOKEN: "too-short-secret", SPICE_LOG_LEVEL: "silent" });
    expect(((await secret.json()) as Record<string, string>).detail).not.toContain("too-short-secret");
    expect((await verify({ SPICE_MAX_BODY: "65536", SPICE_LOG_LEVEL: "silent" })).status).toBe(200);
  });
});
