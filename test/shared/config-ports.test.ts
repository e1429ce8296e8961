// The server's own listeners on one port: the second failed at start-up with "the port is in
// use; choose another PORT ... or stop what holds it", when what held it was the same server
// (PORT=MOVR_EMBEDDED_SQL_PORT, or PORT=5442, the SQL port's default, bound first). Refused
// when the configuration is read, naming both variables, as METRICS_PORT=PORT already was.
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig, loadToolConfig } from "../../src/config.ts";

const SERVER = { DATABASE_URL: "postgresql://movr@db.example/movr", SESSION_SECRET: "s".repeat(40) };

describe("listeners on one port", () => {
  it.each([
    [{ PORT: "41930", MOVR_EMBEDDED_SQL_PORT: "41930" }, "MOVR_EMBEDDED_SQL_PORT and PORT are both 41930"],
    [{ PORT: "5442" }, "MOVR_EMBEDDED_SQL_PORT and PORT are both 5442 (MOVR_EMBEDDED_SQL_PORT's default)"],
    [
      { METRICS_PORT: "9464", MOVR_EMBEDDED_SQL_PORT: "9464" },
      "MOVR_EMBEDDED_SQL_PORT and METRICS_PORT are both 9464",
    ],
    [{ PORT: "8080", METRICS_PORT: "8080" }, "METRICS_PORT and PORT are both 8080"],
    [{ ...SERVER, PORT: "8080", METRICS_PORT: "8080" }, "METRICS_PORT and PORT are both 8080"],
  ])("%j is refused naming both", (env, both) => {
    expect(() => loadConfig(env)).toThrow(
      new ConfigError(
        `Invalid configuration: ${both}: each of the server's listeners needs a port of its own`,
      ),
    );
  });

  it.each([
    { PORT: "0", METRICS_PORT: "0", MOVR_EMBEDDED_SQL_PORT: "0" },
    { PORT: "5442", MOVR_EMBEDDED_SQL_PORT: "off" },
    { ...SERVER, PORT: "5442" },
    { ...SERVER, PORT: "8080", MOVR_EMBEDDED_SQL_PORT: "8080" },
    { PORT: "3000", METRICS_PORT: "9464" },
  ])("%j is fine", (env) => {
    expect(() => loadConfig(env)).not.toThrow();
  });
});

describe("the movr tool", () => {
  it("listens on none of them, so their ports are not its business", () => {
    expect(() => loadToolConfig({ PORT: "5442" })).not.toThrow();
  });
});
