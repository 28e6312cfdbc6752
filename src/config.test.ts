import { describe, expect, test } from "bun:test";
import { assertServable, ConfigError, loadConfig } from "./config.ts";

describe("config", () => {
  test("defaults follow docs/method.md §3.4", () => {
    const c = loadConfig({}, {});
    expect(c).toMatchObject({
      host: "127.0.0.1",
      port: 8787,
      dataDir: "data",
      device: "cpu",
      logLevel: "info",
      maxBody: 10 * 1024 * 1024,
    });
    expect(c.apiToken).toBeUndefined();
    expect(c.policyUrl).toBeUndefined();
  });

  test("environment is read and flags win over it", () => {
    const env = {
      SPICE_PORT: "9000",
      SPICE_DATA_DIR: "/tmp/x",
      SPICE_DEVICE: "cuda",
      SPICE_POLICY_URL: "http://127.0.0.1:8000/v1",
    };
    expect(loadConfig({}, env)).toMatchObject({
      port: 9000,
      dataDir: "/tmp/x",
      device: "cuda",
      policyUrl: "http://127.0.0.1:8000/v1",
    });
    expect(loadConfig({ port: "9100", device: "cpu" }, env)).toMatchObject({ port: 9100, device: "cpu" });
  });

  test.each([
    [{ SPICE_PORT: "abc" }, /SPICE_PORT \/ --port/],
    [{ SPICE_PORT: "70000" }, /SPICE_PORT \/ --port/],
    [{ SPICE_DEVICE: "tpu" }, /SPICE_DEVICE \/ --device/],
    [{ SPICE_LOG_LEVEL: "loud" }, /SPICE_LOG_LEVEL \/ --log-level/],
    [{ SPICE_POLICY_URL: "not a url" }, /SPICE_POLICY_URL \/ --policy-url/],
    [{ SPICE_POLICY_URL: "ftp://x" }, /SPICE_POLICY_URL/],
    [{ SPICE_API_TOKEN: "short" }, /SPICE_API_TOKEN \/ --api-token: .*16/],
    [{ SPICE_MAX_BODY: "12" }, /SPICE_MAX_BODY/],
  ])("bad setting %o is named in the error", (env, pattern) => {
    expect(() => loadConfig({}, env)).toThrow(ConfigError);
    expect(() => loadConfig({}, env)).toThrow(pattern);
  });

  test("remote policy settings: comma-separated replicas, model, endpoint, key (never echoed)", () => {
    const c = loadConfig(
      { policyModel: "Qwen/Qwen3-8B" },
      {
        SPICE_POLICY_URL: " http://a:8000 , http://b:8000/v1 ",
        SPICE_POLICY_ENDPOINT: "chat",
        SPICE_POLICY_API_KEY: "k-secret",
      },
    );
    expect(c).toMatchObject({
      policyUrl: "http://a:8000,http://b:8000/v1",
      policyModel: "Qwen/Qwen3-8B",
      policyEndpoint: "chat",
      policyApiKey: "k-secret",
    });
    expect(loadConfig({}, {}).policyEndpoint).toBe("completions");
    expect(() => loadConfig({}, { SPICE_POLICY_URL: "http://a:1,nope" })).toThrow(/SPICE_POLICY_URL.*"nope"/);
    expect(() => loadConfig({}, { SPICE_POLICY_URL: "http://a:1,,http://b:2" })).toThrow(/SPICE_POLICY_URL/);
    expect(() => loadConfig({}, { SPICE_POLICY_ENDPOINT: "responses" })).toThrow(/SPICE_POLICY_ENDPOINT/);
    try {
      loadConfig({ policyApiKey: "   " }, { SPICE_POLICY_ENDPOINT: "x" });
    } catch (err) {
      expect(String(err)).toContain("--policy-endpoint");
    }
  });

  test("the token never appears in an error message", () => {
    try {
      loadConfig({}, { SPICE_API_TOKEN: "secret" });
      throw new Error("expected a ConfigError");
    } catch (err) {
      expect(String(err)).not.toContain("secret");
    }
  });

  test("non-loopback hosts need a token", () => {
    expect(() => assertServable(loadConfig({ host: "0.0.0.0" }, {}))).toThrow(/non-loopback/);
    expect(() => assertServable(loadConfig({ host: "0.0.0.0", apiToken: "0123456789abcdef" }, {}))).not.toThrow();
    for (const host of ["127.0.0.1", "localhost", "::1", "127.0.0.2"]) {
      expect(() => assertServable(loadConfig({ host }, {}))).not.toThrow();
    }
  });
});
