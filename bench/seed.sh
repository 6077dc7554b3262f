#!/usr/bin/env bash
# Seeding benchmark: generates N contacts (default one million) with `carnet seed` into a
# fresh SQLite file and a fresh PostgreSQL database, and prints contacts/second for each.
# Uses the release build. PostgreSQL: TEST_DATABASE_URL_PG if given, else a private
# server started for the run (fsync off, as in the test suite: it measures Carnet, not
# the disk).
set -euo pipefail
cd "$(dirname "$0")/.."
. .ci/env.sh
N="${N:-1000000}"
work="$(mktemp -d)"
# PostgreSQL runs as its own user when we are root: it must be able to reach its directory.
chmod 755 "$work"
started_pg=""
cleanup() { [ -n "$started_pg" ] && .ci/postgres stop "$work/pg"; rm -rf "$work"; }
trap cleanup EXIT

cargo build --release -q -p server --bin carnet
bin="$CARGO_TARGET_DIR/release/carnet"

echo "== SQLite: seeding $N contacts"
sqlite_line="$(DATABASE_URL="sqlite://$work/bench.db" CARNET_LOG=warn "$bin" seed --contacts "$N" | tail -1)"
echo "$sqlite_line"
echo "   database file: $(du -h "$work/bench.db" | cut -f1) (plus WAL)"

if [ -z "${TEST_DATABASE_URL_PG:-}" ]; then
  TEST_DATABASE_URL_PG="$(.ci/postgres start "$work/pg" $(( 56000 + RANDOM % 400 )))"
  started_pg=1
fi
db="carnet_bench_$RANDOM"
psql -q "$TEST_DATABASE_URL_PG" -c "CREATE DATABASE $db"
pg_url="${TEST_DATABASE_URL_PG%/*}/$db"
echo "== PostgreSQL: seeding $N contacts"
pg_line="$(DATABASE_URL="$pg_url" CARNET_LOG=warn "$bin" seed --contacts "$N" | tail -1)"
echo "$pg_line"
[ -z "$started_pg" ] && psql -q "$TEST_DATABASE_URL_PG" -c "DROP DATABASE $db"

rate() { sed -E 's/.*\(([0-9]+) contacts\/s\).*/\1/' <<<"$1"; }
printf '\n%-12s %15s\n' backend contacts/s
printf '%-12s %15s\n' SQLite "$(rate "$sqlite_line")" PostgreSQL "$(rate "$pg_line")"
