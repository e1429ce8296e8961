-- The six tables of CockroachDB's built-in movr dataset, as `cockroach workload init movr`
-- makes them (same names for tables, keys, foreign keys and indexes), so a database that
-- workload created is recognised and left as it is: every statement is IF NOT EXISTS.

CREATE TABLE IF NOT EXISTS users (
  id UUID NOT NULL,
  city VARCHAR NOT NULL,
  name VARCHAR NULL,
  address VARCHAR NULL,
  credit_card VARCHAR NULL,
  CONSTRAINT users_pkey PRIMARY KEY (city, id)
);

CREATE TABLE IF NOT EXISTS vehicles (
  id UUID NOT NULL,
  city VARCHAR NOT NULL,
  type VARCHAR NULL,
  owner_id UUID NULL,
  creation_time TIMESTAMP NULL,
  status VARCHAR NULL,
  current_location VARCHAR NULL,
  ext JSONB NULL,
  CONSTRAINT vehicles_pkey PRIMARY KEY (city, id),
  CONSTRAINT fk_city_ref_users FOREIGN KEY (city, owner_id) REFERENCES users (city, id)
);

CREATE INDEX IF NOT EXISTS vehicles_auto_index_fk_city_ref_users ON vehicles (city, owner_id);

CREATE TABLE IF NOT EXISTS rides (
  id UUID NOT NULL,
  city VARCHAR NOT NULL,
  vehicle_city VARCHAR NULL,
  rider_id UUID NULL,
  vehicle_id UUID NULL,
  start_address VARCHAR NULL,
  end_address VARCHAR NULL,
  start_time TIMESTAMP NULL,
  end_time TIMESTAMP NULL,
  revenue DECIMAL(10,2) NULL,
  CONSTRAINT rides_pkey PRIMARY KEY (city, id),
  CONSTRAINT fk_city_ref_users FOREIGN KEY (city, rider_id) REFERENCES users (city, id),
  CONSTRAINT fk_vehicle_city_ref_vehicles FOREIGN KEY (vehicle_city, vehicle_id) REFERENCES vehicles (city, id),
  CONSTRAINT check_vehicle_city_city CHECK (vehicle_city = city)
);

CREATE INDEX IF NOT EXISTS rides_auto_index_fk_city_ref_users ON rides (city, rider_id);

CREATE INDEX IF NOT EXISTS rides_auto_index_fk_vehicle_city_ref_vehicles ON rides (vehicle_city, vehicle_id);

CREATE TABLE IF NOT EXISTS vehicle_location_histories (
  city VARCHAR NOT NULL,
  ride_id UUID NOT NULL,
  "timestamp" TIMESTAMP NOT NULL,
  lat FLOAT8 NULL,
  long FLOAT8 NULL,
  CONSTRAINT vehicle_location_histories_pkey PRIMARY KEY (city, ride_id, "timestamp"),
  CONSTRAINT fk_city_ref_rides FOREIGN KEY (city, ride_id) REFERENCES rides (city, id)
);

CREATE TABLE IF NOT EXISTS promo_codes (
  code VARCHAR NOT NULL,
  description VARCHAR NULL,
  creation_time TIMESTAMP NULL,
  expiration_time TIMESTAMP NULL,
  rules JSONB NULL,
  CONSTRAINT promo_codes_pkey PRIMARY KEY (code)
);

CREATE TABLE IF NOT EXISTS user_promo_codes (
  city VARCHAR NOT NULL,
  user_id UUID NOT NULL,
  code VARCHAR NOT NULL,
  "timestamp" TIMESTAMP NULL,
  usage_count INT NULL,
  CONSTRAINT user_promo_codes_pkey PRIMARY KEY (city, user_id, code),
  CONSTRAINT fk_city_ref_users FOREIGN KEY (city, user_id) REFERENCES users (city, id)
);
