import { describe, expect, test } from "bun:test";
import { ConfigError } from "../config.ts";
import { bindingsOf, DENO_ALLOW_ENV, processBindings, readEdgeSettings } from "./config.ts";

describe("edge settings", () => {
  test("defaults, and values read with the names and rules of spice serve", () => {
    expect(readEdgeSettings({})).toEqual({
      policyUrl: undefined,
      apiToken: undefined,
      logLevel: "info",
      maxBody: 10 * 1024 * 1024,
      policyModel: undefined,
      policyEndpoint: "completions",
      policyApiKey: undefined,
    });
    expect(
      readEdgeSettings({
        SPICE_POLICY_URL: "http://127.0.0.1:8000",
        SPICE_POLICY_MODEL: " Qwen/Qwen3-4B ",
        SPICE_POLICY_ENDPOINT: "chat",
        SPICE_POLICY_API_KEY: "sk-123",
        SPICE_API_TOKEN: "0123456789abcdef",
        SPICE_LOG_LEVEL: "silent",
        SPICE_MAX_BODY: "65536",
        SPICE_DATA_DIR: "ignored on the edge",
      }),
    ).toEqual({
      policyUrl: "http://127.0.0.1:8000",
      policyModel: "Qwen/Qwen3-4B",
      policyEndpoint: "chat",
      policyApiKey: "sk-123",
      apiToken: "0123456789abcdef",
      logLevel: "silent",
      maxBody: 65536,
    });
    // An empty binding is unset (wrangler [vars] placeholders).
    expect(readEdgeSettings({ SPICE_POLICY_URL: "", SPICE_API_TOKEN: "" }).apiToken).toBeUndefined();
  });

  test("a bad value is a ConfigError naming the setting, never echoing a secret", () => {
    const message = (b: Record<string, string>) => {
      try {
        readEdgeSettings(b);
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        return (err as Error).message;
      }
      throw new Error("accepted");
    };
    expect(message({ SPICE_MAX_BODY: "lots" })).toContain("SPICE_MAX_BODY");
    expect(message({ SPICE_POLICY_URL: "ftp://x" })).toContain("SPICE_POLICY_URL");
    expect(message({ SPICE_POLICY_ENDPOINT: "responses" })).toContain("SPICE_POLICY_ENDPOINT");
    const short = message({ SPICE_API_TOKEN: "short-secret" });
    expect(short).toContain("SPICE_API_TOKEN");
    expect(short).not.toContain("short-secret");
  });

  test("a Workers env gives its SPICE_* strings; other bindings and Deno's or Node's second argument give none", () => {
    const kv = { get() {} };
    expect(bindingsOf({ SPICE_API_TOKEN: "t".repeat(16), SPICE_PORT: "1", CACHE: kv, OTHER: "x" })).toEqual({
      SPICE_API_TOKEN: "t".repeat(16),
    });
    expect(bindingsOf({ remoteAddr: { hostname: "127.0.0.1" }, completed: Promise.resolve() })).toBeNull();
    expect(bindingsOf({ incoming: {}, outgoing: {} })).toBeNull();
    expect(bindingsOf(undefined)).toBeNull();
  });

  test("the process environment through Deno.env or process.env; a Deno run without env access is an error", () => {
    expect(processBindings({ process: { env: { SPICE_LOG_LEVEL: "warn", HOME: "/root" } } })).toEqual({
      SPICE_LOG_LEVEL: "warn",
    });
    const deno = (get: (name: string) => string | undefined) => ({ Deno: { env: { get } } });
    expect(processBindings(deno((n) => (n === "SPICE_MAX_BODY" ? "4096" : undefined)))).toEqual({
      SPICE_MAX_BODY: "4096",
    });
    const denied = deno(() => {
      throw new Error('Requires env access to "SPICE_POLICY_URL"');
    });
    expect(() => processBindings(denied)).toThrow(`--allow-env=${DENO_ALLOW_ENV}`);
    expect(processBindings({})).toEqual({});
  });
});
