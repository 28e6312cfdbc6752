import { describe, expect, test } from "bun:test";
import { formatDuration, iterationLine, Pace, Progress } from "./progress.ts";

function sink(isTTY: boolean) {
  const out: string[] = [];
  return { isTTY, out, write: (s: string) => out.push(s) };
}

describe("readable progress", () => {
  test("durations read as a person would say them", () => {
    expect(formatDuration(42.4)).toBe("42s");
    expect(formatDuration(9 * 60 + 10)).toBe("9m");
    expect(formatDuration(3600 + 4 * 60)).toBe("1h 04m");
    expect(formatDuration(50 * 3600)).toBe("2d 2h");
    expect(formatDuration(Number.NaN)).toBe("?");
  });

  test("the per-iteration line of spice train", () => {
    const metrics = { "challenger.valid_rate": 0.62, "reasoner.accuracy": 0.41, "pass_rate.mean": 0.47 };
    expect(iterationLine({ iteration: 12, iterations: 180, metrics, secondsPerIteration: 3.1 })).toBe(
      "iteration 12/180 · valid 0.62 · reasoner acc 0.41 · p̂ 0.47 · 3.1 s/it · ETA 9m",
    );
    expect(
      iterationLine({ iteration: 1, iterations: 5, metrics: { "learner.loss": 0.0312 }, secondsPerIteration: null }),
    ).toBe("iteration 1/5 · valid – · reasoner acc – · p̂ – · loss 0.031");
  });

  test("pace follows the recent window", () => {
    const p = new Pace(2);
    expect(p.perUnit()).toBeNull();
    p.add(0, 0);
    p.add(1, 10_000);
    expect(p.perUnit()).toBe(10);
    p.add(2, 12_000);
    p.add(3, 14_000);
    expect(p.perUnit()).toBe(2);
  });

  test("a terminal gets one bar redrawn in place with its ETA; a log gets plain lines", () => {
    const tty = sink(true);
    const bar = new Progress("eval", 4, { stream: tty });
    bar.update(1, "items");
    bar.update(4, "items");
    bar.finish();
    expect(tty.out[0]).toStartWith("\r\x1b[Kspice: eval [");
    expect(tty.out.at(-2)).toContain("100% 4/4 · items");
    expect(tty.out.at(-1)).toBe("\n");

    const log = sink(false);
    const plain = new Progress("ingest", 2_000_000, { stream: log, plainEveryMs: 0, unit: (n) => `${n / 1e6} MB` });
    plain.update(1_000_000, "3 documents");
    plain.log("spice: a warning");
    plain.update(2_000_000);
    plain.finish();
    expect(log.out.join("")).not.toContain("\x1b");
    expect(log.out[0]).toMatch(/^spice: ingest \[#{12}\.{12}\] 50% 1 MB\/2 MB · 3 documents · ETA \d+s\n$/);
    expect(log.out[1]).toBe("spice: a warning\n");
    expect(log.out[2]).toStartWith("spice: ingest [########################] 100% 2 MB/2 MB");
  });
});
