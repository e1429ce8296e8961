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

  it("SQL statements keep their tabs and line breaks", async () => {
    const io = testIo();
    expect(await runCli(["sql", "--url", "memory://", "-e", "select\n\t1 as one"], io)).toBe(0);
    expect(io.stdout.text).toMatch(/one/);
  });
});
