// The workload report: one HTML file with everything inline (uPlot's script and style, the
// report's data and the code that draws it), so it opens offline from a disk or a mail. Tables
// (settings, totals, errors, comparison) are plain HTML; charts are uPlot canvases drawn from
// the embedded data. Pure: the caller passes uPlot's files (ADR 017: why uPlot).
import type { RunSettings } from "./histogram-file.ts";
import type { Comparison, OperationTotals, RunReport } from "./report.model.ts";

export interface ChartLibrary {
  /** uPlot's IIFE build (defines the global uPlot). */
  script: string;
  style: string;
  /** Its licence text (MIT: the notice goes with every copy, so with every report). */
  license: string;
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

/** Text safe inside a <script> element: no "</script", no "<!--". */
const scriptText = (s: string) => s.replace(/<(?=\/script|!--)/gi, "\\x3C");
const jsonInScript = (value: unknown) => JSON.stringify(value).replace(/</g, "\\u003c");

/** ms and ops/s as the terminal prints them (one decimal), so the two can be compared. */
const f1 = (n: number) => n.toFixed(1);
const int = (n: number) => String(Math.round(n));

function settingsRows(runs: readonly RunReport[]): string {
  const row = (label: string, value: (s: RunSettings) => string) =>
    `<tr><th scope="row">${label}</th>${runs
      .map((r) => `<td>${r.settings ? escapeHtml(value(r.settings)) : "not recorded"}</td>`)
      .join("")}</tr>`;
  return [
    row("database", (s) => s.database),
    row("concurrency", (s) => `${s.concurrency} workers`),
    row(
      "mix",
      (s) =>
        `${s.readPercent}% reads; writes: ${Object.entries(s.writeMix)
          .map(([op, p]) => `${op} ${Math.round(p * 100)}%`)
          .join(", ")}, else endRide`,
    ),
    row("cities", (s) => s.cities.join(", ")),
    row("duration", (s) => (s.durationMs > 0 ? `${s.durationMs / 1000} s` : "until interrupted")),
    row("max rate", (s) => (s.maxRate > 0 ? `${s.maxRate} ops/s` : "no limit")),
    row("follower reads", (s) => (s.followerReads ? "yes" : "no")),
    row("seed", (s) => String(s.seed)),
    row("MovR version", (s) => s.movrVersion),
    row("started", (s) => s.startedAt),
  ].join("\n");
}

function totalsTable(run: RunReport, index: number): string {
  const row = (name: string, t: OperationTotals) =>
    `<tr data-op="${escapeHtml(name)}"><th scope="row">${escapeHtml(name)}</th><td data-key="errors">${run.hasMovrFields ? int(t.errors) : "-"}</td><td data-key="ops">${int(t.ops)}</td><td data-key="opsPerSec">${f1(t.opsPerSec)}</td><td data-key="p50Ms">${f1(t.p50Ms)}</td><td data-key="p95Ms">${f1(t.p95Ms)}</td><td data-key="p99Ms">${f1(t.p99Ms)}</td><td data-key="pMaxMs">${f1(t.pMaxMs)}</td></tr>`;
  return `<table class="totals" data-run="${index}">
<caption>${escapeHtml(run.label)}: ${f1(run.elapsedS)} s${run.hasMovrFields ? `, ${int(run.retriesTotal)} transaction retries` : ""}</caption>
<thead><tr><th scope="col">operation</th><th scope="col">errors</th><th scope="col">ops (total)</th><th scope="col">ops/s</th><th scope="col">p50 (ms)</th><th scope="col">p95 (ms)</th><th scope="col">p99 (ms)</th><th scope="col">pMax (ms)</th></tr></thead>
<tbody>
${run.operations.map((op) => row(op.name, op.totals)).join("\n")}
${row("total", run.total.totals).replace("<tr ", '<tr class="total" ')}
</tbody></table>`;
}

function errorsLine(run: RunReport): string {
  if (!run.hasMovrFields)
    return `<p>${escapeHtml(run.label)}: errors and retries not recorded in this file.</p>`;
  const states = Object.entries(run.total.totals.errorsByState);
  return `<p class="errors" data-run-label="${escapeHtml(run.label)}">${escapeHtml(run.label)}: errors by SQLSTATE: ${
    states.length === 0 ? "none" : states.map(([s, n]) => `${escapeHtml(s)} ${n}`).join(", ")
  }.</p>`;
}

function comparisonTable(c: Comparison): string {
  const cell = (r: number | null) => `<td>${r === null ? "-" : r.toFixed(2)}</td>`;
  return `<table class="comparison">
<caption>${escapeHtml(c.run)} against ${escapeHtml(c.baseline)} (ratio ${escapeHtml(c.run)} / ${escapeHtml(c.baseline)})</caption>
<thead><tr><th scope="col">operation</th><th scope="col">ops/s</th><th scope="col">p50</th><th scope="col">p99</th></tr></thead>
<tbody>
${c.rows.map((r) => `<tr data-op="${escapeHtml(r.name)}"><th scope="row">${escapeHtml(r.name)}</th>${cell(r.opsPerSec)}${cell(r.p50)}${cell(r.p99)}</tr>`).join("\n")}
</tbody></table>`;
}

/** The sections (total first, then each operation any run has) and their charts. */
function sectionNames(runs: readonly RunReport[]): string[] {
  const names: string[] = ["total"];
  for (const r of runs) for (const op of r.operations) if (!names.includes(op.name)) names.push(op.name);
  return names;
}

const CHARTS = [
  ["throughput", "ops/s"],
  ["latency", "latency over time: p50, p95, p99, max (ms)"],
  ["distribution", "latency distribution (% of operations per bin, ms)"],
  ["errors", "errors by SQLSTATE per second"],
] as const;

const STYLE = `
:root { color-scheme: light; font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
body { margin: 0 auto; max-width: 1240px; padding: 16px; color: #1b1f24; }
h1 { font-size: 1.5rem; margin: 0 0 4px; }
h2 { font-size: 1.2rem; margin: 28px 0 8px; border-bottom: 1px solid #d0d7de; padding-bottom: 4px; }
table { border-collapse: collapse; margin: 8px 0 16px; font-variant-numeric: tabular-nums; }
caption { text-align: left; font-weight: 600; padding: 4px 0; }
th, td { border: 1px solid #d0d7de; padding: 3px 8px; text-align: right; }
th[scope="row"], th[scope="col"]:first-child { text-align: left; }
tr.total { font-weight: 600; }
table.settings td { text-align: left; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(540px, 100%), 1fr)); gap: 12px 20px; }
.chart h3 { font-size: .9rem; font-weight: 600; margin: 4px 0; }
.note { color: #57606a; font-size: .9rem; }
`;

/** Draws every chart from the embedded data; runs in the browser (no modules, no network). */
const CLIENT = String.raw`
(function () {
  var data = JSON.parse(document.getElementById("report-data").textContent);
  var runs = data.runs;
  var PALETTE = ["#0969da", "#cf222e", "#1a7f37", "#8250df", "#bc4c00", "#1b7c83", "#6e7781"];
  var DASH = [[], [8, 4], [3, 3], [1, 3], [12, 3, 3, 3]];
  var many = runs.length > 1;
  function color(run, k) { return many ? PALETTE[run % PALETTE.length] : PALETTE[k % PALETTE.length]; }
  function dash(run, k) { return many ? DASH[k % DASH.length] : []; }
  function label(run, what) { return many ? runs[run].label + " " + what : what; }
  function series(name) {
    return runs.map(function (r) {
      if (name === "total") return r.total;
      return r.operations.find(function (o) { return o.name === name; }) || null;
    });
  }
  function width(el) { return Math.max(320, Math.min(el.clientWidth || 560, 1200)); }
  function plot(el, opts, tables) {
    var joined = tables.length === 1 ? tables[0] : uPlot.join(tables);
    opts.width = width(el);
    opts.height = 240;
    opts.legend = { live: false };
    opts.cursor = { drag: { x: true, y: false } };
    var u = new uPlot(opts, joined, el);
    el.__uplot = u;
    return u;
  }
  var timeAxis = { scale: "x", label: "seconds since the start" };
  // From 0 up (a little below for counts, so that a line at 0 shows above the axis).
  function fromZero(pad) {
    return function (u, min, max) { var top = Math.max(max || 0, 1) * 1.05; return [pad ? -top * 0.03 : 0, top]; };
  }
  function timeline(name, el, pick, labels, yLabel, pad) {
    var ss = series(name), tables = [], ser = [{ label: "s" }];
    ss.forEach(function (s, i) {
      if (!s) return;
      var cols = pick(s, runs[i]);
      tables.push([runs[i].t].concat(cols));
      cols.forEach(function (_, k) {
        var what = labels(runs[i])[k];
        // Retries dashed, so that errors at the same count show through.
        ser.push({ label: label(i, what), stroke: color(i, k), dash: what === "retries" && !many ? [6, 4] : dash(i, k), width: 1.5, spanGaps: true });
      });
    });
    plot(el, { scales: { x: { time: false }, y: { range: fromZero(pad) } }, axes: [timeAxis, { label: yLabel }], series: ser }, tables);
  }
  var draw = {
    throughput: function (name, el) {
      timeline(name, el, function (s) { return [s.opsPerSec]; }, function () { return ["ops/s"]; }, "ops/s");
    },
    latency: function (name, el) {
      timeline(name, el, function (s) { return [s.p50Ms, s.p95Ms, s.p99Ms, s.pMaxMs]; },
        function () { return ["p50", "p95", "p99", "max"]; }, "ms");
    },
    errors: function (name, el) {
      timeline(name, el, function (s, r) {
        var states = Object.keys(s.errors).sort();
        var cols = states.map(function (k) { return s.errors[k]; });
        if (cols.length === 0) cols.push(r.t.map(function () { return 0; }));
        if (name === "total") cols.push(r.retries);
        return cols;
      }, function (r) {
        var s = name === "total" ? r.total : r.operations.find(function (o) { return o.name === name; });
        var states = Object.keys(s.errors).sort();
        var labels = states.length ? states.map(function (k) { return "errors " + k; }) : ["errors"];
        if (name === "total") labels.push("retries");
        return labels;
      }, "per second", true);
    },
    distribution: function (name, el) {
      var ss = series(name), tables = [], ser = [{ label: "ms" }];
      ss.forEach(function (s, i) {
        if (!s) return;
        var d = s.distribution;
        tables.push(d.binMs.length ? [d.binMs, d.percent] : [[1], [0]]);
        ser.push({ label: label(i, "% of operations"), stroke: color(i, 0), width: 1.5, spanGaps: true, paths: uPlot.paths.stepped({ align: 1 }), points: { show: false } });
      });
      plot(el, { scales: { x: { time: false, distr: 3 }, y: { range: fromZero(false) } }, axes: [{ label: "latency (ms, log scale)" }, { label: "% of operations" }], series: ser }, tables);
    }
  };
  document.querySelectorAll(".chart[data-chart]").forEach(function (box) {
    var el = box.querySelector(".plot");
    draw[box.dataset.chart](box.dataset.section, el);
  });
  window.addEventListener("resize", function () {
    document.querySelectorAll(".plot").forEach(function (el) {
      if (el.__uplot) el.__uplot.setSize({ width: width(el), height: 240 });
    });
  });
  document.body.dataset.rendered = "true";
})();
`;

/** The whole report as one HTML document. */
export function renderReportHtml(
  runs: readonly RunReport[],
  comparisons: readonly Comparison[],
  chart: ChartLibrary,
): string {
  const title = runs.length === 1 ? `MovR workload report: ${runs[0]!.label}` : "MovR workload comparison";
  const sections = sectionNames(runs)
    .map(
      (name) => `<section data-section="${escapeHtml(name)}">
<h2>${name === "total" ? "All operations" : escapeHtml(name)}</h2>
<div class="grid">
${CHARTS.map(
  ([kind, heading]) =>
    `<div class="chart" data-chart="${kind}" data-section="${escapeHtml(name)}"><h3>${kind === "errors" && name === "total" ? "errors by SQLSTATE and transaction retries per second" : heading}</h3><div class="plot"></div></div>`,
).join("\n")}
</div>
</section>`,
    )
    .join("\n");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${scriptText(chart.style)}</style>
<style>${STYLE}</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<p class="note">Latencies are of successful operations. Every number comes from the histogram file${runs.length > 1 ? "s" : ""} (CockroachDB's <code>--histograms</code> format).</p>
<h2>Settings</h2>
<table class="settings"><thead><tr><th scope="col">run</th>${runs.map((r) => `<th scope="col">${escapeHtml(r.label)}</th>`).join("")}</tr></thead>
<tbody>
${settingsRows(runs)}
</tbody></table>
<h2>Totals</h2>
${runs.map((r, i) => totalsTable(r, i)).join("\n")}
${runs.map(errorsLine).join("\n")}
${comparisons.length > 0 ? `<h2>Comparison</h2>\n${comparisons.map(comparisonTable).join("\n")}` : ""}
${sections}
<script id="report-data" type="application/json">${jsonInScript({ runs })}</script>
<script>/* uPlot, inlined under its licence:
${scriptText(chart.license.replaceAll("*/", "* /"))}
*/
${scriptText(chart.script)}</script>
<script>${CLIENT}</script>
</body>
</html>
`;
}
