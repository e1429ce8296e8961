// The one `timestamp` (without time zone) column type of the tables. Drizzle's own reads the
// database's text with `new Date(text + "+0000")`, which V8 gets wrong for years before 1000
// (`0002-01-01` became 2001-02-01), for BC (an invalid Date, then a 500 where it was printed) and
// for `infinity` (2000-01-01). This one reads with timestampFromText, the hot reads' reader, so
// every read path sees the same Date (docs/decisions/022-values-we-never-write.md).
import { customType } from "drizzle-orm/pg-core";
import { timestampFromText } from "./driver-rows.ts";

/**
 * A `timestamp` column read as a Date (an OutOfRangeTime for `infinity`, `-infinity` and years
 * past Date's range) and written as its ISO string (an OutOfRangeTime as its text).
 */
export const timestamp = customType<{ data: Date; driverData: string }>({
  dataType: () => "timestamp",
  fromDriver: (value) => (typeof value === "string" ? timestampFromText(value) : value),
  toDriver: (value) => value.toISOString(),
});
