// `npm run build` (scripts/build.js) on a small copy of the project: the real build script and
// tsconfig files, a source or two, the installed TypeScript. tsc's incremental build trusts
// dist/.tsbuildinfo, so a dist/src deleted by hand stayed missing after a build that said nothing.
import { execFileSync } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../cli/support.ts";

let project: string;

function build(): string {
  // The template step finds no embedded-engine.js here and says so on stderr: not what is tested.
  return execFileSync(process.execPath, [path.join(project, "scripts", "build.js")], {
    cwd: project,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "ignore"],
  });
}

const OUTPUTS = ["dist/src/main.js", "dist/src/cli/movr.js", "dist/bench/run.js"];
const present = () => OUTPUTS.filter((f) => existsSync(path.join(project, f)));

beforeAll(() => {
  project = mkdtempSync(path.join(tmpdir(), "movr-build-"));
  for (const f of [
    "package.json",
    "tsconfig.json",
    "tsconfig.build.json",
    "scripts/build.js",
    "scripts/build-outputs.js",
  ]) {
    mkdirSync(path.dirname(path.join(project, f)), { recursive: true });
    copyFileSync(path.join(ROOT, f), path.join(project, f));
  }
  symlinkSync(path.join(ROOT, "node_modules"), path.join(project, "node_modules"), "dir");
  const sources: Record<string, string> = {
    "src/main.ts": 'import { hello } from "./cli/movr.ts";\nexport const main = hello();\n',
    "src/cli/movr.ts": 'export function hello(): string {\n  return "movr";\n}\n',
    "src/web/page.css": "body { margin: 0; }\n",
    "bench/run.ts": 'import { main } from "../src/main.ts";\nexport const bench = main;\n',
  };
  for (const [file, text] of Object.entries(sources)) {
    mkdirSync(path.dirname(path.join(project, file)), { recursive: true });
    writeFileSync(path.join(project, file), text);
  }
  build();
});

afterAll(() => {
  if (project) rmSync(project, { recursive: true, force: true });
});

describe("npm run build", () => {
  it("compiles src and bench to dist, with the non-TypeScript files beside", () => {
    expect(present()).toEqual(OUTPUTS);
    expect(existsSync(path.join(project, "dist/src/web/page.css"))).toBe(true);
  });

  it("compiles a deleted dist/src again, and says why", () => {
    rmSync(path.join(project, "dist", "src"), { recursive: true });
    const out = build();
    expect(present()).toEqual(OUTPUTS);
    expect(out).toMatch(/^movr: dist\/src\/\S+\.js is missing: compiling everything again\.$/m);
  });

  it("compiles one deleted file again, and nothing when nothing is missing", () => {
    rmSync(path.join(project, "dist", "bench", "run.js"));
    expect(build()).toContain("movr: dist/bench/run.js is missing");
    expect(present()).toEqual(OUTPUTS);
    expect(build()).not.toContain("missing");
  });
});
