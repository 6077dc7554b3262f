#!/usr/bin/env bash
# Engagement at scale, on SQLite and on PostgreSQL: N contacts (default one million)
# with about EVENTS_PER_CONTACT interactions each (default 10, so ten million events).
# Prints: the whole-base recomputation of statuses (the dashboard refresh, which is
# all the "re-evaluation" Carnet needs: a status is a range of one indexed instant and
# is never stored), the /engagement page (median of 7 warm requests, signed in), and
# events ingested through the batch API (10,000 events a request, from one, two and
# four senders at a time): the rate at which they are accepted (answered once durable
# in the inbox) and the rate at which they are applied (folded into timelines and
# statuses), measured until the inbox is empty.
set -euo pipefail
cd "$(dirname "$0")/.."
. .ci/env.sh
N="${N:-1000000}"
EPC="${EVENTS_PER_CONTACT:-10}"
BATCHES="${BATCHES:-120}"
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

cargo build --release -q -p server --bin carnet
bin="$CARGO_TARGET_DIR/release/carnet"

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# Event batches for random contacts: most by id, some by email-less id only (ids are
# 1..N in a fresh base), a realistic mix of kinds, all within the last 30 days.
python3 - "$work" "$N" "$BATCHES" <<'PY'
import json, random, sys, datetime
work, n, batches = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
kinds = ["open"] * 5 + ["click"] * 3 + ["visit"] * 2 + ["purchase", "reply", "form_submission", "soft_bounce"]
now = datetime.datetime.now(datetime.timezone.utc)
random.seed(7)
for b in range(batches):
    events = []
    for _ in range(10_000):
        at = now - datetime.timedelta(seconds=random.randint(60, 30 * 86400))
        events.append({"contact_id": random.randint(1, n), "type": random.choice(kinds),
                       "occurred_at": at.strftime("%Y-%m-%dT%H:%M:%SZ"), "campaign": f"bench-{b % 7}"})
    with open(f"{work}/events-{b:03}.json", "w") as f:
        json.dump(events, f)
PY

run_backend() {
  local label="$1" url="$2" port="$3"
  export DATABASE_URL="$url" CARNET_LOG=warn
  echo "== $label: seeding $N contacts with about $EPC events each"
  "$bin" seed --contacts "$N" --events-per-contact "$EPC" | tail -2
  local refresh=()
  for _ in 1 2 3; do
    refresh+=("$("$bin" dashboard | awk '{print $(NF-1)}')")
  done
  local refresh_med
  refresh_med="$(printf '%s\n' "${refresh[@]}" | median)"

  echo 'bench-password-1234' | "$bin" user add --email bench@carnet.example --role admin --password-stdin >/dev/null
  local partner key
  partner="$("$bin" partner add --name "Mailer $RANDOM" --price-cents 0 | tail -1)"
  key="$("$bin" key create --partner "$partner" --scopes events --event-kinds all 2>/dev/null)"
  "$bin" serve --listen "127.0.0.1:$port" --partner-rate 1000000000 >/dev/null 2>&1 &
  server=$!
  for _ in $(seq 1 50); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
  local base="http://127.0.0.1:$port" jar="$work/jar-$label"
  curl -fs -c "$jar" -b "$jar" -o /dev/null -H "Origin: $base" -H "Accept: application/json" \
    --data-urlencode "email=bench@carnet.example" --data-urlencode "password=bench-password-1234" "$base/api/auth/login"
  curl -fs -b "$jar" -o /dev/null "$base/engagement"   # warm-up
  local page=()
  for _ in $(seq 1 7); do
    page+=("$(curl -fs -b "$jar" -o "$work/page.html" -w '%{time_total}' "$base/engagement")")
  done
  grep -q "Which sources produce inactives" "$work/page.html" || { echo "the dashboard did not render"; exit 1; }
  local page_ms
  page_ms="$(printf '%s\n' "${page[@]}" | median | awk '{printf "%.1f", $1 * 1000}')"

  post() { curl -fs -o /dev/null -H "Authorization: Bearer $key" -H "Content-Type: application/json" --data-binary "@$1" "$base/api/v1/events"; }
  export -f post; export key base
  # Each round: the time for the server to accept the batches (answered once durable),
  # and the time until they are applied too (the inbox folded into timelines and
  # statuses), which is the rate a sender can sustain.
  local files=("$work"/events-*.json) third=$(( ${#files[@]} / 3 )) rates=()
  round() {
    local senders="$1" from="$2" start accepted applied
    start="$(date +%s.%N)"
    printf '%s\n' "${files[@]:$from:$third}" | xargs -P "$senders" -I{} bash -c 'post "$@"' _ {}
    accepted="$(date +%s.%N)"
    until [ "$("$bin" events | tail -1)" = 0 ]; do sleep 0.05; done
    applied="$(date +%s.%N)"
    rates+=("$(echo "$third * 10000 / ($accepted - $start)" | bc -l)" "$(echo "$third * 10000 / ($applied - $start)" | bc -l)")
  }
  round 1 0
  round 2 "$third"
  round 4 $(( 2 * third ))
  kill "$server"; wait "$server" 2>/dev/null || true; server=""

  printf '\n%s, %s contacts\n' "$label" "$N"
  printf '  status recomputation, whole base (median of 3): %s s   (target < 5 s)\n' "$refresh_med"
  printf '  /engagement, median of 7 warm requests:          %s ms  (target < 150 ms)\n' "$page_ms"
  printf '  events API (%s events a round, 10,000 a request): accepted / applied\n' "$(( third * 10000 ))"
  printf '    one sender:    %7.0f / %7.0f events/s\n' "${rates[0]}" "${rates[1]}"
  printf '    two senders:   %7.0f / %7.0f events/s\n' "${rates[2]}" "${rates[3]}"
  printf '    four senders:  %7.0f / %7.0f events/s   (target >= 50,000 applied)\n\n' "${rates[4]}" "${rates[5]}"
}

run_backend "SQLite" "sqlite://$work/bench.db" 3401
if [ -z "${TEST_DATABASE_URL_PG:-}" ]; then
  # A server sized for the base (the default 128 MB of shared buffers is for laptops).
  pg_url="$(CARNET_PG_OPTS="-c shared_buffers=2GB -c max_wal_size=4GB" .ci/postgres start "$work/pg" 55433)"
  started_pg=1
else
  pg_url="$TEST_DATABASE_URL_PG"
fi
run_backend "PostgreSQL" "$pg_url" 3402
