// The `movr load` baseline, as a process of its own: the same generated rows (same options, seed
// and `now`), written with COPY FROM STDIN (pg-copy-streams) in batches of COPY_BATCH_SIZE rows,
// `concurrency` batches in flight on as many connections, parents first: what `movr load` does,
// without its services, Drizzle column mapping, clash check or progress. Prints a line on stderr
// when it starts (the bench's CPU window opens there), then {"rows", "ms", "rowsPerSec"}.
//
//   node dist/bench/copy.raw.js <url> <concurrency> <GenerateOptions as JSON>
import { performance } from "node:perf_hooks";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { generate, type GenerateOptions } from "../src/workload/generate.ts";
import { COPY_BATCH_SIZE } from "../src/workload/load.service.ts";
import { openPool } from "./raw-sql.ts";

/** COPY text format: \N for NULL; backslash, tab, newline and return escaped. */
function copyField(value: unknown): string {
  if (value === null || value === undefined) return "\\N";
  const text =
    value instanceof Date
      ? value.toISOString()
      : typeof value === "object"
        ? JSON.stringify(value)
        : String(value);
  return text.replace(/\\/g, "\\\\").replace(/\t/g, "\\t").replace(/\n/g, "\\n").replace(/\r/g, "\\r");
}

async function copyTable(
  pool: pg.Pool,
  concurrency: number,
  table: string,
  columns: string[],
  rows: unknown[][],
) {
  let next = 0;
  const worker = async () => {
    while (next < rows.length) {
      const batch = rows.slice(next, next + COPY_BATCH_SIZE);
      next += batch.length;
      const text = batch.map((row) => `${row.map(copyField).join("\t")}\n`).join("");
      const client = await pool.connect();
      try {
        await pipeline(
          Readable.from([text]),
          client.query(copyFrom(`COPY ${table} (${columns.join(", ")}) FROM STDIN`)),
        );
      } finally {
        client.release();
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

async function main(url: string, concurrency: number, options: GenerateOptions): Promise<void> {
  const pool = openPool(url, concurrency);
  await Promise.all(Array.from({ length: concurrency }, () => pool.query("select 1")));
  process.stderr.write(`Copying with ${concurrency} connections.\n`);
  const started = performance.now();
  const d = generate(options);
  // Parents first (foreign keys), as movr load.
  const plan: [string, string[], unknown[][]][] = [
    [
      "users",
      ["id", "city", "name", "address", "credit_card", "is_owner"],
      d.users.map((u) => [u.id, u.city, u.name, u.address, u.creditCard, u.isOwner]),
    ],
    [
      "vehicles",
      ["id", "city", "type", "owner_id", "creation_time", "status", "current_location", "ext"],
      d.vehicles.map((v) => [
        v.id,
        v.city,
        v.type,
        v.ownerId,
        v.creationTime,
        v.status,
        v.currentLocation,
        v.ext,
      ]),
    ],
    [
      "rides",
      [
        "id",
        "city",
        "vehicle_city",
        "rider_id",
        "vehicle_id",
        "start_address",
        "end_address",
        "start_time",
        "end_time",
        "revenue",
      ],
      d.rides.map((r) => [
        r.id,
        r.city,
        r.vehicleCity,
        r.riderId,
        r.vehicleId,
        r.startAddress,
        r.endAddress,
        r.startTime,
        r.endTime,
        r.revenue,
      ]),
    ],
    [
      "vehicle_location_histories",
      ["city", "ride_id", '"timestamp"', "lat", "long"],
      d.histories.map((h) => [h.city, h.rideId, h.timestamp, h.lat, h.long]),
    ],
    [
      "promo_codes",
      ["code", "description", "creation_time", "expiration_time", "rules"],
      d.promoCodes.map((p) => [p.code, p.description, p.creationTime, p.expirationTime, p.rules]),
    ],
  ];
  for (const [table, columns, rows] of plan) await copyTable(pool, concurrency, table, columns, rows);
  const ms = performance.now() - started;
  const rows = d.users.length + d.vehicles.length + d.rides.length + d.histories.length + d.promoCodes.length;
  process.stdout.write(`${JSON.stringify({ rows, ms, rowsPerSec: (rows * 1000) / ms })}\n`);
  await pool.end();
}

const [url, concurrency, options] = process.argv.slice(2);
const parsed = JSON.parse(options!) as GenerateOptions & { now: string };
main(url!, Number(concurrency), { ...parsed, now: new Date(parsed.now) }).catch((err: unknown) => {
  process.stderr.write(`COPY baseline: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
