// The statistics of `npm run bench` (bench/paired.ts): pure functions, no timing here.
import { describe, expect, it } from "vitest";
import {
  compare,
  median,
  pairOrder,
  pairRatios,
  runPaired,
  spread,
  type Measurement,
} from "../../bench/paired.ts";

const m = (rate: number, extra: Record<string, number> = {}): Measurement => ({
  rate,
  ops: rate,
  cpuMs: rate / 2,
  extra,
});

describe("pairOrder", () => {
  it("alternates which side goes first: A B, B A, A B, ...", () => {
    expect(pairOrder(4)).toEqual([
      ["a", "b"],
      ["b", "a"],
      ["a", "b"],
      ["b", "a"],
    ]);
    expect(pairOrder(0)).toEqual([]);
  });
});

describe("median", () => {
  it("takes the middle of an odd count, the mean of the two middles of an even count, unsorted input", () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
    expect(median([])).toBeNaN();
  });

  it("does not reorder its input", () => {
    const values = [3, 1, 2];
    median(values);
    expect(values).toEqual([3, 1, 2]);
  });
});

describe("ratios of pairs", () => {
  it("divides each pair's a by its b, and reports the median with min and max", () => {
    const ratios = pairRatios([90, 100, 50, 80, 120], [100, 100, 100, 100, 100]);
    expect(ratios).toEqual([0.9, 1, 0.5, 0.8, 1.2]);
    expect(spread(ratios)).toEqual({ median: 0.9, min: 0.5, max: 1.2 });
  });

  it("is the median of the ratios, not the ratio of the medians", () => {
    // Medians 20 and 20 (ratio 1), but two of three pairs are 0.5.
    const ratios = pairRatios([10, 20, 30], [20, 40, 10]);
    expect(spread(ratios).median).toBe(0.5);
  });

  it("leaves out a pair whose baseline did nothing, and refuses unpaired samples", () => {
    expect(pairRatios([1, 2], [0, 4])).toEqual([0.5]);
    expect(() => pairRatios([1, 2], [1])).toThrow(/unpaired/);
    expect(spread([])).toEqual({ median: NaN, min: NaN, max: NaN });
  });
});

describe("runPaired", () => {
  it("runs the rounds in pair order and keeps each pair's halves at the same index", async () => {
    const calls: string[] = [];
    const side = (label: string, rates: number[]) => ({
      label,
      measure: async (round: number) => {
        calls.push(`${label}${round}`);
        return m(rates[round]!);
      },
    });
    let between = 0;
    const result = await runPaired(side("a", [10, 20, 30]), side("b", [5, 10, 60]), {
      pairs: 3,
      between: async () => {
        between++;
      },
    });
    expect(calls).toEqual(["a0", "b0", "b1", "a1", "a2", "b2"]);
    expect(between).toBe(6);
    expect(result.a.map((x) => x.rate)).toEqual([10, 20, 30]);
    expect(result.b.map((x) => x.rate)).toEqual([5, 10, 60]);
    const c = compare("t", ["A", "B"], result, "op", [], [{ name: "p99", pick: (x) => x.rate }]);
    expect(c.ratios).toEqual([2, 2, 0.5]);
    expect(c.ratio).toEqual({ median: 2, min: 0.5, max: 2 });
    expect(c.rate).toEqual([20, 10]);
    expect(c.cpuUsPerOp).toEqual([500, 500]);
    expect(c.extraRatios.p99).toEqual({ median: 2, min: 0.5, max: 2 });
    expect(c.lines.join("\n")).toMatch(/ratio A\/B\s+2\.00 \(0\.50–2\.00\)/);
  });
});
