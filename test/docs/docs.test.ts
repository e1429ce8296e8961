// The docs cannot drift: every code excerpt equals the source it names, every relative link leads
// somewhere, the guide's runnable commands run, and the README stays short.
// After changing code a guide chapter shows: UPDATE_GUIDE=1 npx vitest run test/docs
import { execFile } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../src/config.ts";
import { extract, findExcerpts, headingAnchors, relativeLinks, syncExcerpts } from "../support/excerpts.ts";

const run = promisify(execFile);
// Read once at load: the one switch that rewrites instead of comparing.
const UPDATE = process.env.UPDATE_GUIDE === "1";

function markdownFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(path.join(PROJECT_ROOT, dir))) {
    const rel = path.join(dir, name);
    if (statSync(path.join(PROJECT_ROOT, rel)).isDirectory()) for (const f of markdownFiles(rel)) out.push(f);
    else if (name.endsWith(".md")) out.push(rel);
  }
  return out;
}

const DOCS = [
  "README.md",
  ...markdownFiles("docs"),
  ...(existsSync(path.join(PROJECT_ROOT, "bench", "README.md")) ? ["bench/README.md"] : []),
];
const GUIDE = markdownFiles("docs/guide").sort();
const read = (rel: string) => readFileSync(path.join(PROJECT_ROOT, rel), "utf8");

describe("code excerpts", () => {
  it("the guide shows code from the source, in every chapter", () => {
    expect(GUIDE.length).toBeGreaterThanOrEqual(10);
    const total = GUIDE.reduce((n, doc) => n + findExcerpts(doc, read(doc)).length, 0);
    expect(total).toBeGreaterThanOrEqual(20);
  });

  for (const doc of DOCS) {
    const excerpts = findExcerpts(doc, read(doc));
    if (excerpts.length === 0) continue;
    it(`${doc}: each excerpt is the source it names`, () => {
      if (UPDATE) writeFileSync(path.join(PROJECT_ROOT, doc), syncExcerpts(PROJECT_ROOT, doc, read(doc)));
      for (const e of findExcerpts(doc, read(doc))) {
        expect(e.shown, `${doc}:${e.line} shows ${e.reference} as it no longer is`).toBe(
          extract(PROJECT_ROOT, e.reference),
        );
      }
    });
  }

  it("notices an excerpt that differs from its source", () => {
    const doc = [
      "<!-- source: src/db/sql-errors.ts#sqlState -->",
      "```ts",
      "export function sqlState() {}",
      "```",
    ].join("\n");
    const [e] = findExcerpts("x.md", doc);
    expect(e?.shown).not.toBe(extract(PROJECT_ROOT, e!.reference));
    expect(syncExcerpts(PROJECT_ROOT, "x.md", doc)).toContain(
      extract(PROJECT_ROOT, "src/db/sql-errors.ts#sqlState"),
    );
  });
});

describe("links", () => {
  it("every relative link in README.md and docs/ leads to a file (and heading) that exists", () => {
    const dead: string[] = [];
    for (const doc of DOCS) {
      for (const link of relativeLinks(doc, read(doc))) {
        const [file, anchor] = link.target.split("#", 2) as [string, string | undefined];
        const target = file === "" ? doc : path.join(path.dirname(doc), decodeURIComponent(file));
        if (!existsSync(path.join(PROJECT_ROOT, target))) {
          dead.push(`${doc}:${link.line} -> ${link.target}`);
          continue;
        }
        if (anchor && target.endsWith(".md") && !headingAnchors(read(target)).has(anchor))
          dead.push(`${doc}:${link.line} -> ${link.target} (no such heading)`);
      }
    }
    expect(dead).toEqual([]);
  });

  it("the README stays a two-minute read", () => {
    expect(read("README.md").split("\n").length).toBeLessThanOrEqual(250);
    expect(read("README.md")).toContain("npm install && npm start");
    expect(read("README.md")).toContain("npm test");
  });
});

// Each command is its own process: run them side by side.
describe.concurrent("commands in the guide", () => {
  // Lines of a ```sh block right after `<!-- run -->` run for real, against an in-memory database.
  const commands: { doc: string; command: string }[] = [];
  for (const doc of GUIDE) {
    const lines = read(doc).split("\n");
    lines.forEach((line, i) => {
      if (line.trim() !== "<!-- run -->") return;
      let j = i + 1;
      while ((lines[j] ?? "x").trim() === "") j++;
      for (j++; j < lines.length && !(lines[j] ?? "").startsWith("```"); j++) {
        const command = (lines[j] ?? "").trim();
        if (command && !command.startsWith("#")) commands.push({ doc, command });
      }
    });
  }

  it("has commands to run", () => {
    expect(commands.length).toBeGreaterThanOrEqual(3);
  });

  for (const { doc, command } of commands) {
    // A generous limit for a busy machine: this waits for the command, it does not time it.
    it(`${doc}: ${command}`, { timeout: 300_000 }, async () => {
      expect(command, "runnable commands use the in-memory database").toContain("memory://");
      const argv = command.replace(/^npx movr /, "");
      expect(argv, "runnable commands are `npx movr …` lines").not.toBe(command);
      const { stdout } = await run("bash", ["-c", `node bin/movr.js ${argv}`], {
        cwd: PROJECT_ROOT,
        env: { ...process.env, DATABASE_URL: "" },
        timeout: 180_000,
      });
      expect(stdout.length).toBeGreaterThan(0);
    });
  }
});
