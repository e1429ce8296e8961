// The report's numbers (report.model.ts) from histogram files: totals and per-tick percentiles are
// HdrHistogram's over the same values, errors and retries come from MovR's extra key, a
// CockroachDB file (without it) still makes a report, and runs compare as ratios.
import { build } from "hdr-histogram-js";
import { describe, expect, it } from "vitest";
import {
  decodeHistogramFile,
  encodeTick,
  HdrLayout,
  HISTOGRAM_LAYOUT,
  TickHistogram,
  type SnapshotTick,
} from "../../src/workload/histogram-file.ts";
import { renderReportHtml } from "../../src/workload/report.html.ts";
import {
  buildRunReport,
  compareRuns,
  comparisonLines,
  RunReportBuilder,
} from "../../src/workload/report.model.ts";
import { Rng } from "../../src/workload/random.ts";

const reference = () =>
  build({
    lowestDiscernibleValue: HISTOGRAM_LAYOUT.lowestNs,
    highestTrackableValue: HISTOGRAM_LAYOUT.highestNs,
    numberOfSignificantValueDigits: HISTOGRAM_LAYOUT.significantFigures,
  });

const START = Date.UTC(2026, 0, 1);

/** A file of `seconds` ticks of two operations; `scale` multiplies latencies, `rate` the ops. */
function runFile(seconds: number, scale: number, rate: number, movr: boolean): string {
  const lines: string[] = [];
  for (let s = 1; s <= seconds; s++) {
    const now = new Date(START + s * 1000).toISOString();
    for (const [name, n] of [
      ["readVehicles", 100 * rate],
      ["addUser", 10 * rate],
    ] as const) {
      const tick = new TickHistogram();
      // Evenly spread from 1 to 10 ms (times `scale`).
      for (let i = 0; i < n; i++) tick.record(Math.round((1 + (9 * (i + 0.5)) / n) * 1e6 * scale));
      const t: SnapshotTick = { Name: name, Hist: tick.take(), Elapsed: 1e9, Now: now };
      if (movr) {
        t.MovR = {
          ...(name === "addUser" && s === 2 ? { Errors: { "40001": 2, "57P01": 1 } } : {}),
          ...(name === "readVehicles" ? { Retries: s } : {}),
        };
      }
      lines.push(encodeTick(t));
    }
  }
  return `${lines.join("\n")}\n`;
}

describe("report model", () => {
  it("totals and per-tick percentiles are HdrHistogram's over the same values", () => {
    const rng = new Rng(3);
    const whole = reference();
    const lines: string[] = [];
    const perTick: number[] = [];
    for (let s = 1; s <= 3; s++) {
      const tick = new TickHistogram();
      const one = reference();
      for (let i = 0; i < 500; i++) {
        const ns = Math.round(Math.exp(12 + rng.next() * 8));
        tick.record(ns);
        one.recordValue(ns);
        whole.recordValue(ns);
      }
      perTick.push(Number((one.getValueAtPercentile(99) / 1e6).toFixed(3)));
      lines.push(
        encodeTick({
          Name: "readVehicles",
          Hist: tick.take(),
          Elapsed: 2e9,
          Now: new Date(START + s * 2000).toISOString(),
        }),
      );
    }
    const run = buildRunReport("a", decodeHistogramFile(lines.join("\n")));
    expect(run.t).toEqual([2, 4, 6]);
    expect(run.elapsedS).toBe(6);
    const t = run.total.totals;
    expect(t.ops).toBe(1500);
    expect(t.opsPerSec).toBe(250);
    // In ms with 3 decimals, as `movr run` reports them (run.report.ts).
    const ms = (ns: number) => Number((ns / 1e6).toFixed(3));
    expect(t.p50Ms).toBe(ms(whole.getValueAtPercentile(50)));
    expect(t.p99Ms).toBe(ms(whole.getValueAtPercentile(99)));
    expect(t.pMaxMs).toBe(ms(whole.getValueAtPercentile(100)));
    expect(run.operations[0]!.opsPerSec).toEqual([250, 250, 250]);
    expect(run.operations[0]!.p99Ms).toEqual(perTick);
    // The distribution's shares add up to all the operations.
    const shares = run.total.distribution.percent.reduce((a, b) => a + b, 0);
    expect(shares).toBeCloseTo(100, 1);
  });

  it("errors by SQLSTATE and retries come from MovR's key; a file without it has none", () => {
    const run = buildRunReport("movr", decodeHistogramFile(runFile(3, 1, 1, true)));
    expect(run.hasMovrFields).toBe(true);
    expect(run.retries).toEqual([1, 2, 3]);
    expect(run.retriesTotal).toBe(6);
    const addUser = run.operations.find((o) => o.name === "addUser")!;
    expect(addUser.errors).toEqual({ "40001": [0, 2, 0], "57P01": [0, 1, 0] });
    expect(addUser.totals.errors).toBe(3);
    expect(run.total.totals.errorsByState).toEqual({ "40001": 2, "57P01": 1 });

    const plain = buildRunReport("cockroach", decodeHistogramFile(runFile(3, 1, 1, false)));
    expect(plain.hasMovrFields).toBe(false);
    expect(plain.retriesTotal).toBe(0);
    expect(plain.total.totals.ops).toBe(330);
  });

  it("compares each run with the first: ops/s, p50 and p99 ratios per operation and in total", () => {
    const a = buildRunReport("a.json", decodeHistogramFile(runFile(3, 1, 1, true)));
    const b = buildRunReport("b.json", decodeHistogramFile(runFile(3, 2, 2, true)));
    const [c] = compareRuns([a, b]);
    expect(c!.baseline).toBe("a.json");
    expect(c!.rows.map((r) => r.name)).toEqual(["readVehicles", "addUser", "total"]);
    for (const r of c!.rows) {
      expect(r.opsPerSec).toBe(2);
      // Twice the latency (within HdrHistogram's 3 significant figures, and ranks of 10 or 20 values).
      expect(r.p50).toBeGreaterThan(1.9);
      expect(r.p50).toBeLessThan(2.1);
      expect(r.p99).toBeGreaterThan(1.9);
      expect(r.p99).toBeLessThan(2.1);
    }
    const lines = comparisonLines([c!]);
    expect(lines[0]).toBe("b.json against a.json (ratio: b.json / a.json)");
    expect(lines.at(-1)).toMatch(/^total\s+2\.00\s+\d\.\d\d\s+\d\.\d\d$/);
  });

  it("built as a run goes (movr run --report) or from its file (movr report): the same report", () => {
    const text = runFile(4, 1, 1, true);
    const fromFile = buildRunReport("run", decodeHistogramFile(text));
    const builder = new RunReportBuilder();
    const lines = text.trim().split("\n");
    for (let i = 0; i < lines.length; i += 2) {
      builder.add(lines.slice(i, i + 2).map((l) => JSON.parse(l) as SnapshotTick));
    }
    expect(builder.build("run")).toEqual(fromFile);
  });

  it("an operation missing from some seconds has gaps there, not zeros", () => {
    const lines = runFile(3, 1, 1, false)
      .trim()
      .split("\n")
      .filter((l, i) => !(i === 1 || i === 5)); // addUser's first and third seconds
    const run = buildRunReport("gaps", decodeHistogramFile(lines.join("\n")));
    const addUser = run.operations.find((o) => o.name === "addUser")!;
    expect(addUser.opsPerSec).toEqual([null, 10, null]);
    expect(addUser.p50Ms[0]).toBeNull();
    expect(run.total.opsPerSec).toEqual([100, 110, 100]);
  });

  it("a file as CockroachDB writes it (1 significant figure, Now with nanoseconds and an offset) reads as HdrHistogram would", () => {
    // CockroachDB's workload records with 1 significant figure (pkg/workload/histogram: sigFigs).
    const layout = new HdrLayout(1, 100e9, 1);
    const hdr = build({
      lowestDiscernibleValue: 1,
      highestTrackableValue: 100e9,
      numberOfSignificantValueDigits: 1,
    });
    const rng = new Rng(5);
    const lines: string[] = [];
    for (let second = 1; second <= 3; second++) {
      const counts: number[] = [];
      for (let i = 0; i < 300; i++) {
        const ns = Math.round(Math.exp(13 + rng.next() * 7));
        hdr.recordValue(ns);
        const at = layout.indexOf(ns);
        while (counts.length <= at) counts.push(0);
        counts[at]! += 1;
      }
      lines.push(
        JSON.stringify({
          Name: "kv",
          Hist: {
            LowestTrackableValue: 1,
            HighestTrackableValue: 100e9,
            SignificantFigures: 1,
            Counts: counts,
          },
          Elapsed: 1_000_123_456,
          Now: `2026-01-01T01:00:0${second}.123456789+01:00`,
        }),
      );
    }
    const run = buildRunReport("cockroach.json", decodeHistogramFile(lines.join("\n")));
    expect(run.hasMovrFields).toBe(false);
    expect(run.t).toEqual([1, 2, 3]);
    const ms = (ns: number) => Number((ns / 1e6).toFixed(3));
    expect(run.total.totals.ops).toBe(900);
    expect(run.total.totals.p50Ms).toBe(ms(hdr.getValueAtPercentile(50)));
    expect(run.total.totals.p99Ms).toBe(ms(hdr.getValueAtPercentile(99)));
    expect(run.total.totals.pMaxMs).toBe(ms(hdr.getValueAtPercentile(100)));
  });

  it("SQLSTATE keys named like Object's own properties count as any other and change no prototype", () => {
    const [first, ...rest] = runFile(2, 1, 1, false).trim().split("\n");
    const tick = JSON.parse(first!) as SnapshotTick;
    // Written as JSON text: "__proto__" is then an own key, as JSON.parse makes it from a file.
    const line = JSON.stringify(tick).replace(
      /}$/,
      ',"MovR":{"Errors":{"__proto__":3,"constructor":1,"toString":2}}}',
    );
    const run = buildRunReport("odd", decodeHistogramFile([line, ...rest].join("\n")));
    expect(Object.entries(run.total.totals.errorsByState)).toEqual([
      ["__proto__", 3],
      ["constructor", 1],
      ["toString", 2],
    ]);
    expect(run.total.totals.errors).toBe(6);
    const readVehicles = run.operations.find((o) => o.name === "readVehicles")!;
    expect(Object.entries(readVehicles.errors)).toEqual([
      ["__proto__", [3, 0]],
      ["constructor", [1, 0]],
      ["toString", [2, 0]],
    ]);
    expect(({} as Record<string, unknown>)[0]).toBeUndefined();
  });

  it("a run without operations of a kind has no latency ratio for it (not 0.00)", () => {
    const a = buildRunReport("a.json", decodeHistogramFile(runFile(2, 1, 1, true)));
    const none = runFile(2, 1, 1, true)
      .trim()
      .split("\n")
      .map((l) => {
        const t = JSON.parse(l) as SnapshotTick;
        if (t.Name === "addUser") t.Hist.Counts = [];
        return encodeTick(t);
      })
      .join("\n");
    const b = buildRunReport("b.json", decodeHistogramFile(none));
    const row = compareRuns([a, b])[0]!.rows.find((r) => r.name === "addUser")!;
    expect(row).toEqual({ name: "addUser", opsPerSec: 0, p50: null, p99: null });
    // And the other way round: nothing to divide by.
    const back = compareRuns([b, a])[0]!.rows.find((r) => r.name === "addUser")!;
    expect(back).toEqual({ name: "addUser", opsPerSec: null, p50: null, p99: null });
  });

  it("refuses what is not a histogram file, naming the line", () => {
    for (const bad of ["null", "5", '"x"', "[]", '{"Name":"x","Hist":{"Counts":[]},"Elapsed":1}']) {
      expect(() => decodeHistogramFile(bad), bad).toThrow("line 1 is not a histogram tick");
    }
    expect(() => buildRunReport("empty", decodeHistogramFile("\n\n"))).toThrow("no histogram ticks");
  });

  it("the HTML carries its data, escaped, and the chart library's licence", () => {
    const run = buildRunReport("<b>&run</b>.json", decodeHistogramFile(runFile(2, 1, 1, true)));
    const html = renderReportHtml([run], [], {
      script: "window.uPlot = function () {};",
      style: ".u{}",
      license: "MIT licence text",
    });
    expect(html).toContain("&lt;b&gt;&amp;run&lt;/b&gt;.json");
    expect(html).not.toContain("<b>&run</b>");
    expect(html).toContain("MIT licence text");
    const data = /<script id="report-data" type="application\/json">(.*?)<\/script>/s.exec(html)![1]!;
    expect(data).not.toContain("<");
    expect((JSON.parse(data) as { runs: { label: string }[] }).runs[0]!.label).toBe("<b>&run</b>.json");
    expect(html).not.toMatch(/\b(src|href)=/);
  });
});
