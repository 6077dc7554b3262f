#!/usr/bin/env bash
# Partner API throughput against a base of N contacts (default one million), on SQLite
# and on PostgreSQL: single-email checks over keep-alive HTTP compared with the same
# binary's /healthz in the same run (wrk, 2 threads, 32 connections, 10 s each), with
# latency percentiles; then the streaming check over 2 million hashes, with the server's
# peak memory before and after.
set -euo pipefail
cd "$(dirname "$0")/.."
. .ci/env.sh
N="${N:-1000000}"
DURATION="${DURATION:-10s}"
work="$(mktemp -d)"
chmod 755 "$work"
server=""
started_pg=""
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null || true
  [ -n "$started_pg" ] && .ci/postgres stop "$work/pg"
  rm -rf "$work"
}
trap cleanup EXIT
command -v wrk >/dev/null || { [ "$(id -u)" = 0 ] && apt-get install -y -qq wrk >/dev/null || sudo apt-get install -y -qq wrk >/dev/null; }

cargo build --release -q -p server --bin carnet
bin="$CARGO_TARGET_DIR/release/carnet"

rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
hwm_kb() { awk '/VmHWM/ {print $2}' "/proc/$1/status"; }

run_backend() {
  local label="$1" url="$2" port="$3"
  export DATABASE_URL="$url" CARNET_LOG=warn
  echo "== $label: seeding $N contacts"
  "$bin" seed --contacts "$N" | tail -1
  local partner key known
  partner="$("$bin" partner add --name "Bench $RANDOM" --price-cents 100 | tail -1)"
  key="$("$bin" key create --partner "$partner" --scopes check,export 2>/dev/null)"
  "$bin" serve --listen "127.0.0.1:$port" --partner-rate 1000000000 >/dev/null 2>&1 &
  server=$!
  for _ in $(seq 1 50); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
  # One known address to check, read back through the export (any known hash works
  # the same; an address exercises normalisation and hashing too).
  known="$(curl -fs -H "Authorization: Bearer $key" "http://127.0.0.1:$port/api/v1/suppression/export?format=sha256" | head -1 || true)"
  cat > "$work/check.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"sha256": ["$known"]}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $key"
LUA
  local health check
  health="$(wrk -t2 -c32 -d"$DURATION" "http://127.0.0.1:$port/healthz" | awk '/Requests\/sec/ {print $2}')"
  wrk -t2 -c32 -d"$DURATION" --latency -s "$work/check.lua" "http://127.0.0.1:$port/api/v1/suppression/check" > "$work/check.out"
  check="$(awk '/Requests\/sec/ {print $2}' "$work/check.out")"
  local p50 p99
  p50="$(awk '$1=="50%" {print $2}' "$work/check.out")"
  p99="$(awk '$1=="99%" {print $2}' "$work/check.out")"

  # Streaming: 2 million lines, half known MD5s from the export, half unknown.
  curl -fs -H "Authorization: Bearer $key" "http://127.0.0.1:$port/api/v1/suppression/export?format=md5" | head -1000000 > "$work/known.txt" || true
  python3 - "$work/known.txt" "$work/stream.txt" <<'PY'
import hashlib, sys
known = open(sys.argv[1]).read().split()
with open(sys.argv[2], "w") as out:
    for i, h in enumerate(known):
        out.write(h + "\n")
        out.write(hashlib.md5(f"nobody{i}@nowhere.example".encode()).hexdigest() + "\n")
PY
  local lines before start end found after cold warm
  lines="$(wc -l < "$work/stream.txt")"
  before="$(rss_kb "$server")"
  scrub() { curl -fs -H 'Expect:' -X POST -T "$work/stream.txt" -H "Authorization: Bearer $key" "http://127.0.0.1:$port/api/v1/suppression/check/stream" | wc -l; }
  # The first scrub also loads the known hashes into memory; the second finds them there.
  start="$(date +%s.%N)"; found="$(scrub)"; end="$(date +%s.%N)"
  cold="$(echo "$end - $start" | bc -l)"
  start="$(date +%s.%N)"; found="$(scrub)"; end="$(date +%s.%N)"
  warm="$(echo "$end - $start" | bc -l)"
  after="$(hwm_kb "$server")"
  kill "$server"; wait "$server" 2>/dev/null || true; server=""

  printf '\n%s, %s contacts\n' "$label" "$N"
  printf '  /healthz                         %10.0f req/s\n' "$health"
  printf '  single-email check               %10.0f req/s  (%.0f%% of /healthz)  p50 %s  p99 %s\n' "$check" "$(echo "$check * 100 / $health" | bc -l)" "$p50" "$p99"
  printf '  streaming check, first scrub     %10.0f hashes/s  (%s lines, %s known, %.1f s, loads the hash set)\n' "$(echo "$lines / $cold" | bc -l)" "$lines" "$found" "$cold"
  printf '  streaming check, next scrubs     %10.0f hashes/s  (%.1f s)\n' "$(echo "$lines / $warm" | bc -l)" "$warm"
  printf '  server memory                    %10s KiB before streaming, peak %s KiB\n' "$before" "$after"
}

run_backend "SQLite" "sqlite://$work/bench.db" $(( 4000 + RANDOM % 500 ))

if [ -z "${TEST_DATABASE_URL_PG:-}" ]; then
  TEST_DATABASE_URL_PG="$(.ci/postgres start "$work/pg" $(( 56500 + RANDOM % 400 )))"
  started_pg=1
fi
db="carnet_bench_$RANDOM"
psql -q "$TEST_DATABASE_URL_PG" -c "CREATE DATABASE $db"
run_backend "PostgreSQL" "${TEST_DATABASE_URL_PG%/*}/$db" $(( 4500 + RANDOM % 500 ))
[ -z "$started_pg" ] && psql -q "$TEST_DATABASE_URL_PG" -c "DROP DATABASE $db"
