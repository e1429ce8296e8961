// When the Python generator's bench (bench/python.bench.ts) runs: only where it was set up by
// hand. Anything missing is a one-line reason to skip, never an install or a download.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { pythonFromEnv } from "../../bench/python.bench.ts";

describe("pythonFromEnv", () => {
  it("skips without MOVR_BENCH_PYTHON_MOVR", () => {
    expect(pythonFromEnv({})).toEqual({ skip: expect.stringMatching(/MOVR_BENCH_PYTHON_MOVR is not set/) });
  });

  it("skips when the folder has no loadmovr.py", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "movr-python-"));
    expect(pythonFromEnv({ MOVR_BENCH_PYTHON_MOVR: dir })).toEqual({
      skip: expect.stringMatching(/no loadmovr\.py/),
    });
  });

  it("skips when the Python cannot be run", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "movr-python-"));
    writeFileSync(path.join(dir, "loadmovr.py"), "");
    const missing = path.join(dir, "no-such-python");
    expect(pythonFromEnv({ MOVR_BENCH_PYTHON_MOVR: dir, MOVR_BENCH_PYTHON: missing })).toEqual({
      skip: expect.stringMatching(/no-such-python cannot import the generator's modules: .*ENOENT/),
    });
  });
});
