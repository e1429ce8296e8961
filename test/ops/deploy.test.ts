// Deployment files checked against the code, offline: the compose files' structure (services,
// depends_on conditions, healthchecks, env vars src/config.ts reads, commands that exist), the
// Dockerfile's stages, and every `movr …` line of the multi-region guide parsed by the real CLI.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { Command, CommanderError } from "commander";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { REFERENCE_CITIES } from "../../src/cities/region.config.ts";
import { buildProgram } from "../../src/cli/program.ts";
import { ENV_NAMES, loadConfig, loadToolConfig } from "../../src/config.ts";
import { SERVER_V8_FLAGS } from "../../src/web/cluster.ts";
import { testIo } from "../cli/support.ts";
import { movrCommandsOf, readDockerfile, shellWords } from "../support/dockerfile.ts";
import { ROOT } from "../support/server.ts";

const CONDITIONS = ["service_started", "service_healthy", "service_completed_successfully"];
const MOVR_IMAGE = "movr:local";

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string | string[];
  entrypoint?: string | string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  ports?: string[];
  restart?: string;
}

function readCompose(name: string): { services: Record<string, Service> } {
  return parse(readFileSync(path.join(ROOT, "deploy", name), "utf8"), { merge: true }) as {
    services: Record<string, Service>;
  };
}

/** The CLI's program with every action replaced: parsing only. Resolves to the options given. */
async function parseMovr(argv: string[]): Promise<{ command: string; options: Record<string, unknown> }> {
  const program = buildProgram(testIo(), () => undefined);
  let parsed: { command: string; options: Record<string, unknown> } | undefined;
  for (const command of program.commands as Command[]) {
    command.action((options: Record<string, unknown>) => {
      parsed = { command: command.name(), options };
    });
  }
  await program.parseAsync(argv, { from: "user" });
  if (!parsed) throw new Error(`no command ran for: movr ${argv.join(" ")}`);
  return parsed;
}

/** Compose's `${VAR:?message}` and `${VAR}` as the operator would have set them. */
function resolved(env: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).map(([k, v]) => [k, v.replace(/\$\{[A-Z_]+(:\?[^}]*)?\}/g, "s".repeat(40))]),
  );
}

describe.each(["compose.postgres.yaml", "compose.cockroachdb.yaml"])("deploy/%s", (file) => {
  const { services } = readCompose(file);
  const movrServices = Object.entries(services).filter(([, s]) => s.image === MOVR_IMAGE);

  it("has the app and a one-shot migrate of the same image, built from the repository's Dockerfile", () => {
    expect(Object.keys(services)).toEqual(expect.arrayContaining(["movr", "migrate"]));
    expect(movrServices.map(([name]) => name).sort()).toEqual(["migrate", "movr"]);
    const builds = movrServices.filter(([, s]) => s.build);
    expect(builds).toHaveLength(1);
    const build = builds[0]![1].build!;
    expect(existsSync(path.join(ROOT, "deploy", build.context, build.dockerfile))).toBe(true);
    expect(services.migrate!.restart).toBe("no");
  });

  it("orders start-up with depends_on conditions on services that exist and can meet them", () => {
    for (const [name, service] of Object.entries(services)) {
      for (const [target, { condition }] of Object.entries(service.depends_on ?? {})) {
        expect(services, `${name} depends on ${target}`).toHaveProperty([target]);
        expect(CONDITIONS).toContain(condition);
        if (condition === "service_healthy") expect(services[target]!.healthcheck, target).toBeDefined();
        if (condition === "service_completed_successfully")
          expect(services[target]!.restart, target).toBe("no");
      }
    }
    expect(services.movr!.depends_on?.migrate).toEqual({ condition: "service_completed_successfully" });
    const database = Object.keys(services.migrate!.depends_on ?? {});
    expect(database.length).toBeGreaterThan(0);
  });

  it("runs commands that exist: `movr migrate` through bin/movr.js, the server from dist/", async () => {
    expect(services.migrate!.command).toEqual(["node", "bin/movr.js", "migrate"]);
    expect(existsSync(path.join(ROOT, "bin", "movr.js"))).toBe(true);
    expect((await parseMovr(["migrate"])).command).toBe("migrate");
    const cmd = readDockerfile().find((i) => i.keyword === "CMD" && i.stage === "runtime")!;
    expect(services.movr!.command).toEqual(JSON.parse(cmd.args));
    expect(existsSync(path.join(ROOT, services.movr!.command!.at(-1)!))).toBe(true);
  });

  it("sets only variables src/config.ts reads, with values it accepts, pointing at a service here", () => {
    for (const [name, service] of movrServices) {
      const env = service.environment ?? {};
      for (const key of Object.keys(env)) expect(ENV_NAMES, `${name}: ${key}`).toContain(key);
      // The server reads loadConfig; `movr migrate` the tool's configuration.
      const load = name === "migrate" ? loadToolConfig : loadConfig;
      expect(() => load(resolved(env))).not.toThrow();
      const host = new URL(env.DATABASE_URL!.replace(/^cockroachdb:/, "postgresql:")).hostname;
      expect(services, `${name}'s DATABASE_URL host`).toHaveProperty([host]);
    }
    // The app's health check asks the port it listens on for /readyz, with node (no curl in the image).
    const port = loadConfig(resolved(services.movr!.environment ?? {})).port;
    const check = services.movr!.healthcheck!.test.join(" ");
    expect(check).toMatch(/^CMD node -e /);
    expect(check).toContain(`http://127.0.0.1:${port}/readyz`);
    expect(services.movr!.ports).toContain(`${port}:${port}`);
  });

  if (file === "compose.cockroachdb.yaml") {
    it("starts three CockroachDB nodes that join each other, and initialises the cluster once", () => {
      const nodes = Object.entries(services).filter(([, s]) => s.image?.startsWith("cockroachdb/cockroach:"));
      const starters = nodes.filter(([, s]) => String(s.command).startsWith("start "));
      expect(starters.map(([n]) => n).sort()).toEqual(["roach1", "roach2", "roach3"]);
      for (const [, s] of starters) {
        expect(s.command).toContain("--join=roach1,roach2,roach3");
        expect(s.healthcheck?.test).toBeDefined();
      }
      const init = services.init!;
      expect(String(init.command)).toMatch(/cockroach init --insecure --host=roach1:26257/);
      expect(String(init.command)).toMatch(/CREATE DATABASE IF NOT EXISTS movr/);
      expect(Object.keys(init.depends_on ?? {}).sort()).toEqual(["roach1", "roach2", "roach3"]);
      expect(services.migrate!.depends_on?.init).toEqual({ condition: "service_completed_successfully" });
    });
  }
});

describe("Dockerfile", () => {
  const instructions = readDockerfile();
  const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
    scripts: Record<string, string>;
  };
  const ignored = readFileSync(path.join(ROOT, ".dockerignore"), "utf8")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"));

  it("has a build stage and a runtime stage; the npm scripts it runs exist", () => {
    expect(instructions.filter((i) => i.keyword === "FROM").map((i) => i.stage)).toEqual([
      "build",
      "runtime",
    ]);
    const scripts = instructions
      .filter((i) => i.keyword === "RUN")
      .flatMap((i) => [...i.args.matchAll(/npm run (\S+)/g)].map((m) => m[1]!));
    expect(scripts).toEqual(["build"]);
    for (const s of scripts) expect(pkg.scripts).toHaveProperty([s]);
    const runtimeRuns = instructions.filter((i) => i.stage === "runtime" && i.keyword === "RUN");
    expect(runtimeRuns.some((i) => /npm ci --omit=dev/.test(i.args))).toBe(true);
  });

  it("copies files that exist and that .dockerignore lets through; the build's output exists", () => {
    for (const copy of instructions.filter((i) => i.keyword === "COPY")) {
      const words = copy.args.split(" ");
      const from = words.find((w) => w.startsWith("--from="));
      const sources = words.filter((w) => !w.startsWith("--")).slice(0, -1);
      expect(sources.length).toBeGreaterThan(0);
      for (const source of sources) {
        // From the build stage: where `npm run build` writes, under its WORKDIR /app.
        const local = from ? source.replace(/^\/app\//, "") : source;
        expect(existsSync(path.join(ROOT, local)), `${copy.args}: ${local}`).toBe(true);
        if (!from) expect(ignored, `${source} is in .dockerignore`).not.toContain(local.split("/")[0]);
      }
    }
  });

  it("runs as a non-root user on 0.0.0.0, checks /readyz with node, and starts node on dist/ as PID 1, as npm start does", () => {
    const runtime = instructions.filter((i) => i.stage === "runtime");
    const user = runtime.filter((i) => i.keyword === "USER").at(-1);
    expect(user?.args).toBeDefined();
    expect(user!.args).not.toMatch(/^(root|0)(:|$)/);
    const env = runtime
      .filter((i) => i.keyword === "ENV")
      .map((i) => i.args)
      .join(" ");
    expect(env).toMatch(/\bHOST=0\.0\.0\.0\b/);
    for (const name of env.matchAll(/\b([A-Z_]+)=/g)) {
      if (name[1] !== "NODE_ENV") expect(ENV_NAMES).toContain(name[1]);
    }
    const health = runtime.find((i) => i.keyword === "HEALTHCHECK")!.args;
    expect(health).toMatch(/CMD \["node", "-e", /);
    expect(health).toContain("/readyz");
    expect(health).not.toMatch(/curl|wget/);
    const cmd = JSON.parse(runtime.find((i) => i.keyword === "CMD")!.args) as string[];
    // The server's V8 flags (ADR 021) on node's command line, as `npm start` has them.
    expect(cmd).toEqual(["node", ...SERVER_V8_FLAGS, "dist/src/main.js"]);
    const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
      scripts: { start: string };
    };
    expect(pkg.scripts.start).toBe(cmd.join(" "));
    expect(runtime.some((i) => i.keyword === "ENTRYPOINT")).toBe(false);
    expect(existsSync(path.join(ROOT, cmd.at(-1)!))).toBe(true);
  });
});

describe("docs/deploy-multi-region.md", () => {
  const commands = movrCommandsOf(readFileSync(path.join(ROOT, "docs", "deploy-multi-region.md"), "utf8"));

  it("shows the commands an operator needs", () => {
    const names = commands.map((c) => shellWords(c)[1]);
    expect(names).toEqual(expect.arrayContaining(["migrate", "configure-multi-region", "run", "load"]));
  });

  it("has only commands and flags that exist, with values they accept", async () => {
    for (const line of commands) {
      const argv = shellWords(line).slice(1);
      const { options } = await parseMovr(argv).catch((err: unknown) => {
        throw new Error(`movr ${argv.join(" ")}: ${(err as Error).message}`);
      });
      for (const city of (options.city as string[] | undefined) ?? [])
        expect(REFERENCE_CITIES).toContain(city);
    }
  });

  it("would catch a flag or command that does not exist", async () => {
    for (const argv of [
      ["configure-multi-region", "--no-such-flag"],
      ["deploy"],
      ["run", "--duration", "soon"],
    ]) {
      await expect(parseMovr(argv)).rejects.toBeInstanceOf(CommanderError);
    }
  });
});
