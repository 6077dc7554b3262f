#!/usr/bin/env bash
# Import at scale, on SQLite and on PostgreSQL: a CSV of N contacts (default one million)
# as French Excel saves it (Windows-1252, semicolons, 20 columns, 10% duplicate or
# invalid rows), imported with a subscription and its consent evidence, and a
# suppression list of N lines. Prints rows per second and the importing process's peak
# memory (the same import the server's background job runs, here from the command line
# so that its memory is its own). Uses the release build (PROFILE=profiling: that one).
set -euo pipefail
cd "$(dirname "$0")/.."
. .ci/env.sh
N="${N:-1000000}"
work="$(mktemp -d)"
chmod 755 "$work"
started_pg=""
cleanup() { [ -n "$started_pg" ] && .ci/postgres stop "$work/pg"; rm -rf "$work"; }
trap cleanup EXIT

# PROFILE=profiling measures the quicker-built profiling build instead.
PROFILE="${PROFILE:-release}"
cargo build --profile "$PROFILE" -q -p server --bin carnet
bin="$CARGO_TARGET_DIR/$PROFILE/carnet"

echo "== generating $N contacts and $N suppression lines"
python3 bench/import_data.py contacts "$N" "$work/clients.csv"
python3 bench/import_data.py suppression "$N" "$work/repoussoir.csv"
echo "   clients.csv: $(du -h "$work/clients.csv" | cut -f1), repoussoir.csv: $(du -h "$work/repoussoir.csv" | cut -f1)"

# Runs one import; prints "<rows/s> <peak own MB> <peak mapped MB> <seconds>" and keeps
# its output in $work/last. Memory is sampled from /proc every 0.1 s: the process's own
# (RssAnon: heap, SQLite's page caches, sorts) apart from the pages of the database file
# it maps (RssFile: the operating system's cache of the file, shared and reclaimable).
run() {
  local url="$1"; shift
  local start end pid anon=0 file=0 a f
  start=$(date +%s.%N)
  DATABASE_URL="$url" CARNET_LOG=warn "$bin" "$@" > "$work/last" &
  pid=$!
  while kill -0 "$pid" 2> /dev/null; do
    a=$(awk '/^RssAnon/ {print $2}' "/proc/$pid/status" 2> /dev/null || true)
    f=$(awk '/^RssFile/ {print $2}' "/proc/$pid/status" 2> /dev/null || true)
    [ -n "$a" ] && [ "$a" -gt "$anon" ] && anon=$a
    [ -n "$f" ] && [ "$f" -gt "$file" ] && file=$f
    sleep 0.1
  done
  wait "$pid"
  end=$(date +%s.%N)
  python3 - "$start" "$end" "$N" "$anon" "$file" <<'PY'
import sys
start, end, n, anon_kb, file_kb = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
print(f"{n / (end - start):.0f} {anon_kb / 1024:.0f} {file_kb / 1024:.0f} {end - start:.1f}")
PY
}

bench_backend() {
  local name="$1" url="$2"
  DATABASE_URL="$url" CARNET_LOG=warn "$bin" newsletter add --name "Lettre" > /dev/null
  read -r rate own mapped secs < <(run "$url" import contacts "$work/clients.csv" --source "Ancien CRM" \
    --newsletter Lettre --consent-text "J'accepte de recevoir la lettre." --consent-date 01/06/2024)
  echo "== $name: contacts: $rate rows/s, peak $own MB own + $mapped MB mapped file, ${secs}s"
  sed 's/^/   /' "$work/last"
  read -r srate sown smapped ssecs < <(run "$url" import suppression "$work/repoussoir.csv")
  echo "== $name: suppression list: $srate lines/s, peak $sown MB own + $smapped MB mapped file, ${ssecs}s"
  sed 's/^/   /' "$work/last"
  results+=("$(printf '%-12s %12s %14s %16s %14s' "$name" "$rate" "$own+$mapped" "$srate" "$sown+$smapped")")
}

results=()
bench_backend SQLite "sqlite://$work/bench.db"
if [ -z "${TEST_DATABASE_URL_PG:-}" ]; then
  # Configured as the README advises for production on SSDs: a cache sized to the base,
  # and index lookups priced as what they cost there.
  TEST_DATABASE_URL_PG="$(CARNET_PG_OPTS="-c shared_buffers=2GB -c random_page_cost=1.1" \
    .ci/postgres start "$work/pg" $(( 56000 + RANDOM % 400 )))"
  started_pg=1
fi
db="carnet_bench_$RANDOM"
psql -q "$TEST_DATABASE_URL_PG" -c "CREATE DATABASE $db"
bench_backend PostgreSQL "${TEST_DATABASE_URL_PG%/*}/$db"
[ -z "$started_pg" ] && psql -q "$TEST_DATABASE_URL_PG" -c "DROP DATABASE $db"

printf '\n%-12s %12s %14s %16s %14s\n' backend "contacts/s" "MB own+mapped" "suppression/s" "MB own+mapped"
printf '%s\n' "${results[@]}"
echo "(targets: 100,000 contacts/s into SQLite, 50,000 into PostgreSQL, 500,000 suppression lines/s, under 300 MB)"
