/** The shipped integration files agree with the code: names, settings, paths. */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_AGENTS } from "../../src/gym/rows.ts";
import { GymSettingsSchema, parseGymSettings } from "../../src/gym/settings.ts";
import { REPO_ROOT } from "../helpers.ts";

const SPICE_YAML = "integrations/nemo-gym/resources_servers/spice/configs/spice.yaml";
const yaml = (path: string) => Bun.YAML.parse(readFileSync(join(REPO_ROOT, path), "utf8")) as Record<string, any>;

describe("integrations/", () => {
  test("the NeMo-Gym config: one resources server, the agents `spice gym dataset` names, valid settings", () => {
    const cfg = yaml(SPICE_YAML);
    const server = cfg.spice_resources_server.resources_servers.spice;
    expect(server.entrypoint).toBe("app.py");
    expect(server.policy_model).toEqual({ type: "responses_api_models", name: "policy_model" });
    expect(() => parseGymSettings(server.spice)).not.toThrow();
    const agents = { challenger: cfg[DEFAULT_AGENTS.challenger], reasoner: cfg[DEFAULT_AGENTS.reasoner] };
    expect(Object.keys(agents.challenger.responses_api_agents)).toEqual(["simple_agent"]);
    expect(Object.keys(agents.reasoner.responses_api_agents)).toEqual(["gymnasium_agent"]);
    for (const a of [
      agents.challenger.responses_api_agents.simple_agent,
      agents.reasoner.responses_api_agents.gymnasium_agent,
    ])
      expect(a.resources_server).toEqual({ type: "resources_servers", name: "spice_resources_server" });
  });

  test("the NeMo-RL and verl sketches name the shipped config; the NeMo-RL one's spice block parses", () => {
    const rl = yaml("integrations/nemo-rl/grpo_spice_qwen3_4b.yaml");
    expect(rl.env.nemo_gym.config_paths).toContain("resources_servers/spice/configs/spice.yaml");
    expect(() => parseGymSettings(rl.env.nemo_gym.spice_resources_server.resources_servers.spice.spice)).not.toThrow();
    expect(rl.grpo).toMatchObject({ normalize_rewards: false, use_leave_one_out_baseline: false });
    const verl = yaml("integrations/verl/spice_nemo_gym.yaml");
    expect(
      verl.nemo_gym.config_paths.some((p: string) => p.endsWith("resources_servers/spice/configs/spice.yaml")),
    ).toBe(true);
    const sh = readFileSync(join(REPO_ROOT, "integrations/openrlhf/train_spice_reasoner.sh"), "utf8");
    expect(sh).toContain("/openrlhf/reward");
  });
});

test("every gym setting is documented with its default in docs/gym.md", () => {
  const doc = readFileSync(join(REPO_ROOT, "docs/gym.md"), "utf8").split("\n");
  const defaults = parseGymSettings({});
  for (const key of Object.keys(GymSettingsSchema.shape)) {
    const row = doc.find((l) => l.startsWith("| ") && l.split("|")[1]!.includes(`\`${key}\``));
    expect(row, `docs/gym.md has no row for ${key}`).toBeDefined();
    expect(row!.replace(/\s/g, "")).toContain(JSON.stringify(defaults[key as keyof typeof defaults]));
  }
});
