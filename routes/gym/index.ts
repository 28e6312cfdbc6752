import { Hono, type Context } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { z } from "zod";
import { aggregateMetrics } from "../../src/gym/aggregate.ts";
import { echoWith, NotAJsonObject, parseObject } from "../../src/gym/echo.ts";
import type { GymEnvironment } from "../../src/gym/environment.ts";
import { HttpProblem } from "../../src/problem.ts";

/**
 * NeMo-Gym's resources-server routes (docs/gym.md#the-contract), for both SPICE roles. Bodies are read as text:
 * `/verify` answers the request's own bytes plus its fields. 4xx = bad data (the trainer drops the sample),
 * 5xx = infrastructure (the trainer retries): an unreachable policy server, an empty pool at `/reset`.
 */

/** The session cookie: NeMo-Gym's agents send every cookie back on the later calls of the same rollout. */
export const SESSION_COOKIE = "spice_gym_session";

async function body(c: Context): Promise<{ raw: string; value: Record<string, unknown> }> {
  const raw = await c.req.text();
  try {
    return { raw, value: parseObject(raw) };
  } catch (err) {
    if (err instanceof NotAJsonObject) throw new HttpProblem(400, "Invalid request", err.message);
    throw err;
  }
}

/** The rollout's session: the cookie it carries, or a new one set on the answer. */
function session(c: Context): string {
  const known = getCookie(c, SESSION_COOKIE);
  if (known) return known;
  const id = crypto.randomUUID();
  setCookie(c, SESSION_COOKIE, id, { path: "/", httpOnly: true, sameSite: "Lax" });
  return id;
}

const AggregateRequest = z.object({ verify_responses: z.array(z.record(z.string(), z.unknown())) });

const json = (c: Context, text: string) => c.body(text, 200, { "content-type": "application/json" });

export function gymRouter(env: GymEnvironment) {
  return new Hono()
    .get("/", (c) =>
      c.json({ status: "ok", service: "spice-gym", run_id: env.store.runId, pool_size: env.poolSize }, 200),
    )
    .post("/seed_session", async (c) => {
      await body(c);
      session(c);
      return c.json({}, 200);
    })
    .post("/verify", async (c) => {
      const { raw, value } = await body(c);
      const fields = await env.verify(value);
      return json(c, echoWith(raw, value, fields));
    })
    .post("/reset", async (c) => {
      const { value } = await body(c);
      return c.json(await env.reset(value, session(c), c.req.raw.signal), 200);
    })
    .post("/step", async (c) => {
      const { value } = await body(c);
      return c.json(env.step(value, getCookie(c, SESSION_COOKIE) ?? null), 200);
    })
    .post("/aggregate_metrics", async (c) => {
      const parsed = AggregateRequest.safeParse((await body(c)).value);
      if (!parsed.success)
        throw new HttpProblem(400, "Invalid request", "verify_responses: an array of verify answers is required");
      return c.json(aggregateMetrics(parsed.data.verify_responses), 200);
    });
}
