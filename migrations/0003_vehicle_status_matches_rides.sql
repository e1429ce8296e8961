-- A vehicle is `in_use` exactly while it has an active ride. `cockroach workload init/run movr`
-- leaves about 55% of vehicles `in_use` with no active ride (nothing the app does could free
-- them) and starts rides on vehicles it left `available`. Both are set straight here, on every
-- database, whatever migration 0002 found. Vehicles `lost` or `removed` are left as they are.

UPDATE vehicles SET status = 'available'
WHERE status = 'in_use' AND NOT EXISTS (
  SELECT 1 FROM rides r WHERE r.vehicle_city = vehicles.city AND r.vehicle_id = vehicles.id AND r.end_time IS NULL
);

UPDATE vehicles SET status = 'in_use'
WHERE status = 'available' AND EXISTS (
  SELECT 1 FROM rides r WHERE r.vehicle_city = vehicles.city AND r.vehicle_id = vehicles.id AND r.end_time IS NULL
);
