// The histogram file (`movr run --histograms`, CockroachDB's SnapshotTick lines): the counts
// layout is HdrHistogram's, so decoding gives exactly the percentiles hdr-histogram-js (what
// `movr run` prints) reports for the same values.
import { build } from "hdr-histogram-js";
import { describe, expect, it } from "vitest";
import {
  decodeHistogramFile,
  encodeTick,
  HISTOGRAM_LAYOUT,
  histogramMoments,
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

  // A tick written by hand or by another tool: a layout HdrHistogram cannot have, counts that are
  // not counts, or MovR's key with other types, used to hang the report, run it out of memory,
  // print NaN/Infinity/1e+58 ms, or stop on a TypeError. Each is refused, naming line and field.
  const line = (over: Record<string, unknown>, hist: Record<string, unknown> = {}) =>
    JSON.stringify({
      Name: "readVehicles",
      Hist: {
        LowestTrackableValue: HISTOGRAM_LAYOUT.lowestNs,
        HighestTrackableValue: HISTOGRAM_LAYOUT.highestNs,
        SignificantFigures: HISTOGRAM_LAYOUT.significantFigures,
        Counts: [0, 3, 1],
        ...hist,
      },
      Elapsed: 1e9,
      Now: "2026-01-01T00:00:01Z",
      ...over,
    });

  it("reads Now as Go writes time.Time: RFC 3339, nanoseconds and an offset", () => {
    const ticks = decodeHistogramFile(
      `${line({})}\n${line({ Now: "2026-01-01T01:00:02.123456789+01:00" })}\n`,
    );
    expect(ticks.get("readVehicles")).toHaveLength(2);
  });

  it("reads a file that starts with a UTF-8 byte-order mark", () => {
    const ticks = decodeHistogramFile(`\uFEFF${line({})}\n`);
    expect([...ticks.keys()]).toEqual(["readVehicles"]);
  });

  it.each([
    ["SignificantFigures 0", {}, { SignificantFigures: 0 }, "Hist.SignificantFigures"],
    ["SignificantFigures -3", {}, { SignificantFigures: -3 }, "Hist.SignificantFigures"],
    ["SignificantFigures 6", {}, { SignificantFigures: 6 }, "Hist.SignificantFigures"],
    ["SignificantFigures 2.5", {}, { SignificantFigures: 2.5 }, "Hist.SignificantFigures"],
    ["LowestTrackableValue 0", {}, { LowestTrackableValue: 0 }, "Hist.LowestTrackableValue"],
    ["LowestTrackableValue -1", {}, { LowestTrackableValue: -1 }, "Hist.LowestTrackableValue"],
    ["LowestTrackableValue 1e300", {}, { LowestTrackableValue: 1e300 }, "Hist.LowestTrackableValue"],
    ["HighestTrackableValue < 2 x lowest", {}, { HighestTrackableValue: 1500 }, "Hist.HighestTrackableValue"],
    ["a fractional count", {}, { Counts: [0.5, 1.5] }, "Hist.Counts"],
    ["a count past 2^53", {}, { Counts: [1e308, 1e308] }, "Hist.Counts"],
    [
      "more counts than the layout has",
      {},
      { Counts: Array.from({ length: 200_000 }, () => 1) },
      "Hist.Counts",
    ],
    // Date.parse reads "1" as 2001-01-01, "2" as 2001-02-01, and "0002-..." as 2001-02-01: the
    // report's time axis put the ticks a month apart. Go writes time.Time as RFC 3339.
    ["Now a bare number", { Now: "2" }, {}, "Now"],
    ["Now a year", { Now: "2027" }, {}, "Now"],
    ["Now in V8's loose format", { Now: "0002-01-01 00:00:00+0000" }, {}, "Now"],
    ["Now in words", { Now: "Dec 1 2026" }, {}, "Now"],
    ["Now off the calendar", { Now: "2026-02-30T00:00:00Z" }, {}, "Now"],
    ["Now at hour 24", { Now: "2026-01-01T24:00:00Z" }, {}, "Now"],
    ["Now without a zone", { Now: "2026-01-01T00:00:02" }, {}, "Now"],
    ["a negative Elapsed", { Elapsed: -1e9 }, {}, "Elapsed"],
    ["an Elapsed past 2^53 ns", { Elapsed: 1e300 }, {}, "Elapsed"],
    ["MovR null", { MovR: null }, {}, "MovR"],
    ["MovR.Errors a string", { MovR: { Errors: "abc" } }, {}, "MovR.Errors"],
    ["an error count not a count", { MovR: { Errors: { "40001": "lots" } } }, {}, "MovR.Errors"],
    ["a negative error count", { MovR: { Errors: { "40001": -5 } } }, {}, "MovR.Errors"],
    ["MovR.Retries a string", { MovR: { Retries: "7" } }, {}, "MovR.Retries"],
    ["MovR.Settings null", { MovR: { Settings: null } }, {}, "MovR.Settings"],
    [
      "MovR.Settings of other types",
      { MovR: { Settings: { database: 1, cities: "boston" } } },
      {},
      "MovR.Settings",
    ],
  ])("refuses %s, naming the line and the field", (_what, over, hist, field) => {
    const text = `${line({})}\n${line(over, hist)}\n`;
    let message = "";
    try {
      decodeHistogramFile(text);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain("line 2");
    expect(message).toContain(field);
  });

  it("read a line at a time: a moment is the consecutive ticks of one Now, and time goes forward", async () => {
    const at = (s: number, name: string) => line({ Name: name, Now: `2026-01-01T00:00:0${s}Z` });
    async function* lines(text: string) {
      for (const l of text.split("\n")) yield l;
    }
    const moments: string[][] = [];
    for await (const m of histogramMoments(
      lines([at(1, "a"), at(1, "b"), "", at(2, "a"), at(3, "b")].join("\n")),
    )) {
      moments.push(m.map((t) => `${t.Now.slice(17, 19)} ${t.Name}`));
    }
    expect(moments).toEqual([["01 a", "01 b"], ["02 a"], ["03 b"]]);
    const back = [at(2, "a"), at(1, "b")].join("\n");
    await expect(async () => {
      for await (const _ of histogramMoments(lines(back))) void _;
    }).rejects.toThrow("line 2: Now 2026-01-01T00:00:01Z is not after the ticks before it");
  });

  it("takes every layout HdrHistogram's Go readers take, and the highest value's count", () => {
    const tick = new TickHistogram();
    tick.record(HISTOGRAM_LAYOUT.highestNs);
    tick.record(HISTOGRAM_LAYOUT.lowestNs);
    const text = encodeTick({ Name: "x", Hist: tick.take(), Elapsed: 0, Now: "2026-01-01T00:00:01Z" });
    const merged = mergeTicks(decodeHistogramFile(text).get("x")!)!;
    expect(merged.total).toBe(2);
    // CockroachDB's layout (100 µs to 100 s, 1 figure) and the extremes of 1 and 5 figures, each
    // with its last count set (the counts array as long as HdrHistogram makes it).
    for (const [lowest, highest, figures] of [
      [100_000, 100e9, 1],
      [1, 2, 1],
      [1, 2 ** 62, 5],
    ] as const) {
      const reference = build({
        lowestDiscernibleValue: lowest,
        highestTrackableValue: highest,
        numberOfSignificantValueDigits: figures,
      });
      const length = (reference as unknown as { countsArrayLength: number }).countsArrayLength;
      expect(length).toBeGreaterThan(2);
      const counts = Array.from({ length }, (_, i) => (i === length - 1 ? 1 : 0));
      const one = JSON.stringify({
        Name: "x",
        Hist: {
          LowestTrackableValue: lowest,
          HighestTrackableValue: highest,
          SignificantFigures: figures,
          Counts: counts,
        },
        Elapsed: 1e9,
        Now: "2026-01-01T00:00:01Z",
      });
      expect(
        decodeHistogramFile(one).get("x")![0]!.Hist.Counts.length,
        `${lowest} ${highest} ${figures}`,
      ).toBe(length);
    }
  });
});
