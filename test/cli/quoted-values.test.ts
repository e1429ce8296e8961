// What a user typed comes back in an error line with its control characters escaped: a value
// with an escape sequence (`--num-users $'1\e[2J'`) cleared or recoloured the terminal, and one
// with a line break split the "one line" in two. Every flag parser, commander's own refusals
// (unknown command, option, choice) and the bad-environment line go through describeFailure.
import { describe, expect, it } from "vitest";
import { runCli } from "../../src/cli/program.ts";
import { runMovr, testIo } from "./support.ts";

const BAD = ["\u001b[2J", "\u0007", "\n", "\u202e"];

/** Each case: the command line, with `bad` inside a value that is quoted back (spaces around numbers are trimmed). */
const CASES: [string, (bad: string) => string[]][] = [
  ["a whole number (--num-users)", (bad) => ["load", "--num-users", `1${bad}`]],
  ["a number (--read-percent)", (bad) => ["run", "--read-percent", `5${bad}0`]],
  ["a duration (--duration)", (bad) => ["run", "--duration", `1${bad}s`]],
  ["a timestamp (--now)", (bad) => ["demo", "--now", `2026-01${bad}-01`]],
  ["a choice (--display-format)", (bad) => ["run", "--display-format", `js${bad}on`]],
  ["a port (--port)", (bad) => ["demo", "--port", `8${bad}0`]],
  ["an unknown command", (bad) => [`lo${bad}ad`]],
  ["an unknown option", (bad) => ["load", `--num${bad}`]],
  ["a stray argument", (bad) => ["migrate", `x${bad}`]],
];

function expectPrintableLine(stderr: string): void {
  expect(stderr.endsWith("\n"), JSON.stringify(stderr)).toBe(true);
  const line = stderr.slice(0, -1);
  expect(line, JSON.stringify(stderr)).toMatch(/^movr: /);
  expect(line, JSON.stringify(stderr)).not.toMatch(/[\p{Cc}\u202A-\u202E\u2066-\u2069]/u);
}

describe("values quoted back in an error line", () => {
  it.each(CASES.flatMap(([what, args]) => BAD.map((bad) => [what, bad, args(bad)] as const)))(
    "%s with %j: one line, exit 2, the character escaped",
    async (_what, _bad, args) => {
      const io = testIo();
      expect(await runCli([...args], io)).toBe(2);
      expectPrintableLine(io.stderr.text);
    },
  );

  it("the value is still recognisable: escapes, not deletions", async () => {
    const io = testIo();
    await runCli(["load", "--num-users", "1\u001b[2J"], io);
    expect(io.stderr.text).toContain(String.raw`1\u001b[2J`);
  });

  it("keeps commander's suggestion on the same line", async () => {
    const io = testIo();
    expect(await runCli(["lod"], io)).toBe(2);
    expect(io.stderr.text).toBe("movr: unknown command 'lod' (Did you mean load?) (see movr --help)\n");
  });

  it("a bad environment value on the real command line", async () => {
    const r = await runMovr(["migrate"], { LOG_LEVEL: "verbose\u001b[31m" });
    expect(r.code).toBe(2);
    expectPrintableLine(r.stderr);
  });
});
