// The `movr` command line: parses flags with commander, runs a command's core function, and
// turns every failure into one line on stderr and an exit code. In-process callable for tests.
import { Command, CommanderError, Option } from "commander";
import { citiesOf } from "../cities/region.config.ts";
import type { Database } from "../db/database.ts";
import type { MovrContext } from "../shared/context.ts";
import { CliError, describeFailure, EXIT_FAILURE, UsageError } from "./errors.ts";
import { writeLine, type CliIo } from "./io.ts";
import {
  collectText,
  databaseConfig,
  intArg,
  LOAD_DEFAULTS,
  numberArg,
  parseDuration,
  parseTimelineEnd,
  resolveCities,
  startOfUtcDay,
  textArg,
} from "./options.ts";

// Each command imports what it runs when it runs: `movr --help` loads neither the database
// drivers, Drizzle nor the web server (test/cli/startup.test.ts checks it).
const URL_HELP =
  "database URL: postgresql://, cockroachdb:// (TLS: sslmode, sslrootcert, sslcert, sslkey) or memory://; default DATABASE_URL, else the embedded database";

async function withDatabase<T>(
  io: CliIo,
  url: string | undefined,
  pool: { max?: number; applicationName?: string },
  fn: (ctx: MovrContext) => Promise<T>,
): Promise<T> {
  const { openCommandDatabase } = await import("./command-database.ts");
  const database: Database = await openCommandDatabase(databaseConfig(io.config, url, pool), io.stderr);
  try {
    return await fn({ database, cities: citiesOf(io.config.regions), clock: () => new Date() });
  } finally {
    await database.close();
  }
}

export function buildProgram(io: CliIo, setExitCode: (code: number) => void): Command {
  const program = new Command("movr")
    .description(
      "MovR: load, run and explore the vehicle-sharing workload on PostgreSQL, CockroachDB or PGlite",
    )
    .exitOverride()
    .showSuggestionAfterError(true)
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      outputError: () => undefined, // runCli prints errors, in one line
    });

  program
    .command("migrate")
    .description("create or upgrade the schema")
    .option("--url <url>", URL_HELP, textArg("--url"))
    .action(async (o: { url?: string }) => {
      const { migrate } = await import("../db/migrate.ts");
      await withDatabase(io, o.url, { max: 1 }, async ({ database }) => {
        const r = await migrate(database);
        writeLine(
          io.stdout,
          r.applied.length > 0
            ? `Applied ${r.applied.join(", ")} on ${database.description}.`
            : `The schema on ${database.description} is up to date.`,
        );
      });
    });

  program
    .command("load")
    .description("create the schema and load generated, deterministic data")
    .option("--url <url>", URL_HELP, textArg("--url"))
    .option("--drop", "drop the movr tables (and the migrations ledger) first", false)
    .option(
      "--yes",
      "with --drop on a multi-region database: re-apply its localities even when the region map fits its regions only by guessing",
      false,
    )
    .option("--skip-init", "do not create or upgrade the schema", false)
    .option("--num-users <n>", "users", intArg(0, 50_000_000), LOAD_DEFAULTS.users)
    .option("--num-vehicles <n>", "vehicles", intArg(0, 50_000_000), LOAD_DEFAULTS.vehicles)
    .option("--num-rides <n>", "rides (active ones included)", intArg(0, 50_000_000), LOAD_DEFAULTS.rides)
    .option("--num-histories <n>", "vehicle location points", intArg(0, 50_000_000), LOAD_DEFAULTS.histories)
    .option("--num-promo-codes <n>", "promo codes", intArg(0, 50_000_000), LOAD_DEFAULTS.promoCodes)
    .option(
      "--city <city>",
      "a city to load (repeatable; default: every configured city)",
      collectText("--city"),
    )
    .option(
      "--seed <n>",
      "random seed: the same seed and --now give the same rows",
      intArg(0, 2 ** 31 - 1),
      1,
    )
    .option("--now <timestamp>", "end of the generated timeline (default: today 00:00 UTC)", parseTimelineEnd)
    .option("--batch-size <n>", "rows per INSERT", intArg(1, 5000), 500)
    .option("--concurrency <n>", "INSERTs in flight (default 4 on a server, 1 embedded)", intArg(1, 64))
    .action(
      async (o: {
        url?: string;
        drop: boolean;
        yes: boolean;
        skipInit: boolean;
        numUsers: number;
        numVehicles: number;
        numRides: number;
        numHistories: number;
        numPromoCodes: number;
        city?: string[];
        seed: number;
        now?: Date;
        batchSize: number;
        concurrency?: number;
      }) => {
        const cities = resolveCities(io.config, o.city);
        const now = o.now ?? startOfUtcDay();
        const { runLoad, DEFAULT_LOAD_CONCURRENCY, sameRowsFlags } = await import("./load.command.ts");
        // Stopped halfway, a load keeps its committed batches; the same command finishes it.
        const finish = `the rows loaded so far are kept. To finish the load, run the same command with ${sameRowsFlags({ seed: o.seed, now })}`;
        const removeNote = io.noteOnStop(`interrupted; ${finish}.`);
        let opened = false;
        await withDatabase(io, o.url, { max: o.concurrency ?? DEFAULT_LOAD_CONCURRENCY }, (ctx) => {
          opened = true;
          return runLoad(
            ctx,
            {
              cities,
              users: o.numUsers,
              vehicles: o.numVehicles,
              rides: o.numRides,
              histories: o.numHistories,
              promoCodes: o.numPromoCodes,
              seed: o.seed,
              now,
              drop: o.drop,
              yes: o.yes,
              regions: io.config.regions,
              skipInit: o.skipInit,
              batchSize: o.batchSize,
              ...(o.concurrency === undefined ? {} : { concurrency: o.concurrency }),
            },
            io.stdout,
          );
        }).catch(async (err: unknown) => {
          // The database went away mid-load (a restart, a lost connection): what was committed
          // stays, as after Ctrl-C, and the same flags finish it. The driver's own line
          // ("Connection terminated unexpectedly") said neither.
          const { unavailabilityOf } = await import("../db/sql-errors.ts");
          const { databaseUnavailable } = await import("../shared/errors.ts");
          const kind = opened && !(err instanceof CliError) ? unavailabilityOf(err) : undefined;
          if (kind === undefined || kind === "ambiguous") throw err;
          const outage = databaseUnavailable(kind).message.replace(/; try again.*$/, "");
          throw new CliError(`${outage}: the load stopped; ${finish} once the database is back.`);
        });
        removeNote();
      },
    );

  program
    .command("run")
    .description("run the reference workload mix and report throughput and latency every second")
    .option("--url <url>", URL_HELP, textArg("--url"))
    .option("--concurrency <n>", "workers, each with its own connection", intArg(1, 1000), 4)
    .option("--duration <d>", "how long: 30s, 5m, 1h30m; 0 runs until Ctrl-C", parseDuration, 0)
    .option(
      "--max-rate <ops>",
      "operations per second over all workers; 0 for no limit",
      numberArg(0, 1e7),
      0,
    )
    .option("--read-percent <p>", "share of iterations that read", numberArg(0, 100), 95)
    .option(
      "--city <city>",
      "a city to work in (repeatable; default: every configured city)",
      collectText("--city"),
    )
    .option("--follower-reads", "read as of follower_read_timestamp() (CockroachDB only)", false)
    .option("--tolerate-errors", "keep going after unexpected errors", false)
    .addOption(
      new Option("--display-format <format>", "text or json (one object per row)")
        .choices(["text", "json"])
        .default("text"),
    )
    .option("--seed <n>", "random seed for the workers' choices", intArg(0, 2 ** 31 - 1), 1)
    .option(
      "--histograms <file>",
      "write per-second latency histograms to this file (the format of cockroach workload run --histograms)",
      textArg("--histograms"),
    )
    .option(
      "--report <file>",
      "write an HTML report of the run to this file (charts; opens offline)",
      textArg("--report"),
    )
    .action(
      async (o: {
        url?: string;
        histograms?: string;
        report?: string;
        concurrency: number;
        duration: number;
        maxRate: number;
        readPercent: number;
        city?: string[];
        followerReads: boolean;
        tolerateErrors: boolean;
        displayFormat: "text" | "json";
        seed: number;
      }) => {
        const cities = resolveCities(io.config, o.city);
        const { runWorkload } = await import("./run.command.ts");
        if (o.report !== undefined) {
          // Refused before connecting, not after the run.
          const { checkWritable, sameFile } = await import("./report.command.ts");
          if (o.histograms !== undefined && (await sameFile(o.histograms, o.report))) {
            throw new UsageError(`--report "${o.report}" is the --histograms file; give each its own file.`);
          }
          await checkWritable(o.report, "report");
        }
        const url = o.url ?? io.config.database.url;
        const summary = await withDatabase(io, o.url, { max: o.concurrency }, (ctx) =>
          runWorkload(
            ctx,
            {
              cities,
              readPercent: o.readPercent,
              followerReads: o.followerReads,
              concurrency: o.concurrency,
              maxRate: o.maxRate,
              tolerateErrors: o.tolerateErrors,
              seed: o.seed,
              durationMs: o.duration,
              displayFormat: o.displayFormat,
              ...(o.histograms === undefined ? {} : { histogramsFile: o.histograms }),
              ...(o.report === undefined ? {} : { reportFile: o.report }),
              ...(url === undefined ? {} : { databaseUrl: url }),
            },
            io,
          ),
        );
        if (summary.fatal) {
          writeLine(io.stderr, `movr: the run stopped: ${summary.fatal} (--tolerate-errors keeps going)`);
          setExitCode(EXIT_FAILURE);
        }
      },
    );

  program
    .command("configure-multi-region")
    .description("make the database multi-region (CockroachDB): regions, GLOBAL and REGIONAL BY ROW tables")
    .option("--url <url>", URL_HELP, textArg("--url"))
    .option(
      "--primary-region <region>",
      "the primary region (default: the first region of the map)",
      textArg("--primary-region"),
    )
    .option(
      "--region-city <region=city>",
      "home a city in a region (repeatable; default: the configured map)",
      collectText("--region-city"),
      [],
    )
    .option(
      "--from-cluster",
      "use the regions of SHOW REGIONS FROM CLUSTER, matched to the map by name",
      false,
    )
    .option("--preview", "print the statements and change nothing (works on any database)", false)
    .option("--yes", "accept guessed region matches and cities homed by fallback instead of refusing", false)
    .option(
      "--database <name>",
      "the database to configure in --preview (default: the URL's, else movr)",
      textArg("--database"),
    )
    .action(
      async (o: {
        url?: string;
        primaryRegion?: string;
        regionCity: string[];
        fromCluster: boolean;
        preview: boolean;
        yes: boolean;
        database?: string;
      }) => {
        const { runConfigureMultiRegion } = await import("./multi-region.command.ts");
        const { openCommandDatabase } = await import("./command-database.ts");
        await runConfigureMultiRegion(
          io.config,
          o.url,
          {
            primaryRegion: o.primaryRegion,
            regionCity: o.regionCity,
            fromCluster: o.fromCluster,
            preview: o.preview,
            yes: o.yes,
            databaseName: o.database,
          },
          () => openCommandDatabase(databaseConfig(io.config, o.url, { max: 1 }), io.stderr),
          io.stdout,
        );
      },
    );

  program
    .command("demo")
    .description("an in-memory database preloaded with movr data, a SQL shell on it, served on a local port")
    .option("--host <host>", "address to serve on", textArg("--host"), "127.0.0.1")
    .option("--port <port>", "port to serve on; 0 picks a free one", intArg(0, 65535), 0)
    .option(
      "--city <city>",
      "a city to load (repeatable; default: every configured city)",
      collectText("--city"),
    )
    .option("--seed <n>", "random seed of the data", intArg(0, 2 ** 31 - 1), 1)
    .option("--now <timestamp>", "end of the generated timeline (default: today 00:00 UTC)", parseTimelineEnd)
    .action(async (o: { host: string; port: number; city?: string[]; seed: number; now?: Date }) => {
      const cities = resolveCities(io.config, o.city);
      const { runDemo } = await import("./demo.command.ts");
      const summary = await runDemo(
        io.config.database,
        {
          cities,
          allCities: citiesOf(io.config.regions),
          seed: o.seed,
          ...(o.now ? { now: o.now } : {}),
          host: o.host,
          port: o.port,
        },
        io,
      );
      if (summary.stoppedOnError) setExitCode(EXIT_FAILURE);
    });

  program
    .command("sql")
    .description("an interactive SQL shell (SHOW TABLES, SHOW CREATE TABLE, multi-line statements, \\q)")
    .option("--url <url>", URL_HELP, textArg("--url"))
    .option(
      "-e, --execute <sql>",
      "run this statement instead of reading input (repeatable)",
      collectText("--execute", { multiline: true }),
      [],
    )
    .action(async (o: { url?: string; execute: string[] }) => {
      const { runSql } = await import("./sql.command.ts");
      const summary = await runSql(databaseConfig(io.config, o.url, { max: 1 }), io, o.execute);
      // A failed statement of a script (-e, piped input) ends it and the exit code says so.
      if (summary.stoppedOnError) setExitCode(EXIT_FAILURE);
    });

  program
    .command("report")
    .description(
      "an HTML report of histogram files (movr run --histograms, cockroach workload run --histograms); two or more are overlaid and compared",
    )
    .argument(
      "<histograms...>",
      "histogram files; the first is the baseline of the comparison",
      collectText("<histograms>"),
    )
    .requiredOption("--out <file>", "the HTML file to write", textArg("--out"))
    .action(async (files: string[], o: { out: string }) => {
      const { runReport } = await import("./report.command.ts");
      await runReport(files, o.out, io.stdout);
    });

  return program;
}

/**
 * Commander answers `movr` (no command) and `movr help <unknown>` with its whole help on stderr
 * and exit 1; a misuse is one line and exit 2 (README "Errors"), so those two are caught first.
 */
function checkCommand(program: Command, argv: string[]): void {
  const names = program.commands.map((c) => c.name());
  const [first, second] = argv;
  if (first === undefined) {
    throw new UsageError(`a command is required: ${names.join(", ")} (see movr --help)`);
  }
  if (first === "help" && second !== undefined && !second.startsWith("-") && !names.includes(second)) {
    throw new UsageError(`unknown command '${second}'; the commands are ${names.join(", ")}`);
  }
}

/** Runs the command line; resolves to the exit code. Never throws. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  let exitCode = 0;
  const program = buildProgram(io, (code) => {
    exitCode = code;
  });
  try {
    checkCommand(program, argv);
    await program.parseAsync(argv, { from: "user" });
    return exitCode;
  } catch (err) {
    if (
      err instanceof CommanderError &&
      ["commander.helpDisplayed", "commander.version", "commander.help"].includes(err.code)
    ) {
      return err.exitCode;
    }
    const failure = describeFailure(err);
    writeLine(io.stderr, `movr: ${failure.message}`);
    return failure.exitCode;
  }
}
