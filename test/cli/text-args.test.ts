// Every movr flag that takes text follows the text rule (src/shared/text.ts): a control character
// or an unpaired surrogate is a usage error (exit 2) naming the flag, in one line that does not
// echo the value (it would put a control character on the terminal).
import { describe, expect, it } from "vitest";
import { runCli } from "../../src/cli/program.ts";
import { testIo } from "./support.ts";

const BAD = { NUL: "\u0000", "lone surrogate": "\ud800", escape: "\u001b[2J" };

const FLAGS: { args: (bad: string) => string[]; flag: string }[] = [
  { args: (b) => ["migrate", "--url", `memory://${b}`], flag: "--url" },
  { args: (b) => ["load", "--url", "memory://", "--city", `bos${b}ton`], flag: "--city" },
  { args: (b) => ["run", "--url", "memory://", "--city", `bos${b}ton`], flag: "--city" },
  {
    args: (b) => ["configure-multi-region", "--preview", "--primary-region", `us${b}east`],
    flag: "--primary-region",
  },
  {
    args: (b) => ["configure-multi-region", "--preview", "--region-city", `us${b}=boston`],
    flag: "--region-city",
  },
  { args: (b) => ["configure-multi-region", "--preview", "--database", `mo${b}vr`], flag: "--database" },
  { args: (b) => ["demo", "--host", `127.0.0.1${b}`], flag: "--host" },
  { args: (b) => ["demo", "--city", `bos${b}ton`], flag: "--city" },
  { args: (b) => ["sql", "--url", "memory://", "-e", `select '${b}'`], flag: "--execute" },
  { args: (b) => ["run", "--url", "memory://", "--histograms", `h${b}.json`], flag: "--histograms" },
  { args: (b) => ["run", "--url", "memory://", "--report", `r${b}.html`], flag: "--report" },
  { args: (b) => ["report", "h.json", "--out", `r${b}.html`], flag: "--out" },
  { args: (b) => ["report", `h${b}.json`, "--out", "r.html"], flag: "<histograms>" },
];

describe("text flags", () => {
  it.each(FLAGS.flatMap((f) => Object.entries(BAD).map(([kind, bad]) => ({ ...f, kind, bad }))))(
    "$flag with a $kind: exit 2, one line naming the flag",
    async ({ args, flag, bad }) => {
      const io = testIo();
      expect(await runCli(args(bad), io)).toBe(2);
      const lines = io.stderr.text.split("\n").filter((l) => l !== "");
      expect(lines, io.stderr.text).toHaveLength(1);
      expect(lines[0]).toContain(flag);
      expect(lines[0]).toContain("control characters");
      expect(lines[0]).not.toMatch(/[\p{Cc}\p{Cs}]/u);
      expect(io.stdout.text).toBe("");
    },
  );

  // The same flags with nothing in them (an unset shell variable: --out "$OUT").
  it.each(FLAGS.flatMap((f) => ["", "  "].map((blank) => ({ ...f, blank }))))(
    "$flag empty ($blank): exit 2, one line naming the flag",
    async ({ args, flag, blank }) => {
      const io = testIo();
      // The flag's value is replaced by blank text (whatever surrounded the bad character).
      const argv = args("\u0000");
      const at = argv.findIndex((a) => a.includes("\u0000"));
      argv[at] = blank;
      expect(await runCli(argv, io)).toBe(2);
      const lines = io.stderr.text.split("\n").filter((l) => l !== "");
      expect(lines, io.stderr.text).toHaveLength(1);
      expect(lines[0]).toContain(flag);
      expect(io.stdout.text).toBe("");
    },
  );

  it("SQL statements keep their tabs and line breaks", async () => {
    const io = testIo();
    expect(await runCli(["sql", "--url", "memory://", "-e", "select\n\t1 as one"], io)).toBe(0);
    expect(io.stdout.text).toMatch(/one/);
  });
});
