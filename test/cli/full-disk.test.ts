// Output files that fill the disk on the way (/dev/full answers every write with ENOSPC). A
// histogram file that failed mid-run left `movr run` waiting for a "close" that had already
// happened: the process exited 13, with no summary, no report and no word of why.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runMovr } from "./support.ts";

const dataDir = mkdtempSync(path.join(tmpdir(), "movr-full-disk-"));
const env = { MOVR_DATA_DIR: dataDir, MOVR_EMBEDDED_SQL_PORT: "off" };

beforeAll(async () => {
  const load = await runMovr(
    ["load", "--city", "boston", "--num-users", "20", "--num-vehicles", "10", "--num-rides", "20"],
    env,
  );
  expect(load.code, load.stderr).toBe(0);
}, 120_000);

describe("an output file on a full disk", () => {
  it("movr run --histograms: the summary, the report, then one line saying the file is short, exit 1", async () => {
    const report = path.join(dataDir, "run.html");
    const r = await runMovr(
      ["run", "--duration", "1500ms", "--concurrency", "1", "--histograms", "/dev/full", "--report", report],
      env,
    );
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/^Errors by SQLSTATE: none\.$/m);
    const lines = r.stderr.trim().split("\n");
    expect(lines).toContain(`Report (open it in a browser): ${report}`);
    expect(lines.at(-1)).toBe(
      'movr: Cannot write the histogram file "/dev/full": the disk is full (ENOSPC); it stops short of the run, whose summary above is whole.',
    );
    expect(r.stderr).not.toContain("Histograms (one line");
  }, 120_000);

  it("movr run --report: one line naming the problem in words, exit 1", async () => {
    const run = await runMovr(
      ["run", "--duration", "500ms", "--concurrency", "1", "--report", "/dev/full"],
      env,
    );
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr.trim().split("\n").at(-1)).toBe(
      'movr: Cannot write the report "/dev/full": the disk is full (ENOSPC).',
    );
  }, 120_000);
});
