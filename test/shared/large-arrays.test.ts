// Large inputs never overflow the stack: `push(...rows)` / `Math.max(...values)` fail past about
// 120,000 elements ("Maximum call stack size exceeded", issue 7 §6: `movr load --num-users
// 150000`). eslint now forbids spread arguments in calls; these tests cover the places that had
// them, at sizes that overflowed, and the helpers that replace them.
import { describe, expect, it } from "vitest";
import type { PathPoint } from "../../src/rides/ride.service.ts";
import { renderTable } from "../../src/cli/shell/render.ts";
import { maxOf, minOf, pushAll, TakeList } from "../../src/shared/arrays.ts";
import { routeMap } from "../../src/web/pages/ride.map.ts";
import { matchClusterRegions } from "../../src/workload/multi-region.sql.ts";
import { generate } from "../../src/workload/generate.ts";
import { Rng } from "../../src/workload/random.ts";

const BIG = 300_000; // well past the overflow point of spread arguments on Node's default stack

describe("array helpers at any length", () => {
  const values = Array.from({ length: BIG }, (_, i) => (i * 7919) % BIG);

  it("pushAll appends in order", () => {
    const target = [-1];
    expect(pushAll(target, values)).toBe(target);
    expect(target.length).toBe(BIG + 1);
    expect(target[1]).toBe(values[0]);
    expect(target[BIG]).toBe(values[BIG - 1]);
  });

  it("maxOf / minOf agree with Math.max / Math.min, floor and NaN included", () => {
    expect(maxOf(values)).toBe(BIG - 1);
    expect(minOf(values)).toBe(0);
    expect(maxOf([], 0)).toBe(0);
    expect(maxOf([-5, -2], 0)).toBe(0);
    expect(minOf([3, 9], 1)).toBe(1);
    expect(maxOf([])).toBe(Math.max());
    expect(minOf([])).toBe(Math.min());
    expect(maxOf([1, NaN, 2])).toBeNaN();
  });

  it("TakeList takes exactly what splice would, in the same order", () => {
    const rng = new Rng(5);
    const items = Array.from({ length: 1000 }, (_, i) => `u${i}`);
    const spliced = [...items];
    const list = new TakeList(items);
    while (spliced.length > 0) {
      const k = rng.int(0, spliced.length - 1);
      expect(list.take(k)).toBe(spliced.splice(k, 1)[0]);
      expect(list.length).toBe(spliced.length);
    }
    expect(() => list.take(0)).toThrow(RangeError);
  });
});

describe("the places that spread large arrays", () => {
  it("generates 150,000 users in one city (movr load --num-users 150000)", () => {
    const data = generate({
      cities: ["boston"],
      users: 150_000,
      vehicles: 2,
      rides: 2,
      histories: 0,
      promoCodes: 0,
      seed: 1,
      now: new Date("2026-01-01T00:00:00Z"),
    });
    expect(data.users.length).toBe(150_000);
    expect(new Set(data.users.map((u) => u.id)).size).toBe(150_000);
  });

  it("renders a shell result of 200,000 rows", () => {
    const rows = Array.from({ length: 200_000 }, (_, i) => [String(i)]);
    const lines = renderTable(["n"], rows);
    expect(lines.length).toBe(200_000 + 3);
    expect(lines[0]).toBe(" n".padEnd(7).trimEnd());
    expect(lines[1]).toBe("-".repeat(8));
  });

  it("draws a ride route of 200,000 points", () => {
    const path: PathPoint[] = Array.from({ length: 200_000 }, (_, i) => ({
      at: new Date(i * 1000),
      lat: 40 + (i % 1000) / 10_000,
      long: -74 + (i % 777) / 10_000,
    }));
    const map = routeMap(path);
    expect(map?.count).toBe(200_000);
  });

  it("homes 200,000 cities in a cluster region", () => {
    const cities = Array.from({ length: 200_000 }, (_, i) => `city ${i}`);
    const [region] = matchClusterRegions([{ name: "us-east1", cities }], ["us-east1"]).regions;
    expect(region?.cities.length).toBe(200_000);
  });
});
