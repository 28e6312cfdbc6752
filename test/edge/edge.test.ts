/**
 * The built edge module (`bun run build:edge`) on workerd (miniflare), Deno and Node: one request suite per
 * runtime over real HTTP on loopback, with the Bun app (`spice serve`'s createApp) answering the same requests
 * as the reference. The policy is the fake OpenAI-compatible server on loopback, reached by each runtime's
 * own fetch. Each runtime serves the module twice: with a bearer token (most of the suite) and without.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createApp } from "../../src/app.ts";
import { SHARED_PATHS } from "../../routes/shared.ts";
import { startFakeOpenAI } from "../fakes/openai-server.ts";
import { testContext } from "../helpers.ts";
import { CASES } from "../verify/cases.ts";
import { type EdgeServer, edgeModule, RUNTIMES, type Runtime, startEdge } from "./harness.ts";

const TOKEN = "edge-suite-token-0123456789";
const MAX_BODY = 1024 * 1024; // the verifier table is ~330 KB as one batch
const AUTH = { authorization: `Bearer ${TOKEN}` };

const DOC = "The Danube flows through Vienna, Budapest and Belgrade before reaching the Black Sea.";
const MCQ = JSON.stringify({
  question: "Which river flows through Vienna?",
  options: { A: "Rhine", B: "Danube", C: "Elbe", D: "Oder" },
  answer: "B",
});

const fake = startFakeOpenAI();
// Step 1 of the challenger: an MCQ; step 2: the question; the reasoner gets the fake's default `\boxed{<choice>}`.
fake.setReply((prompt, choice) =>
  prompt.includes("Step 1 of 2")
    ? '{"task_type": "mcq"}'
    : prompt.includes("Step 2 of 2")
      ? MCQ
      : `Rollout ${choice}: counting gives \\boxed{${choice}}`,
);

const settings = (token: boolean): Record<string, string> => ({
  SPICE_POLICY_URL: fake.url,
  SPICE_MAX_BODY: String(MAX_BODY),
  SPICE_LOG_LEVEL: "silent",
  ...(token ? { SPICE_API_TOKEN: TOKEN } : {}),
});

// The reference: the Bun app with the same settings and the same policy server.
const ctx = testContext({ policyUrl: fake.url, maxBody: MAX_BODY, apiToken: TOKEN });
const bunApp = createApp(ctx);

/** Every verifier table row (docs/verifier-rules.md), plus items the schema rejects (error rows in a batch). */
const ITEMS: unknown[] = [
  ...CASES.map(([, response, answer, answer_type, , options], i) => ({
    id: `r${i}`,
    response,
    answer,
    answer_type,
    ...(options ? { options } : {}),
  })),
  { id: "bad-type", response: "\\boxed{1}", answer: "1", answer_type: "Bogus" },
  { id: "no-answer", response: "\\boxed{1}", answer_type: "Integer" },
  "not an object",
];

const servers = new Map<Runtime, { on: EdgeServer; off: EdgeServer }>();

beforeAll(async () => {
  const { path } = await edgeModule();
  await Promise.all(
    RUNTIMES.map(async (runtime) => {
      const [on, off] = await Promise.all([
        startEdge(runtime, path, settings(true)),
        startEdge(runtime, path, settings(false)),
      ]);
      servers.set(runtime, { on, off });
    }),
  );
}, 240_000);

afterAll(async () => {
  await Promise.all([...servers.values()].flatMap((s) => [s.on.stop(), s.off.stop()]));
  await fake.stop();
  await ctx.close();
});

type Send = (
  path: string,
  init?: { method?: string; body?: string; headers?: Record<string, string> },
) => Promise<Response>;

const viaBun: Send = async (path, init = {}) =>
  bunApp.request(path, {
    method: init.method ?? "GET",
    body: init.body,
    headers: init.headers,
  });

const viaUrl =
  (base: string): Send =>
  (path, init = {}) =>
    fetch(`${base}${path}`, { method: init.method ?? "GET", body: init.body, headers: init.headers });

/**
 * For a request the server answers without reading its body (401, 413): a server may then close the connection
 * (workerd does, at once; Node after a drain timeout), so the client must not reuse it for the next request.
 */
const EARLY = { connection: "close" };

const postJson = (send: Send, path: string, body: unknown, headers: Record<string, string> = AUTH) =>
  send(path, {
    method: "POST",
    body: typeof body === "string" ? body : JSON.stringify(body),
    headers: { "content-type": "application/json", ...headers },
  });

async function expectProblem(res: Response, status: number): Promise<Record<string, unknown>> {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toStartWith("application/problem+json");
  const body = (await res.json()) as Record<string, unknown>;
  expect(body).toMatchObject({ type: "about:blank", status });
  expect(body.request_id).toBe(res.headers.get("x-request-id"));
  return body;
}

/** Server-sent events as [event, data] pairs. */
function parseSse(text: string): [string, string][] {
  return text
    .split(/\n\n+/)
    .filter((block) => block.trim() !== "")
    .map((block) => {
      const lines = block.split("\n");
      const event = lines.find((l) => l.startsWith("event: "))?.slice(7) ?? "message";
      const data = lines
        .filter((l) => l.startsWith("data: "))
        .map((l) => l.slice(6))
        .join("\n");
      return [event, data];
    });
}

// What the Bun app answers; computed once, compared with each runtime.
let reference: { batch: unknown; singles: unknown[]; reward: unknown; challenge: unknown; solve: unknown } | null =
  null;
const REWARD = {
  query: [
    "User: What is 2+2?\n\nAssistant: It is \\boxed{4}.",
    "User: Half of one?\n\nAssistant: \\boxed{0.5}",
    "User: Capital of France?\n\nAssistant: The answer is (B).",
  ],
  prompts: [
    "User: What is 2+2?\n\nAssistant:",
    "User: Half of one?\n\nAssistant:",
    "User: Capital of France?\n\nAssistant:",
  ],
  labels: [
    "4",
    '{"answer": "\\\\frac12", "answer_type": "Expression"}',
    '{"answer": "B", "options": {"A": "Lyon", "B": "Paris", "C": "Nice", "D": "Lille"}}',
  ],
};
const CHALLENGE = { document: DOC, n: 2, max_attempts: 2, seed: 5, max_tokens: 64 };
const SOLVE = { question: "How many?", k: 3, answer: "1", answer_type: "Integer", stream: true, seed: 2 };
const SINGLES = ITEMS.slice(0, 24);

async function referenceAnswers() {
  if (reference) return reference;
  const batch = await (await postJson(viaBun, "/v1/verify", { items: ITEMS })).json();
  const singles = await Promise.all(SINGLES.map(async (it) => (await postJson(viaBun, "/v1/verify", it)).json()));
  const reward = await (await postJson(viaBun, "/openrlhf/reward", REWARD, {})).json();
  const challenge = await (await postJson(viaBun, "/v1/challenger/generate", CHALLENGE)).json();
  const solveEvents = parseSse(await (await postJson(viaBun, "/v1/reasoner/solve", SOLVE)).text());
  reference = { batch, singles, reward, challenge, solve: solveEvents };
  return reference;
}

test("the reference answers are what the suite claims they are", async () => {
  const ref = await referenceAnswers();
  const items = (ref.batch as { items: Record<string, unknown>[] }).items;
  expect(items.length).toBe(ITEMS.length);
  expect(ITEMS.length).toBeGreaterThan(400);
  // The verifier's own table: each row's expected verdict.
  for (const [i, [rule, , , , expected]] of CASES.entries())
    expect([rule, items[i]!.correct]).toEqual([rule, expected]);
  expect(items.slice(-3).every((r) => typeof r.error === "string")).toBe(true);
  expect(ref.reward).toMatchObject({ rewards: [1, 1, 1] });
  expect(ref.challenge).toMatchObject({ skipped: false, tasks: [{ valid: true, answer: "B" }, { valid: true }] });
  const events = ref.solve as [string, string][];
  expect(events.map((e) => e[0])).toEqual(["token", "token", "token", "result"]);
  expect(JSON.parse(events[3]![1])).toMatchObject({ pass_rate: 1 / 3 });
});

for (const runtime of RUNTIMES) {
  describe(`the edge module on ${runtime}`, () => {
    const on = () => viaUrl(servers.get(runtime)!.on.url);
    const off = () => viaUrl(servers.get(runtime)!.off.url);

    test("GET /healthz", async () => {
      const res = await on()("/healthz");
      expect(res.status).toBe(200);
      const body = (await res.json()) as { status: string; uptime_s: number };
      expect(body.status).toBe("ok");
      // Seconds since the app was created (workerd's clock reads 0 while a module loads).
      expect(body.uptime_s).toBeGreaterThanOrEqual(0);
      expect(body.uptime_s).toBeLessThan(3600);
      expect(res.headers.get("x-request-id")).toBeTruthy();
    });

    test(`verdicts equal the Bun app's on ${ITEMS.length} rows (one batch) and ${SINGLES.length} single calls`, async () => {
      const ref = await referenceAnswers();
      const res = await postJson(on(), "/v1/verify", { items: ITEMS });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual(ref.batch);
      const singles = await Promise.all(
        SINGLES.map(async (it) => {
          const r = await postJson(on(), "/v1/verify", it);
          expect(r.status).toBe(200);
          return r.json();
        }),
      );
      expect(singles).toEqual(ref.singles);
    }, 60_000);

    test("POST /openrlhf/reward equals the Bun app's, without a token", async () => {
      const res = await postJson(on(), "/openrlhf/reward", REWARD, {});
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual((await referenceAnswers()).reward);
    });

    test("a challenger call through the policy server on loopback equals the Bun app's", async () => {
      const res = await postJson(on(), "/v1/challenger/generate", CHALLENGE);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual((await referenceAnswers()).challenge);
    });

    test("a streamed solve: a token event per rollout, then the verified result, as the Bun app streams", async () => {
      const res = await postJson(on(), "/v1/reasoner/solve", SOLVE);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toStartWith("text/event-stream");
      expect(parseSse(await res.text())).toEqual((await referenceAnswers()).solve as [string, string][]);
    });

    test("no corpus here: a segment is 400; a policy server that refuses is a 400 problem, streamed or not", async () => {
      const noCorpus = await expectProblem(await postJson(on(), "/v1/challenger/generate", { doc_id: "seg-1" }), 400);
      expect(noCorpus.title).toBe("No corpus");
      fake.setMode({ kind: "status", status: 400 });
      try {
        const plain = await expectProblem(await postJson(on(), "/v1/reasoner/solve", { ...SOLVE, stream: false }), 400);
        expect(plain.title).toBe("Request does not fit the policy");
        // A failure before the first token is the call's own status, not a 200 stream with an error event.
        const streamed = await expectProblem(await postJson(on(), "/v1/reasoner/solve", SOLVE), 400);
        expect(streamed.title).toBe("Request does not fit the policy");
      } finally {
        fake.setMode({ kind: "ok" });
      }
    });

    test("auth on: /v1/* needs the bearer token; health, OpenAPI and the OpenRLHF reward stay open", async () => {
      const item = { response: "\\boxed{2}", answer: "2", answer_type: "Integer" };
      const missing = await postJson(on(), "/v1/verify", item, EARLY);
      expect((await expectProblem(missing, 401)).detail).toBe("missing bearer token");
      expect(missing.headers.get("www-authenticate")).toContain("Bearer");
      const wrong = await postJson(on(), "/v1/verify", item, {
        ...EARLY,
        authorization: "Bearer not-the-token-at-all",
      });
      expect((await expectProblem(wrong, 401)).detail).toBe("invalid bearer token");
      expect((await postJson(on(), "/v1/verify", item)).status).toBe(200);
      expect((await on()("/healthz")).status).toBe(200);
      const doc = (await (await on()("/openapi.json")).json()) as { security: unknown[] };
      expect(doc.security).toEqual([{ bearer: [] }]);
    });

    test("auth off: the same routes answer without a token", async () => {
      const res = await postJson(
        off(),
        "/v1/verify",
        { response: "\\boxed{2}", answer: "2", answer_type: "Integer" },
        {},
      );
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ correct: true, reward: 1 });
      const doc = (await (await off()("/openapi.json")).json()) as { security: unknown[] };
      expect(doc.security).toEqual([]);
    });

    test("400 and 413 as problem+json", async () => {
      expect((await expectProblem(await postJson(on(), "/v1/verify", "{not json"), 400)).title).toBeTruthy();
      const invalid = await expectProblem(await postJson(on(), "/v1/reasoner/solve", { question: "", k: 0 }), 400);
      const fields = (invalid.errors as { field: string }[]).map((e) => e.field);
      expect(fields).toEqual(expect.arrayContaining(["question", "k"]));
      const tooBig = await postJson(
        on(),
        "/v1/verify",
        { items: [{ response: "x".repeat(MAX_BODY), answer: "1" }] },
        { ...AUTH, ...EARLY },
      );
      expect((await expectProblem(tooBig, 413)).title).toBe("Payload too large");
      const many = Array.from({ length: 1001 }, () => ({
        response: "\\boxed{1}",
        answer: "1",
        answer_type: "Integer",
      }));
      expect((await expectProblem(await postJson(on(), "/v1/verify", { items: many }), 413)).title).toBe(
        "Too many items",
      );
      expect((await expectProblem(await on()("/v1/trainer/status", { headers: AUTH }), 404)).title).toBe("Not found");
    });

    test("GET /openapi.json lists exactly the shared paths", async () => {
      const doc = (await (await on()("/openapi.json")).json()) as { paths: Record<string, unknown> };
      expect(Object.keys(doc.paths).sort()).toEqual([...SHARED_PATHS].sort());
    });
  });
}
