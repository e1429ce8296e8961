#!/usr/bin/env bash
# Verifies MovR on a real multi-region CockroachDB cluster and saves a transcript.
# Needs the `cockroach` binary on PATH and a cluster, e.g. in another terminal:
#
#   cockroach demo --global --nodes 9 --no-example-database --insecure
#
# then, with the SQL URL of a node in us-east1 (`\demo ls` prints them; node 1 is in us-east1):
#
#   scripts/verify-cockroachdb.sh 'postgresql://root@127.0.0.1:26257/movr?sslmode=disable'
#
# Steps and what each proves: docs/cockroachdb.md. Exit status: non-zero at the first failed check.
set -euo pipefail

URL="${1:?usage: scripts/verify-cockroachdb.sh <postgresql URL of a us-east1 node, database movr>}"
TRANSCRIPT="${TRANSCRIPT:-cockroachdb-transcript-$(date -u +%Y%m%dT%H%M%SZ).txt}"
cd "$(dirname "$0")/.."
exec > >(tee "$TRANSCRIPT") 2>&1

sql() { echo "> $*"; cockroach sql --url "$URL" --format=table -e "$@"; }
step() { printf '\n=== %s\n' "$*"; }
# A URL with one more session setting (options=-c name=value, which CockroachDB accepts).
with_option() { case "$URL" in *\?*) echo "$URL&options=-c%20$1" ;; *) echo "$URL?options=-c%20$1" ;; esac; }
RIDER=00000000-0000-4000-8000-000000000001
VEHICLE=00000000-0000-4000-8000-000000000002

step "versions"
cockroach version --build-tag
sql "SELECT version()"
cockroach sql --url "$URL" -e "CREATE DATABASE IF NOT EXISTS movr"

step "schema and data: movr migrate, movr load"
npx movr migrate --url "$URL"
npx movr load --url "$URL" --num-users 90 --num-vehicles 45 --num-rides 180

step "multi-region: the cluster's regions, matched to the configured map"
sql "SHOW REGIONS FROM CLUSTER"
npx movr configure-multi-region --url "$URL"
sql "SHOW REGIONS FROM DATABASE movr"
sql "SHOW CREATE ALL TABLES"

step "hot statements: EXPLAIN (look for no uniqueness check in other regions)"
sql "INSERT INTO users (id, city, name) VALUES ('$RIDER', 'new york', 'Verify') ON CONFLICT DO NOTHING"
sql "INSERT INTO vehicles (id, city, type, owner_id, status) VALUES ('$VEHICLE', 'new york', 'bike', '$RIDER', 'available') ON CONFLICT DO NOTHING"
sql "EXPLAIN INSERT INTO sessions (token_hash, user_city, user_id, created_at, expires_at) VALUES ('h', 'new york', '$RIDER', now(), now())"
sql "EXPLAIN SELECT u.id FROM sessions s JOIN users u ON u.city = s.user_city AND u.id = s.user_id WHERE s.user_city = 'new york' AND s.token_hash = 'h' AND s.revoked_at IS NULL"
sql "EXPLAIN INSERT INTO rides (id, city, vehicle_city, rider_id, vehicle_id, start_time) VALUES (gen_random_uuid(), 'new york', 'new york', '$RIDER', '$VEHICLE', now())"
sql "EXPLAIN UPDATE vehicles SET status = 'in_use' WHERE city = 'new york' AND id = '$VEHICLE' AND status = 'available'"
sql "EXPLAIN INSERT INTO user_promo_codes (city, user_id, code, \"timestamp\", usage_count) VALUES ('new york', '$RIDER', 'X', now(), 0)"

step "enforce_home_region: the hot writes stay in the gateway's region (us-east1)"
# Each runs in a transaction that is rolled back; a statement that must visit another region
# fails with 'Query has no home region' (SQLSTATE XCHR).
for s in \
  "INSERT INTO sessions (token_hash, user_city, user_id, created_at, expires_at) VALUES ('h', 'new york', '$RIDER', now(), now())" \
  "SELECT user_id FROM sessions WHERE user_city = 'new york' AND token_hash = 'h'" \
  "INSERT INTO rides (id, city, vehicle_city, rider_id, vehicle_id, start_time) VALUES (gen_random_uuid(), 'new york', 'new york', '$RIDER', '$VEHICLE', now())" \
  "UPDATE vehicles SET status = 'in_use' WHERE city = 'new york' AND id = '$VEHICLE' AND status = 'available'"; do
  sql "SET enforce_home_region = on; BEGIN; $s; ROLLBACK"
done
echo "Expected to fail (registration checks the username in every region, accepted in ADR 005):"
sql "SET enforce_home_region = on; BEGIN; INSERT INTO users (id, city, name, username) VALUES (gen_random_uuid(), 'new york', 'V', 'verify-user'); ROLLBACK" || true

step "retries: movr run with inject_retry_errors_enabled (every transaction gets 40001 first)"
npx movr run --url "$(with_option inject_retry_errors_enabled%3Dtrue)" --duration 20s

step "done: transcript in $TRANSCRIPT"
