// Databases shaped like the ones `cockroach workload init movr` and `workload run movr` leave.
/** The workload's schema (PostgreSQL spelling) with a few rows, as a test fixture. */
export const BARE_WORKLOAD_SCHEMA = `
CREATE TABLE users (id UUID NOT NULL, city VARCHAR NOT NULL, name VARCHAR NULL, address VARCHAR NULL,
  credit_card VARCHAR NULL, CONSTRAINT "primary" PRIMARY KEY (city, id));
CREATE TABLE vehicles (id UUID NOT NULL, city VARCHAR NOT NULL, type VARCHAR NULL, owner_id UUID NULL,
  creation_time TIMESTAMP NULL, status VARCHAR NULL, current_location VARCHAR NULL, ext JSONB NULL,
  CONSTRAINT vehicles_primary PRIMARY KEY (city, id),
  CONSTRAINT fk_city_ref_users FOREIGN KEY (city, owner_id) REFERENCES users (city, id));
CREATE INDEX vehicles_auto_index_fk_city_ref_users ON vehicles (city, owner_id);
CREATE TABLE rides (id UUID NOT NULL, city VARCHAR NOT NULL, vehicle_city VARCHAR NULL, rider_id UUID NULL,
  vehicle_id UUID NULL, start_address VARCHAR NULL, end_address VARCHAR NULL, start_time TIMESTAMP NULL,
  end_time TIMESTAMP NULL, revenue DECIMAL(10,2) NULL, CONSTRAINT rides_primary PRIMARY KEY (city, id),
  CONSTRAINT fk_city_ref_users FOREIGN KEY (city, rider_id) REFERENCES users (city, id),
  CONSTRAINT fk_vehicle_city_ref_vehicles FOREIGN KEY (vehicle_city, vehicle_id) REFERENCES vehicles (city, id),
  CONSTRAINT check_vehicle_city_city CHECK (vehicle_city = city));
CREATE INDEX rides_auto_index_fk_city_ref_users ON rides (city, rider_id);
CREATE INDEX rides_auto_index_fk_vehicle_city_ref_vehicles ON rides (vehicle_city, vehicle_id);
CREATE TABLE vehicle_location_histories (city VARCHAR NOT NULL, ride_id UUID NOT NULL, "timestamp" TIMESTAMP NOT NULL,
  lat FLOAT8 NULL, long FLOAT8 NULL, CONSTRAINT vlh_primary PRIMARY KEY (city, ride_id, "timestamp"),
  CONSTRAINT fk_city_ref_rides FOREIGN KEY (city, ride_id) REFERENCES rides (city, id));
CREATE TABLE promo_codes (code VARCHAR NOT NULL, description VARCHAR NULL, creation_time TIMESTAMP NULL,
  expiration_time TIMESTAMP NULL, rules JSONB NULL, CONSTRAINT promo_primary PRIMARY KEY (code));
CREATE TABLE user_promo_codes (city VARCHAR NOT NULL, user_id UUID NOT NULL, code VARCHAR NOT NULL,
  "timestamp" TIMESTAMP NULL, usage_count INT NULL, CONSTRAINT upc_primary PRIMARY KEY (city, user_id, code),
  CONSTRAINT fk_city_ref_users FOREIGN KEY (city, user_id) REFERENCES users (city, id));
INSERT INTO users VALUES
  ('11111111-1111-4111-8111-111111111111', 'boston', 'Owner One', '1 Main St', '4111111111111111'),
  ('22222222-2222-4222-8222-222222222222', 'boston', 'Rider Two', '2 Main St', NULL);
INSERT INTO vehicles VALUES
  ('33333333-3333-4333-8333-333333333333', 'boston', 'bike', '11111111-1111-4111-8111-111111111111',
   '2019-01-02 03:04:05', 'available', '1 Main St', '{"color": "red", "brand": "Kona"}');
INSERT INTO rides VALUES
  ('44444444-4444-4444-8444-444444444444', 'boston', 'boston', '22222222-2222-4222-8222-222222222222',
   '33333333-3333-4333-8333-333333333333', '1 Main St', '5 Elm St', '2019-01-02 04:00:00', '2019-01-02 04:20:00', 12.50);
INSERT INTO vehicle_location_histories VALUES
  ('boston', '44444444-4444-4444-8444-444444444444', '2019-01-02 04:05:00', 42.36, -71.06);
INSERT INTO promo_codes VALUES ('WELCOME', 'Welcome', '2019-01-01', '2030-01-01', '{"type": "percent_discount", "value": "10%"}');
INSERT INTO user_promo_codes VALUES ('boston', '22222222-2222-4222-8222-222222222222', 'WELCOME', '2019-01-02', 3);
`;

const uuid = (kind: number, n: number) =>
  `${kind.toString(16).padStart(8, "0")}-0000-4000-8000-${n.toString(16).padStart(12, "0")}`;

export interface WorkloadRunShape {
  /** INSERTs to run after BARE_WORKLOAD_SCHEMA. */
  statements: string[];
  vehicles: number;
  /** Active rides (end_time NULL) inserted, several per vehicle and per rider. */
  activeRides: number;
}

/**
 * Rows as `workload init` + `workload run movr` leave them, in two cities: vehicles about 55%
 * `in_use`, 40% `available`, 5% `lost` whatever their rides; rides started on random vehicles by
 * random riders with `end_time NULL`, so vehicles and riders hold several active rides (two of
 * them starting at the same instant), next to finished rides. Deterministic.
 */
export function workloadRunShape(): WorkloadRunShape {
  const cities = ["new york", "paris"];
  const statements: string[] = [];
  let vehicleCount = 0;
  let active = 0;
  for (const [c, city] of cities.entries()) {
    const users = Array.from({ length: 6 }, (_, i) => uuid(0x10 + c, i));
    const vehicles = Array.from({ length: 20 }, (_, i) => uuid(0x20 + c, i));
    vehicleCount += vehicles.length;
    statements.push(
      `INSERT INTO users (id, city, name) VALUES ${users.map((id, i) => `('${id}', '${city}', 'User ${i}')`).join(", ")}`,
      `INSERT INTO vehicles (id, city, type, owner_id, creation_time, status) VALUES ${vehicles
        .map((id, i) => {
          const status = i % 20 === 0 ? "lost" : i % 20 < 12 ? "in_use" : "available";
          // The workload's vehicles have no creation_time.
          return `('${id}', '${city}', 'scooter', '${users[i % users.length]}', NULL, '${status}')`;
        })
        .join(", ")}`,
    );
    const rides: string[] = [];
    for (let r = 0; r < 40; r++) {
      const vehicle = vehicles[(r * 7) % 13]!; // vehicles 0..12 only: 7..19 mostly have none
      const rider = users[(r * 5) % users.length]!;
      const start = `2026-01-01 10:${String(r % 30).padStart(2, "0")}:00`;
      const ended = r % 3 === 0;
      if (!ended) active++;
      rides.push(
        `('${uuid(0x30 + c, r)}', '${city}', '${city}', '${rider}', '${vehicle}', '${start}', ${ended ? `'2026-01-01 11:00:00', 5.00` : "NULL, NULL"})`,
      );
    }
    statements.push(
      `INSERT INTO rides (id, city, vehicle_city, rider_id, vehicle_id, start_time, end_time, revenue) VALUES ${rides.join(", ")}`,
    );
  }
  return { statements, vehicles: vehicleCount, activeRides: active };
}
