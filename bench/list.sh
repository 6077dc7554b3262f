#!/usr/bin/env bash
# Contacts-list latency at scale: seeds N contacts (default one million) into a fresh
# SQLite database, serves it with the release binary, and times the list's server
# function for the first page, a page reached by cursor, a filter, and searches (median
# of 7 warm requests each, over keep-alive-free curl calls, so connection setup is in).
set -euo pipefail
cd "$(dirname "$0")/.."
. .ci/env.sh
N="${N:-1000000}"
work="$(mktemp -d)"
server=""
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

cargo build --release -q -p server --bin carnet
bin="$CARGO_TARGET_DIR/release/carnet"
export DATABASE_URL="sqlite://$work/list.db" CARNET_LOG=warn
"$bin" seed --contacts "$N" | tail -1
printf 'bench password 123' | "$bin" user add --email bench@carnet.example --role viewer --password-stdin >/dev/null
port=$(( 3900 + RANDOM % 50 ))
"$bin" serve --listen "127.0.0.1:$port" >/dev/null 2>&1 &
server=$!
base="http://127.0.0.1:$port"
for _ in $(seq 1 50); do curl -fs "$base/healthz" >/dev/null && break; sleep 0.2; done
curl -fs -c "$work/cj" -H "Origin: $base" -H 'Accept: application/json' \
  -d 'email=bench@carnet.example&password=bench password 123' "$base/api/auth/login" >/dev/null

call() { curl -fs -b "$work/cj" -H "Origin: $base" -H 'Accept: application/json' -o "$work/out" -w '%{time_total}\n' --data "$1" "$base/api/contacts/list"; }
median_ms() {
  for _ in 1 2; do call "$1" >/dev/null; done   # warm
  for _ in $(seq 1 7); do call "$1"; done | sort -n | sed -n 4p | awk '{printf "%.1f", $1 * 1000}'
}
cursor="$(call 'query[sort]=name' >/dev/null; python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["next"])' "$work/out")"

printf '\n%-44s %10s\n' "request ($N contacts, SQLite)" "median ms"
printf '%-44s %10s\n' "first page, newest first (with total)" "$(median_ms 'query[sort]=newest')"
printf '%-44s %10s\n' "next page by name (keyset cursor)" "$(median_ms "query[sort]=name&query[after]=$cursor")"
printf '%-44s %10s\n' "filter: channel = event (with total)" "$(median_ms 'query[channel]=event')"
printf '%-44s %10s\n' "search: common name (\"dupont\")" "$(median_ms 'query[q]=dupont')"
printf '%-44s %10s\n' "search: exact email" "$(median_ms 'query[q]=camille.martin.123456@example.com')"
printf '%-44s %10s\n' "search: no match (scans every row)" "$(median_ms 'query[q]=zzzzqqq')"
