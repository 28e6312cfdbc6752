import { createRoute, z } from "@hono/zod-openapi";
import { Validator } from "@seriousme/openapi-schema-validator";
import { afterAll, describe, expect, test } from "bun:test";
import { createApp } from "./app.ts";
import { OPENAI_PATHS } from "./http/openai-error.ts";
import { createRouter } from "./http/openapi.ts";
import { testContext } from "../test/helpers.ts";

const TOKEN = "test-token-0123456789";
const ctx = testContext({ maxBody: 4096 });
const authed = testContext({ apiToken: TOKEN });
afterAll(async () => {
  await ctx.close();
  await authed.close();
});

/** A probe resource mounted on the real app to exercise validation and crashes. */
function withProbe(app: ReturnType<typeof createApp>) {
  const router = createRouter()
    .openapi(
      createRoute({
        method: "post",
        path: "/v1/probe",
        request: {
          body: {
            content: {
              "application/json": { schema: z.object({ name: z.string().min(1), k: z.number().int().max(8) }) },
            },
          },
        },
        responses: {
          200: { description: "ok", content: { "application/json": { schema: z.object({ ok: z.boolean() }) } } },
        },
      }),
      (c) => c.json({ ok: true }, 200),
    )
    .get("/v1/crash", () => {
      throw new Error("secret internal detail at /home/x/file.ts:12");
    });
  app.route("/", router);
  return app;
}

const app = withProbe(createApp(ctx));
const post = (path: string, body: string, headers: Record<string, string> = {}) =>
  app.request(path, { method: "POST", body, headers: { "content-type": "application/json", ...headers } });

async function expectProblem(res: Response, status: number) {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toStartWith("application/problem+json");
  const body = (await res.json()) as Record<string, unknown>;
  expect(body).toMatchObject({ type: "about:blank", status });
  expect(typeof body.title).toBe("string");
  expect(body.request_id).toBe(res.headers.get("x-request-id"));
  return body;
}

describe("HTTP app", () => {
  test("GET /healthz answers 200 with a request id", async () => {
    const res = await app.request("/healthz");
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: "ok" });
    expect(res.headers.get("x-request-id")).toBeTruthy();
  });

  test("an unknown route is a 404 problem", async () => {
    const body = await expectProblem(await app.request("/v1/nothing-here"), 404);
    expect(body.detail).toContain("/v1/nothing-here");
  });

  test("a body failing validation is a 400 problem naming the field", async () => {
    const body = await expectProblem(await post("/v1/probe", JSON.stringify({ name: "x", k: 99 })), 400);
    expect(body.detail).toContain("k");
    expect(body.errors).toEqual([expect.objectContaining({ field: "k" })]);
    const missing = await expectProblem(await post("/v1/probe", JSON.stringify({ k: 1 })), 400);
    expect((missing.errors as { field: string }[]).map((e) => e.field)).toContain("name");
  });

  test("malformed JSON is a 400 problem", async () => {
    await expectProblem(await post("/v1/probe", "{not json"), 400);
  });

  test("a body over SPICE_MAX_BODY is a 413 problem, before routing", async () => {
    const big = JSON.stringify({ name: "x".repeat(5000), k: 1 });
    await expectProblem(await post("/v1/probe", big), 413);
    await expectProblem(await post("/v1/unknown-route", big), 413);
    expect((await post("/v1/probe", JSON.stringify({ name: "ok", k: 1 }))).status).toBe(200);
  });

  test("an unexpected error is a 500 problem that leaks no stack or message", async () => {
    const res = await app.request("/v1/crash");
    const body = await expectProblem(res, 500);
    const text = JSON.stringify(body);
    expect(text).not.toContain("secret internal detail");
    expect(text).not.toContain("file.ts");
    expect(text).not.toContain("at ");
  });

  test("without SPICE_API_TOKEN, /v1/* is open", async () => {
    expect((await post("/v1/probe", JSON.stringify({ name: "a", k: 1 }))).status).toBe(200);
  });

  test("with SPICE_API_TOKEN, /v1/* needs the bearer token; /healthz stays open", async () => {
    const secured = withProbe(createApp(authed));
    const req = (headers: Record<string, string>) =>
      secured.request("/v1/probe", {
        method: "POST",
        body: JSON.stringify({ name: "a", k: 1 }),
        headers: { "content-type": "application/json", ...headers },
      });
    const none = await req({});
    await expectProblem(none, 401);
    expect(none.headers.get("www-authenticate")).toContain("Bearer");
    await expectProblem(await req({ authorization: "Bearer wrong-token-000000000" }), 401);
    await expectProblem(await req({ authorization: `Basic ${TOKEN}` }), 401);
    expect((await req({ authorization: `Bearer ${TOKEN}` })).status).toBe(200);
    expect((await secured.request("/healthz")).status).toBe(200);
  });

  test("/openapi.json is a valid OpenAPI 3.1 document listing the routes", async () => {
    const res = await app.request("/openapi.json");
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths)).toContain("/healthz");
    const result = await new Validator().validate(doc as Parameters<Validator["validate"]>[0]);
    if (!result.valid) console.error(JSON.stringify(result.errors, null, 2));
    expect(result.valid).toBe(true);
  });

  test("every error response refers to the one ProblemDetails component (OpenAIError on the OpenAI-compatible routes)", async () => {
    type Responses = Record<string, { content?: Record<string, { schema?: { $ref?: string } }> }>;
    const doc = (await (await app.request("/openapi.json")).json()) as {
      paths: Record<string, Record<string, { responses: Responses }>>;
      components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
    };
    expect(Object.keys(doc.components.schemas.ProblemDetails?.properties ?? {})).toEqual(
      expect.arrayContaining(["type", "title", "status", "detail", "instance", "request_id"]),
    );
    const errors: string[] = [];
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        for (const [status, res] of Object.entries(op.responses)) {
          if (Number(status) < 400) continue;
          if (OPENAI_PATHS.has(path)) {
            const ref = res.content?.["application/json"]?.schema?.$ref;
            expect(ref, `${method} ${path} ${status}`).toBe("#/components/schemas/OpenAIError");
            continue;
          }
          const ref = res.content?.["application/problem+json"]?.schema?.$ref;
          errors.push(`${method} ${path} ${status} -> ${ref}`);
          expect(ref, `${method} ${path} ${status}`).toBe("#/components/schemas/ProblemDetails");
        }
      }
    }
    expect(errors.length).toBeGreaterThan(15);
  });

  test("/docs is Swagger UI over /openapi.json, every asset served by this process (no CDN)", async () => {
    const res = await app.request("/docs");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/html");
    const html = await res.text();
    expect(html).toContain("<title>SPICE toolkit API");
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)]
      .map((m) => m[1]!)
      .filter((u) => !u.startsWith("data:"));
    expect(assets.sort()).toEqual([
      "/docs/assets/init.js",
      "/docs/assets/swagger-ui-bundle.js",
      "/docs/assets/swagger-ui.css",
    ]);
    for (const path of assets) {
      const a = await app.request(path, { headers: { "accept-encoding": "gzip" } });
      expect(a.status, path).toBe(200);
      expect(a.headers.get("content-encoding")).toBe("gzip");
      const again = await app.request(path, { headers: { "if-none-match": a.headers.get("etag")! } });
      expect(again.status).toBe(304);
    }
    const init = await (await app.request("/docs/assets/init.js")).text();
    expect(init).toContain('url: "/openapi.json"');
    // No validator badge (it would call out to a public validator).
    expect(init).toContain("validatorUrl: null");
  });

  test("/metrics is Prometheus text with request counters", async () => {
    await app.request("/healthz");
    const res = await app.request("/metrics");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/plain");
    expect(await res.text()).toMatch(/spice_http_requests_total\{method="GET",route="\/healthz",status="200"\} \d+/);
  });
});
