# Runs the Python generator of cockroachdb/movr (its `run` command: loadmovr.run_load_generator,
# unchanged) on PostgreSQL, for the bench (python.bench.ts). Nothing of that project is here:
# MOVR_PYTHON_SOURCE points at a checkout of it, and sqlalchemy_cockroachdb (for run_transaction)
# must be importable (PYTHONPATH).
#
# What differs from `python3 loadmovr.py run`, and only this:
# - The URL's scheme `cockroachdb://` is served by SQLAlchemy's own PostgreSQL dialect
#   (psycopg2): the CockroachDB dialect reads CockroachDB's version line and settings, which
#   PostgreSQL does not have. run_transaction is the same function (its SAVEPOINT is then named
#   by SQLAlchemy, not `cockroach_restart`), so each operation still sends BEGIN, SAVEPOINT, its
#   statements, RELEASE SAVEPOINT and COMMIT.
# - Its counts are read here, from its own MovRStats (each operation's cumulative count), and
#   printed as JSON lines (the generator's own table comes every 15 s, in whole seconds).
#
# Lines as workload.raw.ts prints them: "start" at the first operation counted (its clock starts
# there; the generator's own warm-up, reading every city's users and vehicles, comes before),
# "warm" at WARMUP seconds (the bench's window opens), "total" at SECONDS, then it exits.
#
#   python3 bench/python-generator.py URL SECONDS THREADS READ_FRACTION WARMUP CITY...
import json
import os
import sys
import threading
import time

sys.path.insert(0, os.environ["MOVR_PYTHON_SOURCE"])

import sqlalchemy_cockroachdb  # noqa: E402,F401  (registers the cockroachdb dialects)
from sqlalchemy.dialects import registry  # noqa: E402

registry.register("cockroachdb", "sqlalchemy.dialects.postgresql.psycopg2", "PGDialect_psycopg2")

import loadmovr  # noqa: E402
from movr_stats import MovRStats  # noqa: E402

url, seconds, threads = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
read_fraction, warmup, cities = float(sys.argv[4]), float(sys.argv[5]), sys.argv[6:]

# As loadmovr's __main__ does: the driver's scheme, and the application name.
conn_string = url.replace("postgres://", "cockroachdb://").replace("postgresql://", "cockroachdb://")
conn_string = loadmovr.set_query_parameter(conn_string, "application_name", "movr")
loadmovr.stats = MovRStats()


def counts():
    stats = loadmovr.stats
    stats.mutex.acquire()
    try:
        return dict(stats.cumulative_counts)
    finally:
        stats.mutex.release()


def report(kind, started):
    c = counts()
    line = {"type": kind, "elapsed": time.monotonic() - started, "ok": sum(c.values()), "ops": c}
    print(json.dumps(line, separators=(",", ":")), flush=True)


def sample():
    while not counts():
        time.sleep(0.005)
    started = time.monotonic()
    print('{"type":"start"}', flush=True)
    time.sleep(warmup)
    report("warm", started)
    time.sleep(max(0, seconds - (time.monotonic() - started)))
    report("total", started)
    sys.stdout.flush()
    os._exit(0)  # the generator's threads loop for ever; its main thread sleeps 15 s at a time


threading.Thread(target=sample, daemon=True).start()
loadmovr.run_load_generator(
    conn_string,
    read_percentage=read_fraction,
    connection_duration_in_seconds=30,
    city_list=cities,
    follower_reads=False,
    echo_sql=False,
    num_threads=threads,
)
