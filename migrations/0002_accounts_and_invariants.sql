-- What the application adds on top of the workload's tables: logins, sessions, and the
-- invariants the database (not the application) guarantees. Columns are added nullable or
-- with defaults, so a database made by `cockroach workload init movr` upgrades in place.

ALTER TABLE users ADD COLUMN IF NOT EXISTS username VARCHAR NULL;

ALTER TABLE users ADD COLUMN IF NOT EXISTS email VARCHAR NULL;

ALTER TABLE users ADD COLUMN IF NOT EXISTS password_hash VARCHAR NULL;

ALTER TABLE users ADD COLUMN IF NOT EXISTS is_owner BOOL NOT NULL DEFAULT false;

ALTER TABLE users ADD COLUMN IF NOT EXISTS deactivated_at TIMESTAMP NULL;

CREATE UNIQUE INDEX IF NOT EXISTS users_username_key ON users (username);

-- Owners of existing vehicles are owners.
UPDATE users SET is_owner = true
WHERE is_owner = false AND EXISTS (SELECT 1 FROM vehicles v WHERE v.city = users.city AND v.owner_id = users.id);

ALTER TABLE vehicles ADD CONSTRAINT vehicles_type_check CHECK (type IN ('skateboard', 'bike', 'scooter'));

ALTER TABLE vehicles ADD CONSTRAINT vehicles_status_check CHECK (status IN ('available', 'in_use', 'lost', 'removed'));

ALTER TABLE rides ADD CONSTRAINT rides_revenue_check CHECK (revenue >= 0);

ALTER TABLE rides ADD CONSTRAINT rides_end_after_start_check CHECK (end_time >= start_time);

-- A vehicle is in at most one active ride, and a rider has at most one, whatever the concurrency.
CREATE UNIQUE INDEX IF NOT EXISTS rides_one_active_per_vehicle ON rides (vehicle_city, vehicle_id) WHERE end_time IS NULL;

CREATE UNIQUE INDEX IF NOT EXISTS rides_one_active_per_rider ON rides (city, rider_id) WHERE end_time IS NULL;

-- A city's active rides, oldest first (the workload ends the oldest).
CREATE INDEX IF NOT EXISTS rides_active_by_start ON rides (city, start_time) WHERE end_time IS NULL;

ALTER TABLE promo_codes ADD COLUMN IF NOT EXISTS times_applied INT NOT NULL DEFAULT 0;

ALTER TABLE promo_codes ADD CONSTRAINT promo_codes_times_applied_check CHECK (times_applied >= 0);

ALTER TABLE user_promo_codes ADD CONSTRAINT user_promo_codes_usage_count_check CHECK (usage_count >= 0);

CREATE TABLE IF NOT EXISTS sessions (
  token_hash VARCHAR NOT NULL,
  user_city VARCHAR NOT NULL,
  user_id UUID NOT NULL,
  created_at TIMESTAMP NOT NULL,
  expires_at TIMESTAMP NOT NULL,
  revoked_at TIMESTAMP NULL,
  CONSTRAINT sessions_pkey PRIMARY KEY (token_hash),
  CONSTRAINT fk_user_ref_users FOREIGN KEY (user_city, user_id) REFERENCES users (city, id)
);

CREATE INDEX IF NOT EXISTS sessions_by_user ON sessions (user_city, user_id);
