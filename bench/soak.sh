#!/usr/bin/env bash
# Soak test (not part of `make test` or `make bench`): SOAK_MINUTES (default 10) of
# mixed load against one server on a fresh base, printing every minute the requests,
# p50 and p99 latency, the count of 5xx answers and the server's memory (VmRSS, split
# into anonymous memory and mapped file pages: SQLite maps its file), then a summary
# by request kind with every status answered. It fails (exit 1) when the final RSS is
# more than 10% above the RSS after the first minute, when any 5xx was answered, or
# when any request got an answer its kind should never get (so a broken request shape
# shows instead of passing as a quiet soak). VmRSS includes the pages of the SQLite
# file the server maps (up to 1 GiB), which the kernel maps in as they are read and
# takes back under memory pressure, so it moves for reasons other than leaks;
# SOAK_MEMORY=anon judges the anonymous memory (the heap) instead, and both ratios
# are always printed.
#
# The load (bench/soak.py, Python standard library only, threads over keep-alive
# connections): SOAK_WORKERS (8) workers sharing SOAK_RATE requests/s (300, a
# target: the lines show the rate reached; 0: as fast as they can) of suppression
# checks (emails, MD5 or SHA-256, 1 to 100 values, some known), leads with fresh
# addresses and an Idempotency-Key (one in ten a retry of the last, which must get
# the first answer), events (single or batches of 2-50, half with an
# Idempotency-Key) and staff pages (/contacts with filters, searches and
# profiles, /engagement, /partners, /mail…) in a signed-in session that signs out
# and in again every 300 pages, over SOAK_PARTNERS (4) partners with a key each.
#
# Sign-ups are real and accepted: SOAK_SIGNUPS_PER_MINUTE (20) visitors fetch
# /subscribe, solve its proof of work (the server's default 16 bits, as the page's
# script does), leave the honeypot empty, send the form back after 4-8 s of "typing"
# (the time trap wants 3), each from an address of its own (X-Forwarded-For, with
# --trust-proxy, as behind a proxy; the per-address allowance is the default), and
# confirm from the mail Carnet sends over SMTP to a sink run by soak.py. A sign-up
# taken for a bot's gets the same page as a person, so the soak counts the mails: an
# accepted sign-up never mailed fails it too.
#
# The partner rate limit stays on, raised only as far as SOAK_RATE needs.
#
# Usage: bench/soak.sh   (after `make build`; CARNET_BIN=… for another binary)
#   SOAK_MINUTES=10 SOAK_WORKERS=8 SOAK_RATE=300 SOAK_SIGNUPS_PER_MINUTE=20
#   SOAK_CONTACTS=100000 (the demo base seeded first)
#   SOAK_DB_URL=postgres://user:pass@host/emptydb   (default: SQLite in a temp dir;
#   the database must be empty: contact ids 1..SOAK_CONTACTS are the seeded ones)
set -euo pipefail
cd "$(dirname "$0")/.."
. .ci/env.sh
bin="${CARNET_BIN:-$CARGO_TARGET_DIR/release/carnet}"
if [ ! -x "$bin" ]; then
  echo "no carnet binary at $bin: run \`make build\` first (or point CARNET_BIN at one)" >&2
  exit 1
fi
MINUTES="${SOAK_MINUTES:-10}"
WORKERS="${SOAK_WORKERS:-8}"
RATE="${SOAK_RATE:-300}"
SIGNUPS="${SOAK_SIGNUPS_PER_MINUTE:-20}"
CONTACTS="${SOAK_CONTACTS:-100000}"
PARTNERS="${SOAK_PARTNERS:-4}"
MEMORY="${SOAK_MEMORY:-rss}"
work="$(mktemp -d)"
chmod 755 "$work"
server=""
cleanup() {
  if [ -n "$server" ]; then
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

export DATABASE_URL="${SOAK_DB_URL:-sqlite://$work/soak.db}"
# Warnings and errors, plus the sign-up defences' verdicts (a bot's sign-up is logged).
export CARNET_LOG="${CARNET_LOG:-warn,app::signup=info}"
echo "== seeding the demo base: $CONTACTS contacts"
"$bin" demo --contacts "$CONTACTS" --credentials-file "$work/admin.txt" > "$work/demo.out" 2> "$work/demo.err" \
  || { cat "$work/demo.err" >&2; exit 1; }
grep -E '^seeded|computed' "$work/demo.out" | sed 's/^/  /'
admin_email=admin@carnet.example
SOAK_ADMIN_PASSWORD="$(cat "$work/admin.txt")"
keys=""
for i in $(seq 1 "$PARTNERS"); do
  partner="$("$bin" partner add --name "Soak partner $i" --price-cents 120 --daily-quota 1000000000 | tail -1)"
  key="$("$bin" key create --partner "$partner" --scopes check,submit,events --event-kinds all 2>"$work/key.err")" \
    || { cat "$work/key.err" >&2; exit 1; }
  keys="$keys${keys:+,}$key"
done
export SOAK_ADMIN_PASSWORD SOAK_KEYS="$keys"

# The default limit (100 requests/s per key, bursts of 200) unless the paced rate,
# spread over the partners, needs more; flat out, out of the way.
if [ "$RATE" = 0 ]; then
  partner_rate=1000000
else
  partner_rate="$(python3 -c "import math; print(max(100, math.ceil(2 * $RATE / $PARTNERS)))")"
fi
port="$(free_port)"
smtp_port="$(free_port)"
base="http://127.0.0.1:$port"
CARNET_SMTP_URL="smtp://127.0.0.1:$smtp_port" "$bin" serve --listen "127.0.0.1:$port" \
  --partner-rate "$partner_rate" --trust-proxy > "$work/server.log" 2>&1 &
server=$!
for _ in $(seq 1 100); do curl -fs "$base/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
if ! curl -fs "$base/healthz" >/dev/null 2>&1; then
  echo "the server did not start:" >&2
  tail -20 "$work/server.log" >&2
  exit 1
fi
echo "== soak: $base (pid $server), $(basename "$bin") at $bin, ${DATABASE_URL%%:*}"

set +e
python3 bench/soak.py --base "$base" --pid "$server" --admin-email "$admin_email" \
  --contacts "$CONTACTS" --smtp-port "$smtp_port" --minutes "$MINUTES" --workers "$WORKERS" \
  --rate "$RATE" --signups-per-minute "$SIGNUPS" --memory "$MEMORY"
rc=$?
set -e

sed 's/\x1b\[[0-9;]*m//g' "$work/server.log" > "$work/server.txt"
warnings="$(grep -c ' WARN ' "$work/server.txt" || true)"
errors="$(grep -c ' ERROR ' "$work/server.txt" || true)"
bots="$(grep -c "taken for a bot" "$work/server.txt" || true)"
confirmed="$(grep -c "sign-up confirmed" "$work/server.txt" || true)"
echo "server log: $warnings warnings, $errors errors; sign-ups: $confirmed confirmed, $bots taken for a bot's"
# Which warnings and errors, by message (fields stripped).
grep -E ' (WARN|ERROR) ' "$work/server.txt" | sed -E 's/^[^ ]+ +//; s/ [a-z_.]+=.*//' | sort | uniq -c | sort -rn | head -8 || true
if [ "$errors" != 0 ]; then
  echo "-- the server log's last errors:"
  grep ' ERROR ' "$work/server.txt" | tail -10 | cut -c1-300
fi
exit "$rc"
