import { afterAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { DEFAULT_LM, ensureModel } from "../../models/index.ts";
import { tempDir } from "../../test/helpers.ts";
import { parseTrainerConfig } from "./config.ts";
import { checkTrainerSetup, resolveRolloutPath, TrainerSetupError } from "./setup.ts";

const data = tempDir("spice-setup-");
const elsewhere = tempDir("spice-elsewhere-");
afterAll(() => {
  data.cleanup();
  elsewhere.cleanup();
});
const settings = { dataDir: data.dir, device: "cpu" as const };

describe("checkTrainerSetup", () => {
  test("rollout_path: relative under <data-dir>/rollouts/, absolute only inside it", () => {
    expect(resolveRolloutPath(data.dir, "a/b.jsonl")).toBe(join(data.dir, "rollouts", "a", "b.jsonl"));
    expect(resolveRolloutPath(data.dir, join(data.dir, "rollouts", "c.jsonl"))).toBe(
      join(data.dir, "rollouts", "c.jsonl"),
    );
    // Inside the data dir but outside rollouts/ (the database, a checkpoint) is refused too.
    for (const bad of [join(data.dir, "spice.sqlite"), "../spice.sqlite", "/etc/passwd"]) {
      expect(() => resolveRolloutPath(data.dir, bad)).toThrow(TrainerSetupError);
      expect(() => resolveRolloutPath(data.dir, bad)).toThrow(/^rollout_path: /);
    }
  });

  test("challenger_policy over HTTP: folders confined to the data dir (relative ones taken from it), names and URLs kept", () => {
    const inside = ensureModel(data.dir, DEFAULT_LM);
    const confine = { confineFolders: true };
    const at = (spec: string) => checkTrainerSetup(parseTrainerConfig({ challenger_policy: spec }), settings, confine);
    expect(at(join("models", DEFAULT_LM)).challenger_policy).toBe(inside);
    expect(at(inside).challenger_policy).toBe(inside);
    expect(at(DEFAULT_LM).challenger_policy).toBe(DEFAULT_LM);
    expect(at("http://127.0.0.1:8000").challenger_policy).toBe("http://127.0.0.1:8000");
    const outside = ensureModel(elsewhere.dir, DEFAULT_LM);
    expect(() => at(outside)).toThrow(/challenger_policy: a model folder named over HTTP must lie in the data dir/);
    // The operator's own config file (the CLI) may name any model folder; it is still checked.
    const cli = checkTrainerSetup(parseTrainerConfig({ challenger_policy: outside }), settings);
    expect(cli.challenger_policy).toBe(outside);
    expect(() => checkTrainerSetup(parseTrainerConfig({ challenger_policy: "/etc" }), settings)).toThrow(
      /challenger_policy: cannot open a policy from "\/etc": not a model folder \(no config.json\)/,
    );
  });

  test("every problem is listed, each naming its setting", () => {
    try {
      checkTrainerSetup(parseTrainerConfig({ rollout_path: "/x.jsonl", challenger_policy: "ftp://h/m" }), settings);
      throw new Error("expected a TrainerSetupError");
    } catch (err) {
      expect(err).toBeInstanceOf(TrainerSetupError);
      expect((err as TrainerSetupError).problems.map((p) => p.field)).toEqual(["rollout_path", "challenger_policy"]);
    }
  });

  test("challenger_policy as a server object: its URLs must open and its key variable must be set", () => {
    const server = { url: "http://a:8000,http://b:8000", model: "m", api_key_env: "SPICE_SETUP_TEST_KEY" };
    const config = parseTrainerConfig({ challenger_policy: server });
    expect(checkTrainerSetup(config, settings, { env: { SPICE_SETUP_TEST_KEY: "k" } }).challenger_policy).toEqual(
      server,
    );
    try {
      checkTrainerSetup(config, settings, { env: {} });
      throw new Error("expected a TrainerSetupError");
    } catch (err) {
      expect(err).toBeInstanceOf(TrainerSetupError);
      expect((err as TrainerSetupError).problems).toEqual([
        { field: "challenger_policy.api_key_env", message: "the environment variable SPICE_SETUP_TEST_KEY is not set" },
      ]);
    }
  });
});
