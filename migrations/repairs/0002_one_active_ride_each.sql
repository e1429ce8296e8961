-- Runs right before migration 0002, and only on a database that has not applied it yet
-- (src/db/migrate.ts). `cockroach workload run movr` starts rides for random vehicles and riders
-- whatever their state, so its database holds several active rides (end_time NULL) per vehicle
-- and per rider, and 0002's one-active-ride unique indexes could not be built (23505). Every
-- active ride but the newest of its vehicle, and then of its rider, is ended at its own start
-- time (a zero-length ride, revenue left NULL: nobody knows when it really ended). Safe to run
-- twice: a second run finds nothing to end. docs/cockroachdb.md describes the repair.

UPDATE rides SET end_time = COALESCE(start_time, TIMESTAMP '1970-01-01 00:00:00')
WHERE end_time IS NULL AND (city, id) IN (
  SELECT city, id FROM (
    SELECT city, id, row_number() OVER (
      PARTITION BY city, vehicle_id ORDER BY start_time DESC NULLS LAST, id DESC
    ) AS newest
    FROM rides WHERE end_time IS NULL AND vehicle_id IS NOT NULL
  ) AS active WHERE newest > 1
);

UPDATE rides SET end_time = COALESCE(start_time, TIMESTAMP '1970-01-01 00:00:00')
WHERE end_time IS NULL AND (city, id) IN (
  SELECT city, id FROM (
    SELECT city, id, row_number() OVER (
      PARTITION BY city, rider_id ORDER BY start_time DESC NULLS LAST, id DESC
    ) AS newest
    FROM rides WHERE end_time IS NULL AND rider_id IS NOT NULL
  ) AS active WHERE newest > 1
);
