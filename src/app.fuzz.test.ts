/**
 * Fuzz over every route of the OpenAPI document (so routes added later are covered too): arbitrary JSON values,
 * malformed bytes and near-valid bodies and queries derived from each route's own schema (one field dropped,
 * mistyped, out of range, or an unknown one added). Whatever comes in: never a 500, never a hang, and on the
 * toolkit's routes every 4xx is problem+json whose 400s name each failing field. Seeded; bounded in time.
 */
import { afterAll, describe, expect, test } from "bun:test";
import fc from "fast-check";
import { DEFAULT_ENCODER, DEFAULT_LM, ensureModel } from "../models/index.ts";
import { createApp } from "./app.ts";
import { startFakeOpenAI } from "../test/fakes/openai-server.ts";
import { testContext } from "../test/helpers.ts";

type Schema = Record<string, any>;
type Operation = {
  parameters?: { name: string; in: string; required?: boolean; schema: Schema }[];
  requestBody?: { content: Record<string, { schema?: Schema }> };
  responses: Record<string, { content?: Record<string, unknown> }>;
};

const SEED = 20261202;
/** Wall-clock budget of the whole fuzz, shared by the routes; each request must also end within HANG_MS. */
const BUDGET_MS = 6_000;
const HANG_MS = 15_000;
/** Requests each route gets whatever the budget. */
const MIN_RUNS = 5;

const fake = startFakeOpenAI();
const ctx = testContext({ policyUrl: fake.url });
const app = createApp(ctx);
// Built once up front, so a valid document post costs an ingest, not a model build.
ensureModel(ctx.dataDir, DEFAULT_ENCODER);
ensureModel(ctx.dataDir, DEFAULT_LM);
// One ingest up front too: the first one opens LanceDB and loads the encoder and tokenizer (seconds).
await app.request("/v1/corpus/documents", {
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ text: "A warm-up document about rivers, mills and harbours, long enough to be kept." }),
});
afterAll(async () => {
  await app.request("/v1/trainer/stop", { method: "POST" });
  await ctx.close();
  await fake.stop();
});

const doc = (await (await app.request("/openapi.json")).json()) as {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
};

function deref(s: Schema | undefined): Schema {
  let out = s ?? {};
  for (let i = 0; i < 10 && typeof out.$ref === "string"; i++) {
    out = doc.components.schemas[out.$ref.replace("#/components/schemas/", "")] ?? {};
  }
  return out;
}

/** Values a schema accepts (sizes kept small so a valid request stays cheap). */
function valid(raw: Schema | undefined, depth = 0): fc.Arbitrary<unknown> {
  const s = deref(raw);
  if ("const" in s) return fc.constant(s.const);
  if (Array.isArray(s.enum)) return fc.constantFrom(...s.enum);
  const union = s.anyOf ?? s.oneOf;
  if (Array.isArray(union) && union.length) return fc.oneof(...union.map((b: Schema) => valid(b, depth + 1)));
  if (Array.isArray(s.allOf) && s.allOf.length) return valid(Object.assign({}, ...s.allOf.map(deref)), depth);
  const types: string[] = Array.isArray(s.type) ? s.type : s.type ? [s.type] : [];
  if (types.length > 1) return fc.oneof(...types.map((type) => valid({ ...s, type }, depth)));
  switch (types[0]) {
    case "null":
      return fc.constant(null);
    case "boolean":
      return fc.boolean();
    case "integer": {
      const min = Math.max(s.minimum ?? (s.exclusiveMinimum ?? -11) + 1, -1000);
      return fc.integer({ min, max: Math.min(s.maximum ?? (s.exclusiveMaximum ?? 1e9) - 1, min + 10) });
    }
    case "number": {
      const min = s.minimum ?? s.exclusiveMinimum ?? 0;
      const max = s.maximum ?? s.exclusiveMaximum ?? min + 10;
      return fc.double({
        min,
        max,
        noNaN: true,
        noDefaultInfinity: true,
        minExcluded: s.exclusiveMinimum !== undefined,
      });
    }
    case "string": {
      const minLength = s.minLength ?? 0;
      return fc.string({ minLength, maxLength: Math.min(s.maxLength ?? minLength + 12, minLength + 12) });
    }
    case "array": {
      const minLength = s.minItems ?? 0;
      const items = depth > 3 ? fc.constant(null) : valid(s.items, depth + 1);
      return fc.array(items, { minLength, maxLength: Math.min(s.maxItems ?? minLength + 3, minLength + 3) });
    }
    case "object": {
      const props = Object.entries((s.properties ?? {}) as Record<string, Schema>);
      if (!props.length || depth > 3) return fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 1 }));
      const shape = Object.fromEntries(props.map(([k, v]) => [k, valid(v, depth + 1)]));
      return fc.record(shape, { requiredKeys: (s.required ?? []).filter((k: string) => k in shape) });
    }
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

type Mutation = { kind: number; pick: number; junk: unknown };
const mutation: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.nat(6),
  pick: fc.nat(),
  junk: fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom(1e308, -1, 0, "", "x".repeat(300), [], {}, null)),
});

/** Every path to a value inside `v` (objects and arrays, a few levels deep). */
function paths(v: unknown, at: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  if (at.length > 3 || v === null || typeof v !== "object") return out;
  for (const [k, child] of Object.entries(v)) {
    const p = [...at, Array.isArray(v) ? Number(k) : k];
    out.push(p);
    paths(child, p, out);
  }
  return out;
}

/** One small change to a valid value: a field dropped, replaced by junk or a wrong type, an unknown key added. */
function mutate(value: unknown, m: Mutation): unknown {
  const copy = structuredClone(value);
  const ps = paths(copy);
  if (m.kind === 6 || ps.length === 0) return m.kind % 2 ? [copy] : m.junk;
  const path = ps[m.pick % ps.length]!;
  const parent = path.slice(0, -1).reduce<any>((o, k) => o[k], copy);
  const key = path.at(-1)!;
  if (m.kind === 0) {
    if (Array.isArray(parent)) parent.splice(Number(key), 1);
    else delete parent[key];
  } else if (m.kind === 1 || m.kind === 2) parent[key] = m.junk;
  else if (m.kind === 3) parent[key] = typeof parent[key] === "string" ? 7 : String(parent[key]);
  else if (m.kind === 4) {
    const target = typeof parent[key] === "object" && parent[key] !== null ? parent[key] : parent;
    if (!Array.isArray(target)) target.zz_unknown_field = m.junk;
  } else parent[key] = typeof parent[key] === "number" ? parent[key] * 1e6 + 1 : null;
  return copy;
}

interface Req {
  path: string;
  init: RequestInit;
}

function requests(path: string, method: string, op: Operation): fc.Arbitrary<Req> {
  const params = op.parameters ?? [];
  const query = params.filter((p) => p.in === "query");
  const pathParams = params.filter((p) => p.in === "path");
  const queryArb = fc.oneof(
    fc.record(Object.fromEntries(query.map((p) => [p.name, valid(p.schema).map(String)])), {
      requiredKeys: query.filter((p) => p.required).map((p) => p.name),
    }),
    fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 12 })),
  );
  const pathArb = fc.tuple(...pathParams.map(() => fc.string({ minLength: 1, maxLength: 16 })), queryArb, mutation);
  const url = pathArb.map((parts) => {
    const values = parts.slice(0, pathParams.length) as string[];
    const [q, m] = parts.slice(pathParams.length) as [Record<string, string>, Mutation];
    const p = pathParams.reduce(
      (acc, param, i) => acc.replace(`{${param.name}}`, encodeURIComponent(values[i]!)),
      path,
    );
    const mutated = m.kind < 5 ? mutate(q, m) : q;
    const search =
      mutated && typeof mutated === "object" && !Array.isArray(mutated)
        ? new URLSearchParams(Object.entries(mutated).map(([k, v]) => [k, String(v)])).toString()
        : "";
    return search ? `${p}?${search}` : p;
  });
  if (method === "get") return url.map((p) => ({ path: p, init: { method: "GET" } }));
  const content = op.requestBody?.content ?? {};
  const schema = content["application/json"]?.schema;
  const json = (body: fc.Arbitrary<string>, type: fc.Arbitrary<string | null>) =>
    fc.tuple(url, body, type).map(([p, b, t]) => ({
      path: p,
      init: { method: method.toUpperCase(), body: b, headers: t ? { "content-type": t } : {} } as RequestInit,
    }));
  const declared = Object.keys(content);
  const types = fc.constantFrom<string | null>(...(declared.length ? declared : ["application/json"]));
  return fc.oneof(
    {
      weight: 4,
      arbitrary: json(
        fc.tuple(valid(schema), mutation).map(([v, m]) => JSON.stringify(mutate(v, m)) ?? "null"),
        fc.constant("application/json"),
      ),
    },
    {
      weight: 2,
      arbitrary: json(
        fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? "null"),
        types,
      ),
    },
    {
      weight: 1,
      arbitrary: json(
        fc.string({ maxLength: 40 }),
        fc.constantFrom(null, "text/plain", "application/json", ...declared),
      ),
    },
    {
      weight: 1,
      arbitrary: json(
        valid(schema).map((v) => `${JSON.stringify(v)}\n{oops`),
        types,
      ),
    },
  );
}

/** A route implementing another project's contract documents its errors in that contract's shape, not ours. */
function foreign(op: Operation): boolean {
  return Object.entries(op.responses).some(
    ([code, r]) => /^[45]/.test(code) && r.content && !("application/problem+json" in r.content),
  );
}

async function send(req: Req): Promise<{ status: number; type: string; text: string }> {
  let timer: Timer | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`hung over ${HANG_MS} ms: ${req.init.method} ${req.path}`)), HANG_MS);
  });
  try {
    return await Promise.race([
      (async () => {
        const res = await app.request(req.path, req.init);
        return { status: res.status, type: res.headers.get("content-type") ?? "", text: await res.text() };
      })(),
      hang,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

const operations = Object.entries(doc.paths).flatMap(([path, item]) =>
  Object.entries(item).map(([method, op]) => ({ path, method, op })),
);

describe("fuzz: every route, arbitrary and near-valid input", () => {
  test("the OpenAPI document lists the routes to fuzz", () => {
    expect(operations.length).toBeGreaterThan(10);
  });

  for (const { path, method, op } of operations) {
    test(`${method.toUpperCase()} ${path}: no 500, no hang, every 4xx a problem naming its field`, async () => {
      const ours = !foreign(op);
      let runs = 0;
      // The time budget is spent inside the property: past it (and after a few runs, however slow the first
      // ones were) the remaining runs pass without sending anything.
      const deadline = performance.now() + Math.max(300, BUDGET_MS / operations.length);
      await fc.assert(
        fc.asyncProperty(requests(path, method, op), async (req) => {
          if (runs >= MIN_RUNS && performance.now() > deadline) return;
          runs++;
          const res = await send(req);
          const where = `${req.init.method} ${req.path} ${String(req.init.body ?? "").slice(0, 200)} → ${res.status} ${res.text.slice(0, 300)}`;
          expect(res.status, where).toBeLessThan(500);
          if (path === "/v1/trainer/start" && res.status === 202)
            await app.request("/v1/trainer/stop", { method: "POST" });
          if (!ours || res.status < 400) return;
          expect(res.type, where).toStartWith("application/problem+json");
          const body = JSON.parse(res.text) as {
            status: number;
            title: string;
            errors?: { field: string; message: string }[];
          };
          expect(body.status, where).toBe(res.status);
          expect(typeof body.title, where).toBe("string");
          if (res.status === 400) {
            expect(body.errors?.length, where).toBeGreaterThan(0);
            for (const e of body.errors ?? []) {
              expect(e.field.length, where).toBeGreaterThan(0);
              expect(e.message.length, where).toBeGreaterThan(0);
              // zod's bare union failure says nothing about what was expected.
              expect(e.message, where).not.toBe("Invalid input");
            }
          }
        }),
        {
          seed: SEED,
          numRuns: 60,
        },
      );
      if (process.env.SPICE_FUZZ_VERBOSE) console.log(`${method} ${path}: ${runs} runs`);
      expect(runs).toBeGreaterThanOrEqual(MIN_RUNS);
    }, 60_000);
  }
});
