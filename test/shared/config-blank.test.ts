// A variable set to spaces alone is refused by name: HOST=" " used to fail at listen time as
// "getaddrinfo ENOTFOUND" (naming nothing), MOVR_DATA_DIR=" " made a directory named by spaces,
// DB_APPLICATION_NAME=" " was sent to the server. Empty stays "unset" (shells, .env files).
import { describe, expect, it } from "vitest";
import { ConfigError, ENV_NAMES, loadConfig } from "../../src/config.ts";

describe("environment variables of spaces alone", () => {
  it.each(ENV_NAMES)("%s='  ' is refused by name", (name) => {
    expect(() => loadConfig({ [name]: "  " })).toThrow(
      new ConfigError(
        `Invalid configuration: ${name}: is only spaces (leave it empty or unset for the default)`,
      ),
    );
  });

  it("an empty value is still the default", () => {
    expect(loadConfig({ HOST: "", PORT: "" })).toMatchObject({ host: "127.0.0.1", port: 3000 });
  });
});
