-- Under REGIONAL BY ROW (docs/decisions/005-multi-region.md) a row's region is computed from its
-- city. A unique index whose columns include that city needs no uniqueness check in other
-- regions; any other unique index is checked in every region on each write. Two hot ones were:

-- 1. Sessions were keyed by token hash alone: every login checked every region. The key now
-- leads with the user's city, which the token carries (src/auth/auth.service.ts). Dropping and
-- adding the key in one statement changes it without keeping the old key as a unique index.
ALTER TABLE sessions DROP CONSTRAINT sessions_pkey, ADD CONSTRAINT sessions_pkey PRIMARY KEY (user_city, token_hash);

-- 2. One active ride per vehicle was indexed on (vehicle_city, vehicle_id): the region is
-- computed from `city`, not `vehicle_city` (equal under check_vehicle_city_city), so every ride
-- start checked every region. The same rule, on (city, vehicle_id); then the old index goes.
CREATE UNIQUE INDEX IF NOT EXISTS rides_one_active_per_city_vehicle ON rides (city, vehicle_id) WHERE end_time IS NULL;

DROP INDEX IF EXISTS rides_one_active_per_vehicle CASCADE;
