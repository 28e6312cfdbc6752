import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { statSync } from "node:fs";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { tempDir } from "../helpers.ts";
import { HAVE_CHROMIUM, launch, loopbackOnly, screenshotDir, serve } from "./helpers.ts";

/**
 * The API reference at /docs in chromium: Swagger UI from this server alone renders every route of
 * /openapi.json with its schemas resolved and its parameters typed, and "Try it out" calls the server.
 */
const data = tempDir();
const scratch = tempDir();
let server: Awaited<ReturnType<typeof serve>>;
let browser: Browser;

beforeAll(async () => {
  if (!HAVE_CHROMIUM) return;
  server = await serve({ SPICE_DATA_DIR: data.dir });
  browser = await launch();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  server?.proc.kill("SIGTERM");
  await server?.proc.exited;
  data.cleanup();
  scratch.cleanup();
});

describe.skipIf(!HAVE_CHROMIUM)("/docs in chromium", () => {
  test("every route renders with resolved schemas and typed parameters; try-it-out succeeds; loopback only", async () => {
    const doc = (await (await fetch(`${server.url}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    const operations = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.keys(item).map((m) => `${m.toUpperCase()} ${path}`),
    );
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const net = await loopbackOnly(page);
    await page.goto(`${server.url}/docs`);
    await page.waitForSelector(".opblock");
    const rendered = await page.$$eval(".opblock", (els) =>
      els.map(
        (el) =>
          `${el.querySelector(".opblock-summary-method")?.textContent} ${el.querySelector(".opblock-summary-path")?.getAttribute("data-path")}`,
      ),
    );
    expect(rendered.sort()).toEqual(operations.sort());

    // The overview, as a user first sees it.
    const shot = join(screenshotDir(scratch.dir), "api-reference.png");
    await page.screenshot({ path: shot });
    expect(statSync(shot).size).toBeGreaterThan(20_000);

    // Open every operation: its schemas are drawn as models, never as a bare $ref.
    await page.$$eval(".opblock-summary-control", (els) => {
      for (const el of els) (el as HTMLElement).click();
    });
    await page.waitForFunction(
      (n) => document.querySelectorAll(".opblock.is-open .responses-wrapper").length === n,
      operations.length,
    );
    const text = await page.locator("#swagger-ui").textContent();
    expect(text).not.toContain("$ref");
    expect(text).not.toContain("#/components/schemas");
    // A query parameter: typed, with its enum and default.
    const search = page.locator(".opblock-get:has([data-path='/v1/corpus/search'])");
    const mode = search.locator("tr[data-param-name='mode']");
    expect(await mode.locator(".parameter__type").textContent()).toContain("string");
    expect(await mode.textContent()).toContain("hybrid");
    expect(await mode.locator("select option").allTextContents()).toEqual(
      expect.arrayContaining(["vector", "fts", "hybrid"]),
    );
    const k = search.locator("tr[data-param-name='k']");
    expect(await k.locator(".parameter__type").textContent()).toContain("integer");
    expect(await k.textContent()).toContain("10");
    // A response model resolved to its fields (the trainer status: holder, last metrics).
    const status = page.locator(".opblock-get:has([data-path='/v1/trainer/status'])");
    expect(await status.textContent()).toContain("holder");

    // Try it out: POST /v1/verify with the route's example, against this server.
    const verify = page.locator(".opblock-post:has([data-path='/v1/verify'])");
    await verify.locator("button.try-out__btn").click();
    await verify.locator("button.execute").click();
    const live = verify.locator(".live-responses-table tbody .response-col_status").first();
    await live.waitFor();
    expect(((await live.textContent()) ?? "").trim()).toBe("200");
    expect(
      await verify.locator(".live-responses-table tbody .response-col_description").first().textContent(),
    ).toContain("equal within 1e-6");

    expect(net.outside).toEqual([]);
    await page.close();
  }, 120_000);
});
