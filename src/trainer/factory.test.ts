import { afterAll, describe, expect, test } from "bun:test";
import { startFakeOpenAI } from "../../test/fakes/openai-server.ts";
import { testContext } from "../../test/helpers.ts";
import { arithmeticScript, testTrainerConfig } from "../../test/trainer/fixtures.ts";
import { createRunFactory } from "./factory.ts";
import { Trainer } from "./runner.ts";

/** The real run factory with remote policies: the reasoner's server from the settings, the challenger's from its own object. */

const reasoner = startFakeOpenAI({ models: ["small"], fingerprint: "fp_r" });
const challenger = startFakeOpenAI({ models: ["base", "big"], apiKey: "challenger-key", checkModel: true });
for (const s of [reasoner, challenger]) s.setReply((prompt, choice) => arithmeticScript(prompt, { sample: choice }));
const contexts: Array<ReturnType<typeof testContext>> = [];
afterAll(async () => {
  for (const c of contexts) await c.close();
  await reasoner.stop();
  await challenger.stop();
});

function context() {
  const c = testContext({ policyUrl: reasoner.url, policyEndpoint: "completions" });
  contexts.push(c);
  return c;
}

describe("run factory with remote policies", () => {
  test("challenger_policy as a server object: its model, endpoint and key; the reasoner on SPICE_POLICY_URL", async () => {
    process.env.SPICE_TEST_CHALLENGER_KEY = "challenger-key";
    const c = context();
    const trainer = new Trainer(c, createRunFactory(c));
    await trainer.start(
      testTrainerConfig({
        iterations: 1,
        use_corpus: false,
        challenger_policy: {
          url: challenger.url,
          model: "big",
          endpoint: "chat",
          api_key_env: "SPICE_TEST_CHALLENGER_KEY",
        },
      }),
    );
    await trainer.done();
    expect(trainer.status()).toMatchObject({ state: "finished", iteration: 1 });
    const chats = challenger.requests.filter((r) => r.path === "/v1/chat/completions");
    expect(chats.length).toBeGreaterThan(0);
    expect(chats.every((r) => r.body.model === "big")).toBe(true);
    const solves = reasoner.requests.filter((r) => r.path === "/v1/completions");
    expect(solves.length).toBeGreaterThan(0);
    expect(solves.every((r) => r.body.model === "small")).toBe(true);
  });

  test("a key variable that is not set stops the run at start-up, naming it", async () => {
    delete process.env.SPICE_TEST_MISSING_KEY;
    const c = context();
    const trainer = new Trainer(c, createRunFactory(c));
    const config = testTrainerConfig({
      iterations: 1,
      use_corpus: false,
      challenger_policy: { url: challenger.url, api_key_env: "SPICE_TEST_MISSING_KEY" },
    });
    const started = await trainer.start(config).then(
      () => trainer.done().then(() => trainer.status().error ?? ""),
      (e: Error) => e.message,
    );
    expect(started).toContain("SPICE_TEST_MISSING_KEY is not set");
  });
});
