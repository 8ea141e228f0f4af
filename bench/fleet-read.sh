#!/usr/bin/env bash
# The cost of one refresh of the fleet view (`drainctl top --postgres`, `ls --postgres`) with 100 workers:
# the three statements of FleetReader.read() in one round trip (bench/fleet-read/read.sql, checked against the
# reader by a test), and the hand-off tracker's state lookup, each against a `SELECT 1` floor measured in
# the same run on the same connection kind (a Unix socket), with pgbench.
#
#   bench/fleet-read.sh [--seconds N]      prints one line of JSON
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=10
if [ "${1:-}" = "--seconds" ]; then seconds=$2; fi
bin=$(dirname "$(ls /usr/lib/postgresql/*/bin/pg_ctl 2>/dev/null | head -1)")
[ -x "$bin/pg_ctl" ] || { echo "fleet-read.sh: no PostgreSQL server binaries (apt-get install postgresql)" >&2; exit 1; }
dir=$(mktemp -d /tmp/fleet-bench-XXXXXX)
as_server() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown postgres "$dir"
cleanup() { as_server "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true; rm -rf "$dir"; }
trap cleanup EXIT
as_server "$bin/initdb" -D "$dir/data" -U postgres --auth=trust --no-sync >/dev/null
as_server "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w -o "-k $dir -c listen_addresses=" start >/dev/null
psql -h "$dir" -U postgres -q -v ON_ERROR_STOP=1 -f bench/fleet-read/schema.sql >/dev/null
latency() {
    pgbench -h "$dir" -U postgres -n -c 1 -T "$seconds" -f "$1" postgres 2>/dev/null \
        | sed -n 's/^latency average = \([0-9.]*\) ms$/\1/p'
}
floor=$(latency bench/fleet-read/floor.sql)
read=$(latency bench/fleet-read/read.sql)
states=$(latency bench/fleet-read/states.sql)
python3 - "$floor" "$read" "$states" <<'PY'
import json, sys
floor, read, states = map(float, sys.argv[1:])
print(json.dumps({
    "workers": 100, "running_jobs": 1000, "queued_jobs": 5000, "finished_jobs": 200000,
    "floor_select_1_ms": floor, "fleet_read_ms": read, "fleet_read_over_floor": round(read / floor, 2),
    "handoff_states_ms": states, "handoff_states_over_floor": round(states / floor, 2),
    "db_time_per_second_at_1_read_per_second_ms": round(read + states, 3),
}))
PY
