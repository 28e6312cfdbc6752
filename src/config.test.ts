import { describe, expect, test } from "bun:test";
import { createRng } from "./prng.ts";
import { assertServable, ConfigError, loadConfig, tokenWeakness } from "./config.ts";

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

  test("a low-variety SPICE_API_TOKEN is refused with the reason; random tokens pass", () => {
    for (const [token, why] of [
      ["x".repeat(40), /one character repeated/],
      ["aaaaaaaabbbbbbbb", /too little variety \(2 distinct bytes/],
      ["abababababababababababababababab", /too little variety/],
      ["password12345678", /too little variety/],
    ] as const) {
      expect(() => loadConfig({}, { SPICE_API_TOKEN: token })).toThrow(ConfigError);
      expect(() => loadConfig({}, { SPICE_API_TOKEN: token })).toThrow(why);
      expect(() => loadConfig({}, { SPICE_API_TOKEN: token })).toThrow(/SPICE_API_TOKEN \/ --api-token/);
    }
    // 16 distinct characters at the minimum length, and hex / base64 tokens as `openssl rand` writes them.
    expect(tokenWeakness("0123456789abcdef")).toBeNull();
    const rng = createRng(7);
    const pick = (alphabet: string, n: number) =>
      Array.from({ length: n }, () => alphabet[Math.floor(rng.next() * alphabet.length)]).join("");
    for (let i = 0; i < 200; i++) {
      expect(tokenWeakness(pick("0123456789abcdef", 32))).toBeNull();
      expect(tokenWeakness(pick("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", 44))).toBeNull();
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
