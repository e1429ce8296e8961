// The workload report in a real browser, as a user gets it: the real command line runs the
// workload on an embedded database with --histograms and --report, then `movr report` compares two
// runs. Opened from disk in Chromium with every request refused, each report draws every chart
// (the series' colours are on each canvas), logs no error, asks the network for nothing, and
// shows the totals the run printed. Screenshots go to test-artifacts/screenshots/ (the one in
// docs/ is of a longer run on PostgreSQL, docs/workload.md). Chromium is Debian's (CHROMIUM_PATH).
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SUMMARY_HEADER } from "../../src/cli/run.report.ts";
import { PROJECT_ROOT } from "../../src/config.ts";
import { runMovr } from "../cli/support.ts";
import { launchChromium } from "../support/chromium.ts";

const SHOTS = path.join(PROJECT_ROOT, "test-artifacts", "screenshots");
/** The first two colours of the report's palette (report.html.ts): run 1 (or series 1), run 2. */
const BLUE = [9, 105, 218];
const RED = [207, 34, 46];
const GREEN = [26, 127, 55];
const PURPLE = [130, 80, 223];

let dir: string;
let browser: Browser;
let env: Record<string, string>;
type Result = Awaited<ReturnType<typeof runMovr>>;
let runA: Result;
let runB: Result;
let compare: Result;
const file = (name: string) => path.join(dir, name);

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "movr-report-"));
  env = { MOVR_DATA_DIR: file("db") };
  const load = await runMovr(
    ["load", "--num-users", "90", "--num-vehicles", "45", "--num-rides", "90", "--num-histories", "90"],
    env,
  );
  expect(load.code, load.stderr).toBe(0);
  const run = (extra: string[]) =>
    runMovr(["run", "--duration", "3s", "--read-percent", "50", ...extra], env);
  runA = await run(["--histograms", file("a.json"), "--report", file("a.html")]);
  expect(runA.code, runA.stderr).toBe(0);
  runB = await run(["--concurrency", "2", "--seed", "2", "--histograms", file("b.json")]);
  expect(runB.code, runB.stderr).toBe(0);
  compare = await runMovr(["report", file("a.json"), file("b.json"), "--out", file("compare.html")], env);
  expect(compare.code, compare.stderr).toBe(0);
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface Opened {
  page: Page;
  problems: string[];
  requests: string[];
}

/** Opens a report from disk with the network refused; waits until its script has drawn. */
async function open(html: string): Promise<Opened> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
  const url = pathToFileURL(html).href;
  const requests: string[] = [];
  const problems: string[] = [];
  context.on("request", (r) => requests.push(r.url()));
  await context.route("**/*", (route) => (route.request().url() === url ? route.continue() : route.abort()));
  const page = await context.newPage();
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning") problems.push(m.text());
  });
  page.on("pageerror", (e) => problems.push(e.message));
  await page.goto(url);
  await page.locator("body[data-rendered=true]").waitFor({ timeout: 60_000 });
  return { page, problems, requests };
}

interface CanvasCheck {
  section: string;
  chart: string;
  painted: number;
  colours: number[];
}

/** For every chart: its painted pixels, and how many are near each of `colours`. */
function inspectCharts(page: Page, colours: number[][]): Promise<CanvasCheck[]> {
  return page.evaluate((colours) => {
    return Array.from(document.querySelectorAll<HTMLElement>(".chart")).map((box) => {
      const canvas = box.querySelector("canvas");
      const out = {
        section: box.dataset.section!,
        chart: box.dataset.chart!,
        painted: 0,
        colours: colours.map(() => 0),
      };
      if (!canvas || canvas.width === 0) return out;
      const px = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height).data;
      for (let i = 0; i < px.length; i += 4) {
        if (px[i + 3]! === 0) continue;
        out.painted++;
        colours.forEach((c, k) => {
          if (Math.abs(px[i]! - c[0]!) + Math.abs(px[i + 1]! - c[1]!) + Math.abs(px[i + 2]! - c[2]!) < 60) {
            out.colours[k]!++;
          }
        });
      }
      return out;
    });
  }, colours);
}

/** The summary rows `movr run` printed: name → [errors, ops, ops/s, p50, p95, p99, pMax]. */
function printedSummary(stdout: string): Map<string, string[]> {
  const lines = stdout.split("\n");
  const rows = new Map<string, string[]>();
  const from = lines.indexOf(`${SUMMARY_HEADER}__total`);
  expect(from).toBeGreaterThan(0);
  for (const line of lines.slice(from + 1)) {
    if (line.startsWith(SUMMARY_HEADER) || line.trim() === "") continue;
    const cells = line.trim().split(/\s+/);
    if (cells.length !== 10) break;
    const [, errors, ops, opsPerSec, , p50, p95, p99, pMax, name] = cells;
    rows.set(name!, [errors!, ops!, opsPerSec!, p50!, p95!, p99!, pMax!]);
  }
  return rows;
}

describe("the workload report in Chromium", () => {
  it("movr run --report: every chart drawn, offline, no error, the totals the run printed", async () => {
    const lastLines = runA.stderr.trim().split("\n").slice(-2);
    expect(lastLines).toEqual([
      `Histograms (one line per operation per second): ${file("a.json")}`,
      `Report (open it in a browser): ${file("a.html")}`,
    ]);
    const { page, problems, requests } = await open(file("a.html"));
    expect(problems).toEqual([]);
    expect(requests).toEqual([pathToFileURL(file("a.html")).href]);

    const charts = await inspectCharts(page, [BLUE, RED, GREEN, PURPLE]);
    // Four charts for all operations and for each of the eight.
    expect(charts).toHaveLength(4 * 9);
    const opsOf = await page.evaluate(() =>
      Object.fromEntries(
        Array.from(document.querySelectorAll<HTMLElement>("table.totals tbody tr")).map((tr) => [
          tr.dataset.op!,
          Number(tr.querySelector("[data-key=ops]")!.textContent),
        ]),
      ),
    );
    for (const c of charts) {
      expect(c.painted, `${c.section} ${c.chart}`).toBeGreaterThan(2000);
      // A series is drawn (in one of the palette's first colours: a tick with one operation has
      // p50 = p95 = p99 = max, drawn over one another); latencies only exist for an operation
      // that succeeded at least once.
      const drawn = c.colours.reduce((a, b) => a + b, 0);
      if (opsOf[c.section]! > 0 || c.chart === "throughput" || c.chart === "errors") {
        // (A lone point, one operation in one second, is a small circle: a few pixels.)
        expect(drawn, `${c.section} ${c.chart} series`).toBeGreaterThan(4);
      }
      if (c.chart === "throughput") expect(c.colours[0], `${c.section} ops/s`).toBeGreaterThan(20);
    }

    const printed = printedSummary(runA.stdout);
    expect(printed.get("total")).toBeDefined();
    expect(printed.has("readVehicles")).toBe(true);
    const shown = await page.evaluate(() =>
      Array.from(document.querySelectorAll<HTMLElement>("table.totals tbody tr")).map((tr) => [
        tr.dataset.op!,
        ["errors", "ops", "opsPerSec", "p50Ms", "p95Ms", "p99Ms", "pMaxMs"].map(
          (k) => tr.querySelector<HTMLElement>(`[data-key=${k}]`)!.textContent!,
        ),
      ]),
    );
    const byOp = new Map(shown as [string, string[]][]);
    for (const [name, cells] of printed) expect(byOp.get(name), name).toEqual(cells);
    await mkdir(SHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SHOTS, "workload-report.png"), fullPage: true });
    await page.context().close();
  }, 180_000);

  it("movr report a.json b.json: both runs overlaid, the ratios the terminal printed", async () => {
    const out = compare.stdout.trim().split("\n");
    expect(out.at(-1)).toBe(`Report (2 runs): ${file("compare.html")}`);
    expect(out[0]).toBe("b.json against a.json (ratio: b.json / a.json)");
    const terminal = out.slice(2, -1).map((l) => l.trim().split(/\s+/));
    expect(terminal.map((r) => r[0])).toContain("total");

    const { page, problems, requests } = await open(file("compare.html"));
    expect(problems).toEqual([]);
    expect(requests).toHaveLength(1);
    const charts = await inspectCharts(page, [BLUE, RED]);
    const totalThroughput = charts.find((c) => c.section === "total" && c.chart === "throughput")!;
    expect(totalThroughput.colours[0], "run a").toBeGreaterThan(20);
    expect(totalThroughput.colours[1], "run b").toBeGreaterThan(20);
    for (const c of charts) expect(c.painted, `${c.section} ${c.chart}`).toBeGreaterThan(2000);
    const legend = await page.locator(".chart[data-section=total][data-chart=latency] .u-legend").innerText();
    expect(legend).toContain("a.json p99");
    expect(legend).toContain("b.json p99");

    const html = await page.evaluate(() =>
      Array.from(document.querySelectorAll("table.comparison tbody tr")).map((tr) =>
        Array.from(tr.children).map((td) => td.textContent!),
      ),
    );
    expect(html).toEqual(terminal);

    await page.locator("h2", { hasText: "Comparison" }).scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(SHOTS, "workload-report-comparison.png") });
    await page.context().close();
  }, 180_000);
});
