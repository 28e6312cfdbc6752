import { describe, expect, test } from "bun:test";
import { NemoGymConfigError, readNemoGymPlacement } from "./nemo-config.ts";

/** The shape NeMo-Gym's launcher hands each server: OmegaConf.to_yaml of the global config, interpolations unresolved. */
const YAML = `
policy_base_url:
- http://10.0.0.5:8000/v1
- http://10.0.0.6:8000/v1
policy_api_key: dummy_key
policy_model_name: Qwen/Qwen3-4B-Base
policy_model:
  responses_api_models:
    vllm_model:
      entrypoint: app.py
      base_url: \${policy_base_url}
      api_key: \${policy_api_key}
      model: \${policy_model_name}
      host: 127.0.0.1
      port: 5003
spice_resources_server:
  resources_servers:
    spice:
      entrypoint: app.py
      host: 127.0.0.1
      port: 5007
      data_dir: \${oc.env:SPICE_TEST_DIR,/tmp/spice-default}
      policy_model:
        type: responses_api_models
        name: policy_model
      spice:
        reasoner_samples: 4
        reward: rzero
`;

describe("reading NeMo-Gym's launcher config", () => {
  test("host, port, settings, data_dir and the policy_model ref, interpolations resolved", () => {
    const p = readNemoGymPlacement({ NEMO_GYM_CONFIG_DICT: YAML, NEMO_GYM_CONFIG_PATH: "spice_resources_server" });
    expect(p).toEqual({
      name: "spice_resources_server",
      host: "127.0.0.1",
      port: 5007,
      settings: { reasoner_samples: 4, reward: "rzero" },
      dataDir: "/tmp/spice-default",
      policy: {
        baseUrl: "http://10.0.0.5:8000/v1",
        model: "Qwen/Qwen3-4B-Base",
        apiKey: "dummy_key",
        source: "policy_model.base_url",
      },
    });
    const withEnv = readNemoGymPlacement({
      NEMO_GYM_CONFIG_DICT: YAML,
      NEMO_GYM_CONFIG_PATH: "spice_resources_server",
      SPICE_TEST_DIR: "/data/spice",
    });
    expect(withEnv.dataDir).toBe("/data/spice");
  });

  test("without base_url the Gym model server itself is the policy URL", () => {
    const yaml = YAML.replace(`      base_url: ${"$"}{policy_base_url}\n`, "").replace(
      /^policy_base_url:\n(- .*\n)+/m,
      "",
    );
    const p = readNemoGymPlacement({ NEMO_GYM_CONFIG_DICT: yaml, NEMO_GYM_CONFIG_PATH: "spice_resources_server" });
    expect(p.policy).toMatchObject({ baseUrl: "http://127.0.0.1:5003", model: "Qwen/Qwen3-4B-Base" });
  });

  test("missing variables, a missing entry or a missing port are errors that say so", () => {
    expect(() => readNemoGymPlacement({})).toThrow(NemoGymConfigError);
    expect(() => readNemoGymPlacement({ NEMO_GYM_CONFIG_DICT: YAML, NEMO_GYM_CONFIG_PATH: "nope" })).toThrow(/nope/);
    const noPort = YAML.replace("      port: 5007\n", "");
    expect(() =>
      readNemoGymPlacement({ NEMO_GYM_CONFIG_DICT: noPort, NEMO_GYM_CONFIG_PATH: "spice_resources_server" }),
    ).toThrow(/no port/);
  });
});
