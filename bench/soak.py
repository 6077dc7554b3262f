#!/usr/bin/env python3
"""The load generator of bench/soak.sh (read its header first): Python 3.11 standard
library only, threads over keep-alive http.client connections.

Workers send a paced mix of partner suppression checks, leads, events and signed-in
staff page views; a few more threads sign people up on /subscribe the way a browser
with JavaScript does (the form fetched, its proof of work solved, the form sent back
after a few seconds of "typing", each visitor from an address of its own through
X-Forwarded-For), and confirm them from the mail Carnet sends to the SMTP sink this
script runs. Every minute it prints one line; at the end a summary by request kind,
and it exits 1 when memory grew more than the limit, any 5xx was answered, any request
got an answer its kind should never get, or a sign-up was not mailed.
"""

import argparse
import collections
import email
import email.policy
import hashlib
import http.client
import json
import math
import os
import random
import re
import socketserver
import sys
import threading
import time
import urllib.parse
import uuid

# What each kind of request must be answered with; anything else is counted as refused.
EXPECTED = {
    "check": {200},
    "lead": {201},
    "events": {200, 201},
    "staff": {200},
    "login": {200},
    "logout": {200},
    "signup-form": {200},
    "signup": {200},
    "confirm-page": {200},
    "confirm": {200},
}
# The paced mix (sign-ups and confirmations run beside it at their own pace).
MIX = [("check", 50), ("events", 25), ("staff", 20), ("lead", 5)]
EVENT_TYPES = ["open"] * 4 + ["click"] * 3 + ["visit"] * 2 + ["purchase", "reply", "form_submission", "soft_bounce"]
STAFF_PAGES = [
    ("/contacts", 4),
    ("/contacts?sort=name", 1),
    ("/contacts?status=engaged", 1),
    ("/contacts?channel=partner", 1),
    ("/contacts?q={q}", 2),
    ("/contacts/{id}", 4),
    ("/engagement", 2),
    ("/partners", 1),
    ("/incentives", 1),
    ("/mail", 1),
    ("/users", 1),
]
SEARCHES = ["mar", "dupont", "lee", "soak", "gmail", "paris", "zzzz-none"]


def pct(sorted_values, p):
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, max(0, math.ceil(p / 100 * len(sorted_values)) - 1))]


def proc_kib(pid, field):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.minute = []  # (ms, status) this minute
        self.by_kind = collections.defaultdict(list)  # kind -> [ms]
        self.statuses = collections.defaultdict(collections.Counter)  # kind -> status -> n
        self.refused_examples = {}  # (kind, status) -> a body excerpt
        self.total_5xx = 0

    def record(self, kind, ms, status, body=b""):
        with self.lock:
            self.minute.append((ms, status))
            self.by_kind[kind].append(ms)
            self.statuses[kind][status] += 1
            if status >= 500:
                self.total_5xx += 1
            if status not in EXPECTED[kind] and (kind, status) not in self.refused_examples:
                self.refused_examples[(kind, status)] = body[:300].decode("utf-8", "replace").replace("\n", " ")

    def take_minute(self):
        with self.lock:
            taken, self.minute = self.minute, []
        return taken


class Client:
    """One keep-alive connection, reopened after a network error (counted as status 0)."""

    def __init__(self, host, port, stats):
        self.host, self.port, self.stats = host, port, stats
        self.conn = None

    def request(self, kind, method, path, body=None, headers=None):
        headers = dict(headers or {})
        if isinstance(body, str):
            body = body.encode()
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
            started = time.perf_counter()
            try:
                self.conn.request(method, path, body=body, headers=headers)
                resp = self.conn.getresponse()
                data = resp.read()
            except (http.client.HTTPException, OSError) as e:
                self.conn.close()
                self.conn = None
                # A keep-alive connection the server closed while idle: retry once, quietly.
                if attempt == 1 and isinstance(e, (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError)):
                    continue
                self.stats.record(kind, (time.perf_counter() - started) * 1000, 0, str(e).encode())
                return 0, {}, b""
            ms = (time.perf_counter() - started) * 1000
            self.stats.record(kind, ms, resp.status, data)
            if resp.will_close:
                self.conn.close()
                self.conn = None
            return resp.status, resp.headers, data
        return 0, {}, b""


class Shared:
    """What the threads share: known addresses (for checks), counters, the stop flag."""

    def __init__(self, run):
        self.run = run
        self.lock = threading.Lock()
        self.known = collections.deque(maxlen=5000)
        self.counter = 0
        self.stop = threading.Event()
        self.done = threading.Event()  # the confirmations' end, after the last mails
        self.confirming = 0
        self.signups_sent = 0
        self.mails = 0
        self.confirmed = 0
        self.confirm_queue = collections.deque()
        self.confirm_ready = threading.Condition(self.lock)
        self.pending_signups = set()
        self.mailed = set()

    def next_n(self):
        with self.lock:
            self.counter += 1
            return self.counter

    def remember(self, address):
        with self.lock:
            self.known.append(address)

    def some_known(self, k):
        with self.lock:
            if not self.known:
                return []
            return random.sample(list(self.known)[-2000:], min(k, len(self.known)))


def iso(ts):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def worker(index, args, stats, shared, deadline):
    rnd = random.Random(index * 7919 + int(time.time()))
    client = Client(args.host, args.port, stats)
    key = args.keys[index % len(args.keys)]
    api = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    origin = f"http://{args.host}:{args.port}"
    cookie = None
    staff_requests = 0
    last_lead = None
    kinds, weights = zip(*MIX)
    pages, page_weights = zip(*STAFF_PAGES)
    interval = args.workers / args.rate if args.rate > 0 else 0.0
    next_at = time.monotonic() + rnd.random() * interval

    def sign_in():
        nonlocal cookie
        body = urllib.parse.urlencode({"email": args.admin_email, "password": args.admin_password})
        status, headers, _ = client.request(
            "login",
            "POST",
            "/api/auth/login",
            body,
            {"Content-Type": "application/x-www-form-urlencoded", "Origin": origin, "Accept": "application/json"},
        )
        cookie = session_cookie(headers) if status == 200 else None

    while not shared.stop.is_set() and time.monotonic() < deadline:
        if interval:
            now = time.monotonic()
            if next_at > now:
                time.sleep(next_at - now)
            # Behind schedule (a slow answer): carry on from now rather than burst.
            next_at = max(next_at + interval, time.monotonic() - 1.0)
        kind = rnd.choices(kinds, weights)[0]
        if kind == "check":
            n = rnd.choice([1, 1, 1, 5, 20, 100])
            values = shared.some_known(max(1, n // 4)) + [
                f"nobody.{shared.run}.{rnd.getrandbits(40):x}@example.net" for _ in range(n)
            ]
            form = rnd.random()
            if form < 0.6:
                body = {"emails": values}
            elif form < 0.8:
                body = {"md5": [hashlib.md5(v.strip().lower().encode()).hexdigest() for v in values]}
            else:
                body = {"sha256": [hashlib.sha256(v.strip().lower().encode()).hexdigest() for v in values]}
            client.request("check", "POST", "/api/v1/suppression/check", json.dumps(body), api)
        elif kind == "lead":
            if last_lead and rnd.random() < 0.1:
                # A partner's retry: same key, same body, the first answer again, never billed twice.
                idem, body = last_lead
            else:
                n = shared.next_n()
                address = f"lead.{shared.run}.{index}.{n}@example.org"
                idem = f"soak-{shared.run}-{index}-{n}"
                body = json.dumps(
                    {
                        "email": address,
                        "first_name": rnd.choice(["Léa", "Tom", "Ana", "Yusuf", "Mei"]),
                        "last_name": rnd.choice(["Durand", "Smith", "Okafor", "Nguyen"]),
                        "source": "soak contest",
                        "consent": {
                            "text": "I agree to receive the Weekly news by email.",
                            "form": "soak form v1",
                            "at": iso(time.time() - 60),
                            "newsletters": ["Weekly news"],
                        },
                    }
                )
                last_lead = (idem, body)
            status, _, _ = client.request("lead", "POST", "/api/v1/leads", body, {**api, "Idempotency-Key": idem})
            if status == 201:
                shared.remember(json.loads(body)["email"])
        elif kind == "events":

            def event():
                known = shared.some_known(1) if rnd.random() < 0.3 else []
                target = {"email": known[0]} if known else {"contact_id": rnd.randint(1, args.contacts)}
                return {
                    **target,
                    "type": rnd.choice(EVENT_TYPES),
                    "occurred_at": iso(time.time() - rnd.randint(0, 3600)),
                    "campaign": f"soak-{rnd.randint(1, 5)}",
                }

            body = event() if rnd.random() < 0.6 else [event() for _ in range(rnd.randint(2, 50))]
            headers = dict(api)
            if rnd.random() < 0.5:
                headers["Idempotency-Key"] = f"delivery-{uuid.uuid4().hex}"
            client.request("events", "POST", "/api/v1/events", json.dumps(body), headers)
        else:  # staff
            if cookie is None:
                sign_in()
                if cookie is None:
                    time.sleep(1)
                    continue
            page = rnd.choices(pages, page_weights)[0].format(q=rnd.choice(SEARCHES), id=rnd.randint(1, args.contacts))
            status, headers, _ = client.request("staff", "GET", page, None, {"Cookie": cookie, "Accept": "text/html"})
            cookie = session_cookie(headers) or cookie
            staff_requests += 1
            if status in (301, 302, 303, 307, 401):
                cookie = None  # signed out under us: sign in again (and the refusal is counted)
            elif staff_requests % args.session_requests == 0:
                # Sessions come and go: sign out, and the next page signs in afresh.
                client.request(
                    "logout",
                    "POST",
                    "/api/auth/logout",
                    "",
                    {
                        "Cookie": cookie,
                        "Origin": origin,
                        "Accept": "application/json",
                        "Content-Type": "application/x-www-form-urlencoded",
                    },
                )
                cookie = None


def session_cookie(headers):
    if not headers:
        return None
    for value in headers.get_all("Set-Cookie") or []:
        pair = value.split(";", 1)[0].strip()
        if pair.startswith("carnet_session="):
            if "max-age=0" in value.lower() or pair == "carnet_session=":
                return None
            return pair
    return None


def solve_pow(ticket, bits):
    """What /subscribe/pow.js does in the browser: the first nonce whose SHA-256 with
    the ticket starts with `bits` zero bits."""
    base = hashlib.sha256((ticket + ":").encode())
    limit = 1 << (32 - bits)
    n = 0
    while True:
        h = base.copy()
        h.update(str(n).encode())
        if int.from_bytes(h.digest()[:4], "big") < limit:
            return str(n)
        n += 1


TICKET = re.compile(r'name="ticket" value="([^"]+)"')
BITS = re.compile(r'data-pow-bits="(\d+)"')
NEWSLETTER = re.compile(r'name="nl" value="(\d+)"')


def signup_worker(index, args, stats, shared, pacer, deadline):
    rnd = random.Random(index * 104729 + int(time.time()))
    client = Client(args.host, args.port, stats)
    origin = f"http://{args.host}:{args.port}"
    while not shared.stop.is_set():
        with pacer["lock"]:
            start = max(pacer["next"], time.monotonic())
            pacer["next"] = start + 60.0 / args.signups_per_minute
        if start >= deadline:
            return
        time.sleep(max(0.0, start - time.monotonic()))
        # Each visitor from an address of its own (198.18.0.0/15, the benchmarking range),
        # as a proxy in front of Carnet would say.
        n = shared.next_n()
        visitor = f"198.{18 + (n >> 16) % 2}.{(n >> 8) & 255}.{n & 255}"
        xff = {"X-Forwarded-For": visitor}
        status, _, page = client.request(
            "signup-form", "GET", "/subscribe?source=event&detail=Soak%20day", None, {**xff, "Accept": "text/html"}
        )
        shown = time.monotonic()
        text = page.decode("utf-8", "replace")
        ticket, bits, offered = TICKET.search(text), BITS.search(text), NEWSLETTER.findall(text)
        if status != 200 or not ticket or not bits or not offered:
            print(f"  sign-up form without ticket or newsletters (status {status})", file=sys.stderr)
            continue
        ticket = ticket.group(1).replace("&amp;", "&")
        nonce = solve_pow(ticket, int(bits.group(1)))
        # A person takes a few seconds to type (the time trap refuses less than 3 by default).
        time.sleep(max(0.0, shown + rnd.uniform(args.typing_seconds, args.typing_seconds * 2) - time.monotonic()))
        address = f"signup.{shared.run}.{n}@example.com"
        form = [
            ("ticket", ticket),
            ("pow", nonce),
            ("source", "event"),
            ("detail", "Soak day"),
            ("newsletters", ""),
            ("lang", "en"),
            ("kiosk", ""),
            ("email", address),
            ("first_name", rnd.choice(["Inès", "Sam", "Jo"])),
            ("website", ""),
        ] + [("nl", nl) for nl in rnd.sample(offered, rnd.randint(1, len(offered)))]
        status, _, body = client.request(
            "signup",
            "POST",
            "/subscribe",
            urllib.parse.urlencode(form),
            {
                **xff,
                "Content-Type": "application/x-www-form-urlencoded",
                "Origin": origin,
                "Sec-Fetch-Site": "same-origin",
                "Accept": "text/html",
            },
        )
        if status == 200 and b"Check your mail" in body:
            with shared.lock:
                shared.signups_sent += 1
                if address not in shared.mailed:  # (its mail may already be here)
                    shared.pending_signups.add(address)


LINK = re.compile(r"https?://[^/\s]+(/s/[A-Za-z0-9_-]+\?lang=[a-z]+)")


def confirm_worker(args, stats, shared):
    client = Client(args.host, args.port, stats)
    origin = f"http://{args.host}:{args.port}"
    while True:
        with shared.confirm_ready:
            while not shared.confirm_queue and not shared.done.is_set():
                shared.confirm_ready.wait(0.5)
            if not shared.confirm_queue:
                return
            address, path = shared.confirm_queue.popleft()
            shared.confirming += 1
        try:
            confirm_one(client, origin, stats, shared, address, path)
        finally:
            with shared.lock:
                shared.confirming -= 1


def confirm_one(client, origin, stats, shared, address, path):
    # A person opens the link (a GET only shows the button), then presses it.
    status, _, page = client.request("confirm-page", "GET", path, None, {"Accept": "text/html"})
    if status != 200 or b"Confirm my subscription" not in page:
        return
    status, _, page = client.request(
        "confirm",
        "POST",
        path,
        "",
        {
            "Content-Type": "application/x-www-form-urlencoded",
            "Origin": origin,
            "Sec-Fetch-Site": "same-origin",
            "Accept": "text/html",
        },
    )
    if status == 200 and b"You are subscribed" in page:
        with shared.lock:
            shared.confirmed += 1
        shared.remember(address)


def smtp_sink(port, shared):
    """A minimal SMTP server: takes every message, finds the confirmation link in it."""

    class Handler(socketserver.StreamRequestHandler):
        def handle(self):
            def reply(line):
                self.wfile.write(line.encode() + b"\r\n")

            reply("220 carnet-soak-sink")
            rcpts, data, in_data = [], [], False
            for raw in self.rfile:
                line = raw.rstrip(b"\r\n")
                if in_data:
                    if line == b".":
                        in_data = False
                        deliver(rcpts, b"\r\n".join(data))
                        rcpts, data = [], []
                        reply("250 queued")
                    else:
                        data.append(line[1:] if line.startswith(b"..") else line)
                    continue
                verb = line[:4].upper()
                if verb == b"EHLO":
                    self.wfile.write(b"250-carnet-soak-sink\r\n250 8BITMIME\r\n")
                elif verb in (b"HELO", b"MAIL", b"RSET", b"NOOP"):
                    reply("250 ok")
                elif verb == b"RCPT":
                    m = re.search(rb"<([^>]*)>", line)
                    if m:
                        rcpts.append(m.group(1).decode())
                    reply("250 ok")
                elif verb == b"DATA":
                    in_data = True
                    reply("354 go ahead")
                elif verb == b"QUIT":
                    reply("221 bye")
                    return
                else:
                    reply("502 not implemented")

    def deliver(rcpts, raw):
        message = email.message_from_bytes(raw, policy=email.policy.default)
        text = ""
        for part in message.walk():
            if part.get_content_type() == "text/plain":
                text += part.get_content()
        link = LINK.search(text)
        with shared.confirm_ready:
            shared.mails += 1
            for to in rcpts:
                shared.pending_signups.discard(to)
                shared.mailed.add(to)
                if link:
                    shared.confirm_queue.append((to, link.group(1)))
            shared.confirm_ready.notify()

    class Server(socketserver.ThreadingTCPServer):
        daemon_threads = True
        allow_reuse_address = True

    server = Server(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--base", required=True)
    p.add_argument("--pid", type=int, required=True)
    p.add_argument("--admin-email", required=True)
    p.add_argument("--contacts", type=int, required=True, help="contact ids 1..N exist")
    p.add_argument("--smtp-port", type=int, required=True)
    p.add_argument("--minutes", type=float, default=10)
    p.add_argument("--workers", type=int, default=8)
    p.add_argument("--rate", type=float, default=300, help="paced requests/s over all workers; 0: flat out")
    p.add_argument("--signups-per-minute", type=float, default=20)
    p.add_argument("--typing-seconds", type=float, default=4)
    p.add_argument("--session-requests", type=int, default=300)
    p.add_argument("--max-growth", type=float, default=1.10)
    p.add_argument(
        "--memory",
        choices=["rss", "anon"],
        default="rss",
        help="what the verdict compares: VmRSS (default), or RssAnon (without SQLite's mapped file pages)",
    )
    args = p.parse_args()
    url = urllib.parse.urlsplit(args.base)
    args.host, args.port = url.hostname, url.port
    # Secrets come through the environment, not the command line (ps shows that).
    args.keys = [k for k in os.environ.get("SOAK_KEYS", "").split(",") if k]
    args.admin_password = os.environ.get("SOAK_ADMIN_PASSWORD", "")
    if not args.keys or not args.admin_password:
        p.error("set SOAK_KEYS (comma-separated partner keys) and SOAK_ADMIN_PASSWORD")

    stats = Stats()
    shared = Shared(f"{int(time.time())}{random.randint(100, 999)}")
    sink = smtp_sink(args.smtp_port, shared)
    started = time.monotonic()
    deadline = started + args.minutes * 60
    threads = [threading.Thread(target=worker, args=(i, args, stats, shared, deadline), daemon=True) for i in range(args.workers)]
    pacer = {"lock": threading.Lock(), "next": started}
    signup_threads = max(1, math.ceil(args.signups_per_minute / 60 * args.typing_seconds * 2.5)) if args.signups_per_minute > 0 else 0
    threads += [
        threading.Thread(target=signup_worker, args=(i, args, stats, shared, pacer, deadline), daemon=True)
        for i in range(signup_threads)
    ]
    confirmers = [threading.Thread(target=confirm_worker, args=(args, stats, shared), daemon=True) for _ in range(2)]
    for t in threads + confirmers:
        t.start()

    print(
        f"{args.workers} workers at {'full speed' if args.rate <= 0 else f'{args.rate:g} req/s'} "
        f"(checks, events, staff pages, leads) + {args.signups_per_minute:g} sign-ups/min, for {args.minutes:g} min",
        flush=True,
    )
    print(f"{'minute':>6} {'requests':>9} {'req/s':>7} {'p50 ms':>8} {'p99 ms':>8} {'5xx':>5} {'rss MiB':>8} {'anon':>7} {'file':>7}", flush=True)
    rss, anons = [], []
    minutes = math.ceil(args.minutes)
    server_died = False
    for m in range(1, minutes + 1):
        until = min(started + m * 60, deadline)
        time.sleep(max(0.0, until - time.monotonic()))
        taken = stats.take_minute()
        span = until - (started + (m - 1) * 60)
        ms = sorted(t for t, _ in taken)
        fivexx = sum(1 for _, s in taken if s >= 500)
        kib = proc_kib(args.pid, "VmRSS")
        if kib is None:
            server_died = True
            print(f"{m:>6}  the server (pid {args.pid}) is gone", flush=True)
            break
        anon, file_ = proc_kib(args.pid, "RssAnon") or 0, proc_kib(args.pid, "RssFile") or 0
        rss.append(kib)
        anons.append(anon)
        print(
            f"{m:>6} {len(taken):>9} {len(taken) / span:>7.1f} {pct(ms, 50):>8.1f} {pct(ms, 99):>8.1f} {fivexx:>5} "
            f"{kib / 1024:>8.1f} {anon / 1024:>7.1f} {file_ / 1024:>7.1f}",
            flush=True,
        )
    shared.stop.set()
    for t in threads:
        t.join(timeout=30)
    # The last sign-ups' mails leave the outbox within its 5-second round: wait for them
    # (outside the figures above) so that a missing one means a refused sign-up.
    wait_until = time.monotonic() + 20
    while time.monotonic() < wait_until:
        with shared.lock:
            if not shared.pending_signups and not shared.confirm_queue and not shared.confirming:
                break
        time.sleep(0.5)
    shared.done.set()
    for t in confirmers:
        t.join(timeout=30)
    sink.shutdown()

    print("\nby kind      requests   p50 ms   p99 ms   answers (status: count)")
    refused = 0
    for kind in EXPECTED:
        if kind not in stats.by_kind:
            continue
        ms = sorted(stats.by_kind[kind])
        answers = ", ".join(f"{s}: {c}" for s, c in sorted(stats.statuses[kind].items()))
        bad = sum(c for s, c in stats.statuses[kind].items() if s not in EXPECTED[kind])
        refused += bad
        print(f"  {kind:<12} {len(ms):>8} {pct(ms, 50):>8.1f} {pct(ms, 99):>8.1f}   {answers}{'   <- unexpected' if bad else ''}")
    for (kind, status), body in sorted(stats.refused_examples.items()):
        print(f"  {kind} {status or 'network error'}: {body[:200]}")
    missing = [k for k in ("check", "lead", "events", "staff") if k not in stats.by_kind]
    if args.signups_per_minute > 0 and "signup" not in stats.by_kind:
        missing.append("signup")
    with shared.lock:
        sent, mails, confirmed, unmailed = shared.signups_sent, shared.mails, shared.confirmed, len(shared.pending_signups)
    print(f"sign-ups: {sent} sent, {mails} confirmation mails received, {confirmed} confirmed; {unmailed} never mailed")

    failures = []
    if server_died:
        failures.append("the server died")
    if len(rss) >= 2:
        judged = "rss" if args.memory == "rss" else "anon"
        for name, series in (("rss", rss), ("anon", anons)):
            ratio = series[-1] / max(1, series[0])
            verdict = f"(limit {args.max_growth:.2f})" if name == judged else "(not judged)"
            print(
                f"memory ({name}): {series[0] / 1024:.1f} MiB after minute 1, {series[-1] / 1024:.1f} MiB at the end: "
                f"ratio {ratio:.3f} {verdict}"
            )
            if name == judged and ratio > args.max_growth:
                failures.append(f"memory ({name}) grew {100 * (ratio - 1):.1f}% after minute 1")
    elif rss:
        print(f"memory: {rss[0] / 1024:.1f} MiB after minute 1 (one minute only: no ratio)")
    print(f"5xx answers: {stats.total_5xx}")
    if stats.total_5xx:
        failures.append(f"{stats.total_5xx} answers were 5xx")
    if refused:
        failures.append(f"{refused} answers were not what their kind expects")
    if unmailed or mails < sent:
        failures.append(f"{max(unmailed, sent - mails)} accepted sign-ups were never mailed (taken for a bot's?)")
    if confirmed < mails:
        failures.append(f"{mails - confirmed} mailed sign-ups could not be confirmed")
    if missing:
        failures.append("no request of kind " + ", ".join(missing))
    print("PASS" if not failures else "FAIL: " + "; ".join(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
