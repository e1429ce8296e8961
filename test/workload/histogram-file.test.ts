// The histogram file (`movr run --histograms`, CockroachDB's SnapshotTick lines): the counts
// layout is HdrHistogram's, so decoding gives exactly the percentiles hdr-histogram-js (what
// `movr run` prints) reports for the same values.
import { build } from "hdr-histogram-js";
import { describe, expect, it } from "vitest";
import {
  decodeHistogramFile,
  encodeTick,
  HISTOGRAM_LAYOUT,
  mergeTicks,
  TickHistogram,
} from "../../src/workload/histogram-file.ts";
import { Rng } from "../../src/workload/random.ts";

describe("histogram file", () => {
  it("decodes to the counts and percentiles of hdr-histogram-js over the same values", () => {
    const reference = build({
      lowestDiscernibleValue: HISTOGRAM_LAYOUT.lowestNs,
      highestTrackableValue: HISTOGRAM_LAYOUT.highestNs,
      numberOfSignificantValueDigits: HISTOGRAM_LAYOUT.significantFigures,
    });
    const rng = new Rng(11);
    const tick = new TickHistogram();
    const lines: string[] = [];
    for (let second = 1; second <= 5; second++) {
      for (let i = 0; i < 20_000; i++) {
        // 1 µs to about 3 hours, log-uniform: every bucket of the layout, and the clamp.
        const ns = Math.round(Math.exp(7 + rng.next() * 23));
        reference.recordValue(Math.min(ns, HISTOGRAM_LAYOUT.highestNs));
        tick.record(ns);
      }
      lines.push(
        encodeTick({
          Name: "readVehicles",
          Hist: tick.take(),
          Elapsed: 1e9,
          Now: new Date(Date.UTC(2026, 0, 1, 0, 0, second)).toISOString(),
        }),
      );
    }
    const first = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(Object.keys(first)).toEqual(["Name", "Hist", "Elapsed", "Now"]);
    expect(Object.keys(first.Hist as object)).toEqual([
      "LowestTrackableValue",
      "HighestTrackableValue",
      "SignificantFigures",
      "Counts",
    ]);
    const decoded = decodeHistogramFile(`${lines.join("\n")}\n`);
    expect([...decoded.keys()]).toEqual(["readVehicles"]);
    const merged = mergeTicks(decoded.get("readVehicles")!)!;
    expect(merged.total).toBe(reference.totalCount);
    for (const p of [0, 0.1, 1, 10, 50, 90, 95, 99, 99.9, 100]) {
      expect(merged.valueAtPercentile(p), `p${p}`).toBe(reference.getValueAtPercentile(p));
    }
  });

  it("small counts: the same rank rule as hdr-histogram-js (p95 of 13 values is the 13th)", () => {
    for (const n of [1, 2, 3, 13, 20, 101]) {
      const reference = build({
        lowestDiscernibleValue: HISTOGRAM_LAYOUT.lowestNs,
        highestTrackableValue: HISTOGRAM_LAYOUT.highestNs,
        numberOfSignificantValueDigits: HISTOGRAM_LAYOUT.significantFigures,
      });
      const tick = new TickHistogram();
      for (let i = 1; i <= n; i++) {
        reference.recordValue(i * 1_234_567);
        tick.record(i * 1_234_567);
      }
      const merged = mergeTicks([
        { Name: "x", Hist: tick.take(), Elapsed: 1e9, Now: "2026-01-01T00:00:00Z" },
      ])!;
      for (const p of [0, 50, 90, 95, 99, 100]) {
        expect(merged.valueAtPercentile(p), `n ${n} p${p}`).toBe(reference.getValueAtPercentile(p));
      }
    }
  });

  it("refuses a line that is not a tick, naming it", () => {
    expect(() => decodeHistogramFile('{"Name":"x"}\n')).toThrow("line 1 is not a histogram tick");
    expect(() => decodeHistogramFile("\nnot json\n")).toThrow("line 2 is not JSON");
  });
});
