// `movr report HISTOGRAMS.json... --out FILE.html` and the report of `movr run --report`: reads
// histogram files (CockroachDB's --histograms format, with MovR's extra fields when movr wrote
// them), draws them with src/workload/report.html.ts, and writes one self-contained HTML file.
import { createReadStream } from "node:fs";
import { open, readFile, rm, stat, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { createInterface } from "node:readline";
import { PROJECT_ROOT } from "../config.ts";
import { histogramMoments } from "../workload/histogram-file.ts";
import { renderReportHtml, type ChartLibrary } from "../workload/report.html.ts";
import {
  compareRuns,
  comparisonLines,
  RunReportBuilder,
  type Comparison,
  type RunReport,
} from "../workload/report.model.ts";
import { CliError, UsageError } from "./errors.ts";
import { writeLine, type OutStream } from "./io.ts";
import { fileProblem, isFileError } from "../shared/file-errors.ts";

/** uPlot's browser build and style, from node_modules, to inline in the report. */
export async function readChartLibrary(): Promise<ChartLibrary> {
  const require = createRequire(import.meta.url);
  const script = require.resolve("uplot/dist/uPlot.iife.min.js");
  const [code, style, license] = await Promise.all([
    readFile(script, "utf8"),
    readFile(require.resolve("uplot/dist/uPlot.min.css"), "utf8"),
    readFile(path.join(path.dirname(script), "..", "LICENSE"), "utf8"),
  ]);
  return { script: code, style, license };
}

/** The version in package.json, for the report's settings. */
export async function movrVersion(): Promise<string> {
  const pkg = JSON.parse(await readFile(path.join(PROJECT_ROOT, "package.json"), "utf8")) as {
    version?: string;
  };
  return pkg.version ?? "unknown";
}

/** A database URL fit to show: no password (in the user part or as a parameter). */
export function withoutPassword(url: string): string {
  try {
    const u = new URL(url);
    u.password = "";
    u.searchParams.delete("password");
    return u.toString();
  } catch {
    return url.replace(/\/\/([^:/@]+):[^@]*@/, "//$1@");
  }
}

/**
 * Refuses, before a run, a report path that cannot be written; an existing file is left as it
 * is (opened for appending, nothing written) and a new one is not left behind, so a run that
 * fails before its end costs no earlier report.
 */
export async function checkWritable(file: string, what: string): Promise<void> {
  const existed = await stat(file).then(
    () => true,
    () => false,
  );
  try {
    const handle = await open(file, "a");
    await handle.close();
    if (!existed) await rm(file, { force: true });
  } catch (err) {
    throw new CliError(`Cannot write the ${what} "${file}": ${fileProblem(err)}.`);
  }
}

/** Whether two paths name one file: the same path once resolved, or the same existing file. */
export async function sameFile(a: string, b: string): Promise<boolean> {
  if (path.resolve(a) === path.resolve(b)) return true;
  try {
    const [x, y] = await Promise.all([stat(a), stat(b)]);
    return x.dev === y.dev && x.ino === y.ino;
  } catch {
    return false;
  }
}

async function writeHtml(file: string, html: string): Promise<void> {
  try {
    await writeFile(file, html);
  } catch (err) {
    throw new CliError(`Cannot write the report "${file}": ${fileProblem(err)}.`);
  }
}

/** Draws and writes the report of these runs; returns the comparisons (empty for one run). */
export async function writeReport(file: string, runs: readonly RunReport[]): Promise<Comparison[]> {
  const comparisons = compareRuns(runs);
  await writeHtml(file, renderReportHtml(runs, comparisons, await readChartLibrary()));
  return comparisons;
}

/** The report of the run that just ended (`movr run --report`), built as it went. */
export async function writeRunReport(file: string, label: string, builder: RunReportBuilder): Promise<void> {
  await writeReport(file, [builder.build(label)]);
}

/** Whether an error is the file system's (it names an errno code) rather than the file's content. */

/** A histogram file's report, read a line at a time: a long run's file is larger than a string can be. */
async function readRun(file: string, label: string): Promise<RunReport> {
  const builder = new RunReportBuilder();
  try {
    const input = createReadStream(file, { encoding: "utf8" });
    const lines = createInterface({ input, crlfDelay: Infinity });
    for await (const moment of histogramMoments(lines)) builder.add(moment);
    return builder.build(label);
  } catch (err) {
    if (isFileError(err))
      throw new CliError(`Cannot read the histogram file "${file}": ${fileProblem(err)}.`);
    throw new CliError(`"${file}" is not a histogram file: ${(err as Error).message}.`);
  }
}

/** Short names for the runs: file names, or the paths as given when two share a name. */
function labelsOf(files: readonly string[]): string[] {
  const names = files.map((f) => path.basename(f));
  return names.map((n, i) => (names.indexOf(n) === names.lastIndexOf(n) ? n : files[i]!));
}

/** `movr report`: one run, or several overlaid and compared with the first. */
export async function runReport(files: readonly string[], out: string, stdout: OutStream): Promise<void> {
  for (const file of files) {
    if (await sameFile(file, out)) {
      throw new UsageError(`--out "${out}" is one of the histogram files; the report would replace it.`);
    }
  }
  const labels = labelsOf(files);
  const runs: RunReport[] = [];
  for (const [i, file] of files.entries()) runs.push(await readRun(file, labels[i]!));
  const comparisons = await writeReport(out, runs);
  for (const line of comparisonLines(comparisons)) writeLine(stdout, line);
  writeLine(stdout, `Report (${runs.length === 1 ? "1 run" : `${runs.length} runs`}): ${out}`);
}
