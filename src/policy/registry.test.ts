import { afterAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { COMMITTED_MODELS, DEFAULT_LM, DEFAULT_POLICY, ensureModel } from "../../models/index.ts";
import { startFakeOpenAI } from "../../test/fakes/openai-server.ts";
import { REPO_ROOT, tempDir } from "../../test/helpers.ts";
import { errorAnswer } from "../error-table.ts";
import { PolicySpecError } from "../errors.ts";
import { localModelFolder, policySpec } from "./index.ts";
import { openPolicy } from "./registry.ts";
import type { Policy } from "./types.ts";

const server = startFakeOpenAI({ model: "served-model" });
const data = tempDir("spice-registry-");
const opened: Policy[] = [];
afterAll(async () => {
  for (const p of opened) await p.close();
  await server.stop();
  data.cleanup();
});

async function open(spec: string, dataDir?: string): Promise<Policy> {
  const policy = await openPolicy(spec, { dataDir });
  opened.push(policy);
  return policy;
}

async function failure(spec: string, dataDir?: string): Promise<PolicySpecError> {
  try {
    await open(spec, dataDir);
  } catch (err) {
    expect(err).toBeInstanceOf(PolicySpecError);
    return err as PolicySpecError;
  }
  throw new Error(`expected ${spec} to be refused`);
}

describe("openPolicy", () => {
  test("an http(s) URL opens the OpenAI-compatible backend, which has no local weights", async () => {
    const policy = await open(server.url);
    expect(policy.info.backend).toBe("openai");
    const [r] = await policy.generate(["2+2="], { n: 2 });
    // The fake server answers choice i with "... \\boxed{i}".
    expect(r!.completions.map((c) => c.text.slice(-9))).toEqual(["\\boxed{0}", "\\boxed{1}"]);
    expect(await policy.version!()).toEqual({ backend: "openai", model: "served-model" });
    expect(policy.swapWeights).toBeUndefined();
    expect(policy.weightsHash).toBeUndefined();
  });

  test("a model folder opens the transformers.js backend: weight swaps, and the hash of its opened weights", async () => {
    const dir = ensureModel(data.dir, DEFAULT_LM);
    const bytes = readFileSync(join(dir, "onnx", "model.onnx"));
    const sha = createHash("sha256").update(bytes).digest("hex");
    const policy = await open(dir);
    expect(policy.info.backend).toBe("transformers");
    expect(await policy.weightsHash!()).toBe(sha);
    expect(await policy.version!()).toEqual({ backend: "transformers", model: dir, weightsHash: sha, swaps: 0 });
    await policy.swapWeights!(bytes);
    expect(await policy.version!()).toMatchObject({ weightsHash: sha, swaps: 1 });
    const [r] = await policy.generate(["2+2="], { maxTokens: 4, seed: 1 });
    expect(r!.completions[0]!.tokenIds!.length).toBeGreaterThan(0);
  });

  test("a built model name opens the model built under the data folder", async () => {
    const policy = await open(DEFAULT_LM, data.dir);
    expect(policy.info).toMatchObject({ backend: "transformers", model: join(data.dir, "models", DEFAULT_LM) });
  });

  test("the committed default policy opens by name, from models/, with no data folder; the settings default to it", async () => {
    const policy = await open(DEFAULT_POLICY);
    expect(policy.info).toMatchObject({ backend: "transformers", model: COMMITTED_MODELS[DEFAULT_POLICY] });
    expect(COMMITTED_MODELS[DEFAULT_POLICY]).toBe(join(REPO_ROOT, "models", "spice-lm-tiny-world"));
    expect(policySpec({ dataDir: data.dir, device: "cpu", policyEndpoint: "completions" })).toBe(DEFAULT_POLICY);
    expect(localModelFolder({ dataDir: data.dir, device: "cpu", policyEndpoint: "completions" })).toBe(
      COMMITTED_MODELS[DEFAULT_POLICY]!,
    );
    // Trained, not built: its weights differ from the builder's model of the same preset and seed.
    const built = readFileSync(join(ensureModel(data.dir, DEFAULT_LM), "onnx", "model.onnx"));
    expect(await policy.weightsHash!()).not.toBe(createHash("sha256").update(built).digest("hex"));
  });

  test("a spec no backend takes is a clear error naming what each backend accepts", async () => {
    const missing = await failure(join(data.dir, "no-such-model"), data.dir);
    expect(missing.message).toContain(`cannot open a policy from "${join(data.dir, "no-such-model")}"`);
    expect(missing.message).toContain("a transformers.js model folder");
    expect(missing.message).toContain("spice-lm-tiny");
    expect(missing.message).toContain("http(s) URL");
    // A folder without config.json, an encoder's name, a built name with nowhere to build it, another scheme.
    mkdirSync(join(data.dir, "empty"));
    await failure(join(data.dir, "empty"), data.dir);
    await failure("spice-encoder-tiny", data.dir);
    await failure(DEFAULT_LM);
    await failure("ftp://example.com/model");
    expect(errorAnswer(missing)).toMatchObject({ status: 503, exit: 2 });
  });
});
