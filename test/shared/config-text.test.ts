// Environment variables follow the text rule of every other edge (src/shared/text.ts): a region
// named with a control character was accepted, and every city route of the API then answered a
// bare 500 (Node refuses the character in the x-movr-region header); a value with an escape
// sequence was echoed to the terminal in the error line. Region names are what cloud regions
// are named, so the header can carry them (東京 made Node refuse it just the same).
import { describe, expect, it } from "vitest";
import { parseRegionMap } from "../../src/cities/region.config.ts";
import { ConfigError, ENV_NAMES, loadConfig } from "../../src/config.ts";
import { TEXT_PROBLEM } from "../../src/shared/text.ts";

describe("environment variables with control characters or bidirectional overrides", () => {
  it.each(ENV_NAMES.flatMap((name) => ["\u0001", "\u001b[31m", "\u202e", "\n"].map((bad) => [name, bad])))(
    "%s=%j is refused by name, the value not echoed",
    (name, bad) => {
      const value = `us-east${bad}1`;
      let thrown: unknown;
      try {
        loadConfig({ [name]: value });
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toEqual(new ConfigError(`Invalid configuration: ${name}: ${TEXT_PROBLEM}`));
    },
  );
});

describe("region names (MOVR_REGIONS, --region-city)", () => {
  it.each(["us-east1", "eastus", "aws-us-east-1", "europe_west.2", "US-EAST"])(
    "%s is a region name",
    (name) => {
      expect(parseRegionMap(`${name}=boston`)).toEqual([{ name, cities: ["boston"] }]);
    },
  );

  it.each(["東京", "us east", "-us", "us/east", 'us"east', "a".repeat(64)])("%j is refused", (name) => {
    expect(() => loadConfig({ MOVR_REGIONS: `${name}=boston` })).toThrow(
      /MOVR_REGIONS: region .* is not a region name/,
    );
  });
});
