// The container's runtime stage, for real but without Docker: in a temporary directory, the files
// the Dockerfile's runtime stage copies (the compiled dist/ from this checkout's build), its
// `npm ci --omit=dev` (from the local npm cache, which CI's `npm ci` has filled), then its CMD
// with its ENV: the server must become ready, pass the image's HEALTHCHECK command, run
// `movr migrate`, and exit 0 on SIGTERM, with no development dependency installed.
import { execFile } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, expect, it } from "vitest";
import { readDockerfile } from "../support/dockerfile.ts";
import { ROOT, startServer } from "../support/server.ts";

const run = promisify(execFile);
const dir = mkdtempSync(path.join(tmpdir(), "movr-image-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it("installs production dependencies only, serves from dist/, passes its HEALTHCHECK and stops on SIGTERM", async () => {
  const runtime = readDockerfile().filter((i) => i.stage === "runtime");
  // WORKDIR /app is `dir`. Copy what the stage copies: from the context, or from the build stage's /app.
  for (const copy of runtime.filter((i) => i.keyword === "COPY")) {
    const words = copy.args.split(" ");
    const fromBuild = words.includes("--from=build");
    const paths = words.filter((w) => !w.startsWith("--"));
    const dest = paths.pop()!;
    for (const source of paths) {
      const local = path.join(ROOT, fromBuild ? source.replace(/^\/app\//, "") : source);
      const target = dest.endsWith("/") ? path.join(dir, dest, path.basename(source)) : path.join(dir, dest);
      cpSync(local, target, { recursive: true });
    }
  }
  const install = runtime.find((i) => i.keyword === "RUN" && i.args.startsWith("npm ci "))!.args;
  const npmCi = install.split(" && ")[0]!.split(" ");
  expect(npmCi).toEqual(["npm", "ci", "--omit=dev", "--ignore-scripts", "--no-audit", "--no-fund"]);
  // The same command; --prefer-offline takes the packages from the local cache when it has them.
  await run("npm", [...npmCi.slice(1), "--prefer-offline"], { cwd: dir, env: process.env, timeout: 300_000 });
  for (const dev of ["typescript", "vitest", "tsx", "pino-pretty", "eslint"]) {
    expect(existsSync(path.join(dir, "node_modules", dev)), dev).toBe(false);
  }
  expect(existsSync(path.join(dir, "node_modules", "fastify"))).toBe(true);

  const env: Record<string, string> = {};
  for (const e of runtime.filter((i) => i.keyword === "ENV")) {
    for (const m of e.args.matchAll(/([A-Z_]+)=(\S+)/g)) env[m[1]!] = m[2]!;
  }
  expect(env).toMatchObject({ NODE_ENV: "production", HOST: "0.0.0.0" });
  const cmd = JSON.parse(runtime.find((i) => i.keyword === "CMD")!.args) as string[];
  expect(cmd[0]).toBe("node");
  // PORT 0: the server takes a free port itself. A port found free first and given to the server
  // later could be taken meanwhile (an outgoing connection's ephemeral port) on a busy machine.
  const server = startServer(
    { ...env, PORT: "0", DATABASE_URL: "memory://", MOVR_DATA_DIR: path.join(dir, "data") },
    { args: cmd.slice(1), cwd: dir },
  );
  try {
    const url = await server.ready(120_000);
    const port = new URL(url).port;
    expect(port).toMatch(/^[1-9]\d*$/);
    // The image's own health check command, as Docker would run it inside the container.
    const health = runtime.find((i) => i.keyword === "HEALTHCHECK")!.args;
    const check = JSON.parse(health.slice(health.indexOf("CMD ") + 4)) as string[];
    await run(check[0] === "node" ? process.execPath : check[0]!, check.slice(1), {
      cwd: dir,
      env: { PATH: process.env.PATH, PORT: port },
      timeout: 30_000,
    });
    // The compose files' one-shot migrate runs the tool from the same install.
    const migrate = await run(process.execPath, ["bin/movr.js", "migrate", "--url", "memory://"], {
      cwd: dir,
      env: { PATH: process.env.PATH },
      timeout: 60_000,
    });
    expect(migrate.stdout).toMatch(/^Applied 0001_/);
  } finally {
    server.child.kill("SIGTERM");
  }
  expect(await server.exited).toBe(0);
}, 400_000);
