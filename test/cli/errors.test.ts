// Every command, given bad input, ends with one readable line and the README's exit code
// (2 misuse, 1 failure), never SQL text or a stack trace: no command, unknown commands and
// options, a bad environment value, an unreachable server, a database in the wrong state.
import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../../src/cli/program.ts";
import { createServerDatabase, dropServerDatabases, SERVER_URL } from "../support/databases.ts";
import { BAD_URL_PARAMETERS } from "../support/url-parameters.ts";
import { runMovr, testIo } from "./support.ts";

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

afterAll(dropServerDatabases);

const COMMANDS = ["migrate", "load", "run", "configure-multi-region", "demo", "sql"];
/** Commands that take --url. */
const URL_COMMANDS = COMMANDS.filter((c) => c !== "demo");
const UNREACHABLE = "postgresql://postgres@127.0.0.1:1/movr";

/** What must never reach a user's terminal. */
const LEAKS = [
  /Failed query/i,
  /\bINSERT\b/,
  /\bSELECT\b/,
  /\bUPDATE\b/,
  /\bDELETE\b/,
  /^\s+at /m,
  /\$\d\b/,
  /\bparams:/i,
];

function expectOneCleanLine(stderr: string, prefix = /^movr: /): void {
  const lines = stderr.split("\n").filter((l) => l.trim() !== "");
  expect(lines, stderr).toHaveLength(1);
  expect(lines[0]).toMatch(prefix);
  for (const leak of LEAKS) expect(stderr, `${leak} in ${stderr}`).not.toMatch(leak);
}

async function expectCli(args: string[], code: number, message: RegExp, input = ""): Promise<void> {
  const io = testIo(undefined, input);
  expect(await runCli(args, io), `movr ${args.join(" ")}: ${io.stderr.text}`).toBe(code);
  expectOneCleanLine(io.stderr.text, /^(movr|ERROR): /);
  expect(io.stderr.text).toMatch(message);
}

/** One line of a histogram file: second `second` of a run, `count` readVehicles in one bucket. */
const histogramTick = (second: number, count: number) =>
  JSON.stringify({
    Name: "readVehicles",
    Hist: {
      LowestTrackableValue: 1000,
      HighestTrackableValue: 3.6e12,
      SignificantFigures: 3,
      Counts: [0, count],
    },
    Elapsed: 1e9,
    Now: `2026-01-01T00:00:0${second}Z`,
  });

describe("misuse: one line, exit 2", () => {
  it("no command, and help for an unknown command", async () => {
    await expectCli(
      [],
      2,
      /^movr: a command is required: migrate, load, run, configure-multi-region, demo, sql/,
    );
    await expectCli(["help", "lod"], 2, /^movr: unknown command 'lod'; the commands are migrate, load/);
    await expectCli(["lod"], 2, /unknown command 'lod' \(Did you mean load\?\)/);
  });

  it.each(COMMANDS)("movr %s with an unknown option or a stray argument", async (command) => {
    await expectCli(
      [command, "--frobnicate"],
      2,
      /^movr: unknown option '--frobnicate' \(see movr --help\)$/m,
    );
    await expectCli([command, "stray"], 2, new RegExp(`^movr: too many arguments for '${command}'`));
  });

  it("the real command line: `movr` alone exits 2 with one line", async () => {
    const r = await runMovr([]);
    expect(r.code).toBe(2);
    expectOneCleanLine(r.stderr);
    expect(r.stdout).toBe("");
  });

  it("a bad environment value: one line naming the variable, exit 2, for every command (real command line)", async () => {
    const runs = await Promise.all(
      [...COMMANDS.map((c) => [c]), ["load", "--url", "memory://"], []].map(async (args) => ({
        args,
        result: await runMovr(args, { LOG_LEVEL: "verbose", DB_POOL_MAX: "lots" }),
      })),
    );
    for (const { args, result } of runs) {
      expect(result.code, `movr ${args.join(" ")}: ${result.stderr}`).toBe(2);
      expectOneCleanLine(result.stderr);
      expect(result.stderr).toMatch(/^movr: Invalid configuration: .*LOG_LEVEL: .*DB_POOL_MAX: /);
      expect(result.stdout).toBe("");
    }
  });
});

describe("flag values the command cannot honour: one line, exit 2, before anything is written", () => {
  it("--now whose generated timeline leaves years 1–9999, or a date that is not on the calendar", async () => {
    // The rows span the year before --now and 90 days after: years past 9999 the database
    // refuses; years before 1000 would be read back as other years (2001 for 0002).
    for (const now of [
      "0001-01-01",
      "0002-01-01",
      "1000-12-31T23:59:59Z",
      "9999-12-31T23:59:59Z",
      "9999-10-03",
    ]) {
      await expectCli(
        ["load", "--url", "memory://", "--now", now],
        2,
        /^movr: option '--now <timestamp>' argument '.*' is invalid\. must be from 1001-01-01T00:00:00\.000Z to 9999-10-02T23:59:59\.999Z/,
      );
      await expectCli(["demo", "--now", now], 2, /must be from 1001-01-01/);
    }
    for (const now of [
      "2026-02-30",
      "2026-04-31T10:00:00Z",
      "2025-02-29",
      "2026-01-01T24:00:00Z",
      "2026-01-01 12:60",
    ]) {
      await expectCli(
        ["load", "--url", "memory://", "--now", now],
        2,
        /^movr: option '--now <timestamp>' argument '.*' is invalid\. expected an ISO date or timestamp/,
      );
    }
  });

  it("--duration too long for a timer or too short to be anything but 0; numbers only in decimal", async () => {
    // 2^31 ms and more: Node fires such a timer after 1 ms, and the run would end at once.
    for (const duration of ["597h", "3000000s", "99999999999"]) {
      await expectCli(
        ["run", "--url", UNREACHABLE, "--duration", duration],
        2,
        /^movr: option '--duration <d>' argument '.*' is invalid\. must be at most 596h \(2147483647ms\)/,
      );
    }
    // Rounded to 0 ms it would mean "until Ctrl-C".
    for (const duration of ["0.0001", "0.4ms"]) {
      await expectCli(
        ["run", "--url", UNREACHABLE, "--duration", duration],
        2,
        /^movr: option '--duration <d>' argument '.*' is invalid\. must be 0 \(until Ctrl-C\) or at least 1ms/,
      );
    }
    for (const [flag, value] of [
      ["--max-rate", "0x10"],
      ["--max-rate", "1e3"],
      ["--read-percent", "0b1"],
      ["--read-percent", "Infinity"],
    ] as const) {
      await expectCli(
        ["run", "--url", UNREACHABLE, flag, value],
        2,
        new RegExp(`^movr: option '${flag} <[a-z]+>' argument '${value}' is invalid\\. expected a number`),
      );
    }
  });
});

describe("movr report: bad inputs are one line", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "movr-report-errors-"));
  const file = (name: string, text: string) => {
    const p = path.join(dir, name);
    writeFileSync(p, text);
    return p;
  };
  const tick = histogramTick(1, 1);
  const good = file("good.json", `${tick}\n`);
  const out = path.join(dir, "out.html");

  it("misuse: no file, no --out (exit 2)", async () => {
    await expectCli(["report", "--out", out], 2, /^movr: missing required argument 'histograms'/);
    await expectCli(["report", good], 2, /^movr: required option '--out <file>' not specified/);
  });

  it("a missing file, a line that is not JSON, a file that is not a histogram file, an --out that cannot be written (exit 1)", async () => {
    await expectCli(
      ["report", path.join(dir, "nope.json"), "--out", out],
      1,
      /^movr: Cannot read the histogram file ".*nope\.json": no such file or directory \(ENOENT\)\.$/m,
    );
    const torn = file("torn.json", `${tick}\n${tick.slice(0, 40)}\n`);
    await expectCli(
      ["report", good, torn, "--out", out],
      1,
      /^movr: ".*torn\.json" is not a histogram file: line 2 is not JSON\.$/m,
    );
    const pkg = file("package.json", '{"name":"movr","version":"0.1.0"}\n');
    await expectCli(
      ["report", pkg, "--out", out],
      1,
      /^movr: ".*package\.json" is not a histogram file: line 1 is not a histogram tick \(Name, Hist, Elapsed, Now\)\.$/m,
    );
    const empty = file("empty.json", "");
    await expectCli(
      ["report", empty, "--out", out],
      1,
      /^movr: ".*empty\.json" is not a histogram file: it has no histogram ticks\.$/m,
    );
    await expectCli(
      ["report", good, "--out", path.join(dir, "no-such-dir", "out.html")],
      1,
      /^movr: Cannot write the report ".*out\.html": no such file or directory \(ENOENT\)\.$/m,
    );
    // A tick another tool wrote with other types in MovR's key is one sentence, not a TypeError.
    const odd = file(
      "odd-settings.json",
      `${tick.replace(/}$/, ',"MovR":{"Settings":{"database":1,"cities":"boston"}}}')}\n`,
    );
    await expectCli(
      ["report", odd, "--out", out],
      1,
      /^movr: ".*odd-settings\.json" is not a histogram file: line 1: MovR\.Settings is not a run's settings\.$/m,
    );
    // `movr run --report` refuses an unwritable report before it connects.
    await expectCli(
      ["run", "--url", UNREACHABLE, "--report", path.join(dir, "no-such-dir", "run.html")],
      1,
      /^movr: Cannot write the report ".*run\.html": no such file or directory \(ENOENT\)\.$/m,
    );
  });
});

describe("movr report and movr run --report: the output never replaces an input", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "movr-report-same-"));
  const tick = `${histogramTick(1, 1)}\n`;

  it("movr report with --out one of its histogram files (by another spelling too) is misuse, and the file is kept", async () => {
    const hist = path.join(dir, "run.json");
    writeFileSync(hist, tick);
    const other = path.join(dir, "other.json");
    writeFileSync(other, tick);
    await expectCli(
      ["report", other, hist, "--out", hist],
      2,
      /^movr: --out ".*run\.json" is one of the histogram files; the report would replace it\.$/m,
    );
    const sameFile = path.join(dir, ".", "sub", "..", "run.json");
    await expectCli(["report", hist, "--out", sameFile], 2, /is one of the histogram files/);
    expect(readFileSync(hist, "utf8")).toBe(tick);
  });

  it("movr run with the same file for --histograms and --report is misuse, before it connects", async () => {
    const file = path.join(dir, "both.out");
    await expectCli(
      ["run", "--url", UNREACHABLE, "--histograms", file, "--report", file],
      2,
      /^movr: --report ".*both\.out" is the --histograms file; give each its own file\.$/m,
    );
  });

  it("movr run --report that fails before the run leaves an existing report as it was", async () => {
    const report = path.join(dir, "yesterday.html");
    writeFileSync(report, "<p>yesterday's report</p>");
    await expectCli(["run", "--url", UNREACHABLE, "--report", report], 1, /^movr: Cannot reach the database/);
    expect(readFileSync(report, "utf8")).toBe("<p>yesterday's report</p>");
    // Nor the histogram file of an earlier run, when this one cannot start (no movr tables).
    const hist = path.join(dir, "yesterday.json");
    writeFileSync(hist, tick);
    // A memory:// database is new and empty for each command: "load first" would be a dead end.
    await expectCli(
      ["run", "--url", "memory://", "--histograms", hist, "--report", report],
      1,
      /^movr: The movr tables are missing in embedded PGlite \(in memory\); a memory:\/\/ database lives only as long as its command, .*"movr demo"\.$/m,
    );
    expect(readFileSync(hist, "utf8")).toBe(tick);
    expect(readFileSync(report, "utf8")).toBe("<p>yesterday's report</p>");
    // And a report path that did not exist is not left behind as an empty file.
    const fresh = path.join(dir, "fresh.html");
    await expectCli(["run", "--url", UNREACHABLE, "--report", fresh], 1, /^movr: Cannot reach the database/);
    expect(existsSync(fresh)).toBe(false);
  });
});

describe("movr report on a long run's file", () => {
  it("reads a file longer than a JavaScript string can be (V8: 2^29 characters), a line at a time", async () => {
    // `movr run --histograms` writes about 100 kB a second (8 operations, 3 significant figures),
    // so a run of about 90 minutes makes a file over 512 MiB, which a whole-file read refused
    // ("Cannot read the histogram file ...: error"). Here: two seconds of ticks, then blank
    // lines up to that size (blank lines are skipped, as CockroachDB's reader does).
    const dir = mkdtempSync(path.join(tmpdir(), "movr-report-long-"));
    const hist = path.join(dir, "long.json");
    const tick = (second: number) => histogramTick(second, 5);
    const fd = openSync(hist, "w");
    try {
      writeSync(fd, `${tick(1)}\n`);
      const blank = Buffer.alloc(64 * 1024 * 1024, " ");
      for (let i = 0; i < blank.length; i += 64) blank[i] = 0x0a;
      for (let written = 0; written <= 2 ** 29; written += blank.length) writeSync(fd, blank);
      writeSync(fd, `\n${tick(2)}\n`);
    } finally {
      closeSync(fd);
    }
    try {
      const io = testIo();
      const code = await runCli(["report", hist, "--out", path.join(dir, "long.html")], io);
      expect(io.stderr.text).toBe("");
      expect(code).toBe(0);
      expect(readFileSync(path.join(dir, "long.html"), "utf8")).toContain('data-key="ops">10<');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("failures: one line, exit 1, no SQL", () => {
  // Node's "listen EADDRINUSE: address already in use ..." named no flag (the server's PORT and
  // METRICS_PORT say the same sentence: src/shared/listen-failure.ts).
  it("movr demo on a --port in use names --host and --port", async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, "127.0.0.1", resolve));
    const port = (holder.address() as AddressInfo).port;
    try {
      await expectCli(
        ["demo", "--port", String(port)],
        1,
        new RegExp(
          `^movr: The demo database cannot listen on "127\\.0\\.0\\.1" port ${port} \\(--host, --port\\): the port is in use; choose another --port \\(0 for any free one\\) or stop what holds it\\.\\n$`,
        ),
      );
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  }, 120_000);

  it.each(URL_COMMANDS)("movr %s on an unreachable server", async (command) => {
    const args = [command, "--url", UNREACHABLE, ...(command === "sql" ? ["-e", "select 1"] : [])];
    await expectCli(args, 1, /^movr: Cannot reach the database at 127\.0\.0\.1:1: connection refused/);
  });

  // libpq's ?port= parameter overrides the URL's port: 99999 made node-postgres throw inside a
  // socket callback, and the command exited 13 (a promise never settled) with nothing printed.
  it.each(URL_COMMANDS)("movr %s with a ?port= parameter that is no TCP port", async (command) => {
    for (const port of ["99999", "0", "0x10", "-1", "5432.5"]) {
      const url = `postgresql://postgres@127.0.0.1:5432/movr?port=${port}`;
      const args = [command, "--url", url, ...(command === "sql" ? ["-e", "select 1"] : [])];
      await expectCli(
        args,
        1,
        new RegExp(`^movr: The database URL .* has port "${port}"; a port is 1 to 65535`),
      );
    }
  });

  // node-postgres took every other parameter as it came: connect_timeout=abc was ignored,
  // statement_timeout=10s became 10 ms, binary=false turned binary results on.
  it.each(URL_COMMANDS)("movr %s with a URL parameter whose value it cannot take", async (command) => {
    for (const [query, problem] of BAD_URL_PARAMETERS) {
      const url = `postgresql://postgres@127.0.0.1:5432/movr?${query}`;
      const line = new RegExp(
        `^movr: The database URL "${escapeRegExp(url)}" has ${escapeRegExp(problem)}\n$`,
      );
      const extra = command === "sql" ? ["-e", "select 1"] : [];
      await expectCli([command, "--url", url, ...extra], 1, line);
      // DATABASE_URL the same.
      const io = testIo(url);
      expect(await runCli([command, ...extra], io), query).toBe(1);
      expect(io.stderr.text).toMatch(line);
    }
  });

  if (SERVER_URL) {
    it("commands on a database without the movr tables, or not CockroachDB, or a failing statement", async () => {
      const url = await createServerDatabase();
      await expectCli(
        ["load", "--url", url, "--skip-init"],
        1,
        /^movr: The movr tables are missing in PostgreSQL at .*; run "movr load" without --skip-init \(or "movr migrate"\) first\.$/m,
      );
      await expectCli(["run", "--url", url, "--duration", "1s"], 1, /^movr: The movr tables are missing/);
      await expectCli(
        ["configure-multi-region", "--url", url],
        1,
        /^movr: configure-multi-region needs CockroachDB/,
      );
      await expectCli(
        ["sql", "--url", url, "-e", "select nope from users"],
        1,
        /^ERROR: relation "users" does not exist/,
      );
      await expectCli(
        ["sql", "--url", url],
        1,
        /^ERROR: division by zero \(SQLSTATE 22012\)$/m,
        "select 1/0;\n",
      );
    });
  }
});
