import { describe, expect, test } from "bun:test";
import { echoWith, NotAJsonObject, parseObject } from "./echo.ts";

describe("the verbatim echo", () => {
  test("appends the fields after the request's own bytes, formatting of numbers and spacing kept", () => {
    const raw = '{"b": 1.0, "a": [-0.0, 1e-07, 123456789012345678901], "n": null, "s": "\\u00e9"}\n';
    const out = echoWith(raw, parseObject(raw), { reward: 0.5, valid: true, reason: null, skipped: undefined });
    expect(out).toBe(
      '{"b": 1.0, "a": [-0.0, 1e-07, 123456789012345678901], "n": null, "s": "\\u00e9","reward":0.5,"valid":true,"reason":null}\n',
    );
    const parsed = JSON.parse(out);
    expect(Object.keys(parsed)).toEqual(["b", "a", "n", "s", "reward", "valid", "reason"]);
  });

  test("an empty object gets no leading comma; a key the request already has is replaced in place", () => {
    expect(echoWith(" { } ", {}, { reward: 1 })).toBe(' { "reward":1} ');
    const raw = '{"reward": 7, "x": 1}';
    const out = echoWith(raw, parseObject(raw), { reward: 0 });
    expect(Object.entries(JSON.parse(out))).toEqual([
      ["reward", 0],
      ["x", 1],
    ]);
  });

  test("only a JSON object is a body", () => {
    expect(() => parseObject("[1]")).toThrow(NotAJsonObject);
    expect(() => parseObject('{"a":')).toThrow(NotAJsonObject);
    expect(() => parseObject("null")).toThrow(NotAJsonObject);
  });
});
