import { afterAll, describe, expect, test } from "bun:test";
import { getRefId } from "@asteasolutions/zod-to-openapi";
import type { z } from "@hono/zod-openapi";
import { createApp } from "./app.ts";
import { testContext } from "../test/helpers.ts";

/**
 * The API reference's promises (issue 16): every route has an example, each example is valid for its
 * own schema (so "Try it out" sends a body the route accepts), every parameter is typed, and every
 * $ref resolves.
 */
const ctx = testContext();
const app = createApp(ctx);
afterAll(() => ctx.close());

type Media = Record<string, { schema?: unknown; example?: unknown }>;
type RouteDef = {
  method: string;
  path: string;
  request?: { body?: { content: Media }; query?: z.ZodObject; params?: z.ZodObject };
  responses: Record<string, { content?: Media }>;
};
const routes = app.openAPIRegistry.definitions.flatMap((d) => (d.type === "route" ? [d.route as RouteDef] : []));
const isZod = (s: unknown): s is z.ZodType => typeof (s as { safeParse?: unknown })?.safeParse === "function";
/** The zod schema registered under the component a `{ $ref }` names. */
const registered = (s: unknown): z.ZodType | undefined => {
  const ref = (s as { $ref?: string })?.$ref?.split("/").at(-1);
  for (const d of app.openAPIRegistry.definitions) {
    if (d.type === "schema" && isZod(d.schema) && ref && getRefId(d.schema) === ref) return d.schema;
  }
  return undefined;
};

describe("the OpenAPI document behind /docs", () => {
  test("every route shows an example, and each example is valid for its schema", async () => {
    expect(routes.length).toBeGreaterThan(15);
    // The example shown: the media type's own, or the one its schema component carries.
    const doc = (await (await app.request("/openapi.json")).json()) as {
      paths: Record<string, Record<string, Record<string, any>>>;
      components: { schemas: Record<string, { example?: unknown }> };
    };
    const shown = (media: { example?: unknown; schema?: { $ref?: string; example?: unknown } } | undefined) =>
      media?.example ??
      media?.schema?.example ??
      (media?.schema?.$ref ? doc.components.schemas[media.schema.$ref.split("/").at(-1)!]?.example : undefined);
    const missing: string[] = [];
    for (const r of routes) {
      const name = `${r.method.toUpperCase()} ${r.path}`;
      const op = doc.paths[r.path]![r.method]!;
      const body = r.request?.body?.content["application/json"];
      if (body) {
        const example = shown(op.requestBody?.content?.["application/json"]);
        if (example === undefined) missing.push(`${name} request`);
        else {
          // A body documented by `$ref` (validated by its handler, not by zod-openapi) is checked against the
          // registered component's zod schema.
          const schema = isZod(body.schema) ? body.schema : registered(body.schema);
          expect(schema, `${name} request: no zod schema behind ${JSON.stringify(body.schema)}`).toBeDefined();
          const ok = schema!.safeParse(example);
          expect(ok.success, `${name} request example: ${JSON.stringify(ok.error?.issues)}`).toBe(true);
        }
      }
      for (const [status, res] of Object.entries(r.responses)) {
        const media = res.content?.["application/json"];
        if (!status.startsWith("2") || !media) continue;
        const example = shown(op.responses?.[status]?.content?.["application/json"]);
        if (example === undefined) missing.push(`${name} ${status}`);
        else {
          const ok = (media.schema as z.ZodType).safeParse(example);
          expect(ok.success, `${name} ${status} example: ${JSON.stringify(ok.error?.issues)}`).toBe(true);
        }
      }
    }
    expect(missing).toEqual([]);
  });

  test("every parameter is typed, with its default and enum where it has one; a required one shows a value", async () => {
    const doc = (await (await app.request("/openapi.json")).json()) as {
      paths: Record<
        string,
        Record<
          string,
          {
            parameters?: {
              name: string;
              in: string;
              required?: boolean;
              schema?: Record<string, unknown>;
              example?: unknown;
            }[];
          }
        >
      >;
    };
    const untyped: string[] = [];
    for (const [path, item] of Object.entries(doc.paths))
      for (const [method, op] of Object.entries(item))
        for (const p of op.parameters ?? []) {
          const where = `${method} ${path} ${p.name}`;
          if (!p.schema?.type) untyped.push(where);
          // Optional filters stay empty in "Try it out"; a required one shows a value to send.
          const shown = p.schema?.default ?? p.schema?.example ?? p.example;
          if (p.required && shown === undefined) untyped.push(`${where} (required, with no example or default)`);
        }
    expect(untyped).toEqual([]);
    const search = doc.paths["/v1/corpus/search"]!.get!.parameters!;
    expect(search.find((p) => p.name === "mode")?.schema).toMatchObject({
      enum: ["vector", "fts", "hybrid"],
      default: "hybrid",
    });
    const tasks = doc.paths["/v1/trainer/runs/{id}/tasks"]!.get!.parameters!;
    expect(tasks.find((p) => p.name === "valid")?.schema).toMatchObject({
      enum: ["any", "true", "false"],
      default: "any",
    });
    expect(tasks.find((p) => p.name === "limit")?.schema).toMatchObject({ type: "integer", default: 20 });
  });

  test("every $ref points at a schema the document defines", async () => {
    const text = await (await app.request("/openapi.json")).text();
    const doc = JSON.parse(text) as { components: { schemas: Record<string, unknown> } };
    const refs = [...text.matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThan(20);
    expect(refs.filter((r) => !(r in doc.components.schemas))).toEqual([]);
  });

  test("try it out: POST /v1/verify with its example answers exactly its response example", async () => {
    const verify = routes.find((r) => r.path === "/v1/verify")!;
    const res = await app.request("/v1/verify", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(verify.request!.body!.content["application/json"]!.example),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(verify.responses["200"]!.content!["application/json"]!.example);
  });
});
