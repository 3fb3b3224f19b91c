#!/usr/bin/env python3
"""The meetup-list benchmark of moim (driven by bench/meetups/run.sh; Python 3 standard library only).

What it does, in order:
 1. `moim migrate` on a fresh SQLite data dir and a fresh PostgreSQL database, then inserts
    20 000 users and 100 000 meetups in one transaction each (SQLite: executemany; PostgreSQL:
    COPY, then ANALYZE as autovacuum would within a minute). Meetups start from 120 days ago to
    60 days ahead, around nine Korean cities (spread ~15 km), with every theme, level, time of day,
    distance and capacity, a tenth of them full, a few cancelled.
 2. Starts one `moim serve` per backend and builds 2 000 list URLs, each with 4 filters (a date
    window of 7-30 days, 2-3 time-of-day slots, 1-2 distance bands, 2-3 themes) and a near point
    (a city centre moved up to 10 km, within 5-20 km); default sort (soonest), 20 per page.
 3. Load: wrk -t2 -c32 -d15s --latency (bench/api/load.lua picks a random URL per request) after
    a 3 s warm-up, BENCH_RUNS rounds alternating the backends; medians of the rounds reported.
    Every request must be a 200 (wrk's error counts and moim's per-status /metrics counters).
 4. Writes the table between <!-- meetups:begin --> and <!-- meetups:end --> in docs/BENCHMARKS.md.

Environment knobs (defaults in brackets): BENCH_DURATION [15], BENCH_RUNS [3], BENCH_CONNECTIONS
[32], BENCH_THREADS [2], BENCH_WARMUP [3], BENCH_BACKENDS [sqlite,postgres], BENCH_PG_ADMIN_URL
[postgres://postgres@127.0.0.1:5432/postgres], BENCH_PG_DB [moim_bench_meetups], BENCH_MOIM_BIN,
BENCH_WRITE_DOC [1], BENCH_KEEP [0] (keep the work dir), BENCH_LABEL. MOIM_* variables pass
through to the servers.
"""

from __future__ import annotations

import atexit
import datetime as dt
import http.client
import json
import math
import os
import random
import re
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
LOAD_LUA = os.path.join(ROOT, "bench", "api", "load.lua")
MOIM = os.environ.get("BENCH_MOIM_BIN", os.path.join(ROOT, "target", "release", "moim"))
DURATION = int(os.environ.get("BENCH_DURATION", "15"))
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "32"))
THREADS = int(os.environ.get("BENCH_THREADS", "2"))
WARMUP = int(os.environ.get("BENCH_WARMUP", "3"))
BACKENDS = [b for b in os.environ.get("BENCH_BACKENDS", "sqlite,postgres").split(",") if b]
PG_ADMIN = os.environ.get("BENCH_PG_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres")
PG_DB = os.environ.get("BENCH_PG_DB", "moim_bench_meetups")
PG_URL = PG_ADMIN.rsplit("/", 1)[0] + "/" + PG_DB
WRITE_DOC = os.environ.get("BENCH_WRITE_DOC", "1") == "1"
KEEP = os.environ.get("BENCH_KEEP", "0") == "1"
LABEL = os.environ.get("BENCH_LABEL", "")

N_USERS = 20_000
N_MEETUPS = 100_000
N_URLS = 2_000
TARGET_P99_MS = 30.0
PORTS = {"sqlite": 18191, "postgres": 18192, "setup": 18193}
HOST = "127.0.0.1"
ROUTE = "/api/v1/meetups"

# (name, region, lat, lng) of the cities the meetups gather around.
CITIES = [
    ("서울", 1, 37.5665, 126.9780),
    ("경기 수원시", 2, 37.2636, 127.0286),
    ("인천", 3, 37.4563, 126.7052),
    ("강원 춘천시", 4, 37.8813, 127.7298),
    ("대전", 5, 36.3504, 127.3845),
    ("대구", 6, 35.8714, 128.6014),
    ("부산", 7, 35.1796, 129.0756),
    ("광주", 8, 35.1595, 126.8526),
    ("제주", 9, 33.4996, 126.5312),
]
# Seoul and its surroundings hold most meetups, as in the original service.
CITY_WEIGHTS = [40, 15, 8, 4, 7, 7, 10, 5, 4]
THEMES = ["city", "park", "track", "river", "mountain", "beach", "study", "games", "other"]
LEVELS = ["any", "beginner", "intermediate", "advanced"]
PACES = ["5:30", "6:00", "6:30", "7:00", ""]

procs: list[subprocess.Popen] = []
work = tempfile.mkdtemp(prefix="moim-bench-meetups-")
pg_created = False


def log(*a):
    print(f"[bench {time.strftime('%H:%M:%S')}]", *a, file=sys.stderr, flush=True)


def die(msg):
    log("FAILED:", msg)
    sys.exit(1)


def stop(p: subprocess.Popen):
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(timeout=10)
    if p in procs:
        procs.remove(p)


def cleanup():
    for p in list(procs):
        try:
            stop(p)
        except Exception as e:  # clean-up must go on
            log("could not stop", p.pid, e)
    if pg_created and not KEEP:
        subprocess.run(
            ["psql", PG_ADMIN, "-qc", f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=60,
        )
    if KEEP:
        log("work dir kept:", work)
    else:
        shutil.rmtree(work, ignore_errors=True)


atexit.register(cleanup)
for s in (signal.SIGINT, signal.SIGTERM):
    signal.signal(s, lambda *_: sys.exit(130))


def moim_env(db_url: str, data_dir: str, listen: str) -> dict:
    env = dict(os.environ)
    env.update(MOIM_DATABASE_URL=db_url, MOIM_DATA_DIR=data_dir, MOIM_LISTEN=listen)
    return env


def spawn(argv, env, logname) -> subprocess.Popen:
    out = open(os.path.join(work, logname), "ab")
    p = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT)
    procs.append(p)
    return p


def request(port, method, path, timeout=10.0):
    c = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        c.request(method, path)
        r = c.getresponse()
        return r.status, r.read()
    finally:
        c.close()


def wait_ready(port, p: subprocess.Popen, timeout=60.0):
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if p.poll() is not None:
            die(f"server on port {port} exited with {p.returncode} (see {work})")
        try:
            status, _ = request(port, "GET", "/readyz", timeout=1.0)
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.02)
    die(f"server on port {port} not ready after {timeout}s")


def run(argv, **kw):
    r = subprocess.run(argv, capture_output=True, text=True, timeout=kw.pop("timeout", 900), **kw)
    if r.returncode != 0:
        die(f"{' '.join(argv)} -> {r.returncode}\n{r.stdout}\n{r.stderr}")
    return r.stdout


# ------------------------------------------------------------------------------------------------
# Data


def uuid7(rng: random.Random, ms: int) -> uuid.UUID:
    value = (ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76 | rng.getrandbits(12) << 64 | 0b10 << 62 | rng.getrandbits(62)
    return uuid.UUID(int=value)


USER_COLS = [
    "id", "email", "email_verified_at", "password_hash", "nickname", "nickname_key", "bio",
    "locale", "time_zone", "session_epoch", "created_at", "updated_at",
]
MEETUP_COLS = [
    "id", "host_id", "group_id", "is_public", "title", "description", "starts_at", "time_zone",
    "start_hour", "address", "region", "lat", "lng", "route", "distance_m", "pace", "level",
    "theme", "capacity", "participant_count", "waitlist", "approval", "images", "parking",
    "baggage", "chat_link", "attendance_at", "cancelled_at", "created_at", "updated_at",
]
DESCRIPTION = (
    "한강을 따라 천천히 달려요. 처음 오신 분도 환영합니다. 물과 수건은 각자 챙겨 주세요.\n"
    "An easy run along the river; beginners welcome."
)
KST = dt.timezone(dt.timedelta(hours=9))


def dataset(now: int):
    rng = random.Random(20261121)
    minute = 60_000
    day = 24 * 60 * minute
    users = []
    for i in range(N_USERS):
        created = now - (N_USERS - i) * 30 * minute
        nick = f"u{i:05d}"
        users.append([
            uuid7(rng, created), f"{nick}@bench.moim.test", created + minute,
            # Nobody logs in during this benchmark: a placeholder that is no valid hash.
            "!bench", nick, nick, "", "ko", "Asia/Seoul", 0, created, created,
        ])
    meetups = []
    for i in range(N_MEETUPS):
        starts = now + rng.randint(-120 * day, 60 * day)
        starts -= starts % (15 * minute)
        created = min(now, starts - rng.randint(1, 30) * day)
        name, region, clat, clng = rng.choices(CITIES, CITY_WEIGHTS)[0]
        r_km = abs(rng.gauss(0, 15))
        ang = rng.random() * 2 * math.pi
        lat = clat + (r_km / 111.32) * math.sin(ang)
        lng = clng + (r_km / (111.32 * math.cos(math.radians(clat)))) * math.cos(ang)
        capacity = rng.randint(2, 20)
        full = rng.random() < 0.1
        count = capacity if full else rng.randint(1, capacity)
        hour = dt.datetime.fromtimestamp(starts / 1000, KST).hour
        meetups.append([
            uuid7(rng, created), users[rng.randrange(N_USERS)][0], None, True,
            f"{THEMES[i % 9]} 모임 {i:06d}", DESCRIPTION, starts, "Asia/Seoul", hour,
            f"{name} 어딘가 {i % 100}길", region, lat, lng, "[]",
            rng.choice([0, rng.randint(1_000, 4_999), rng.randint(5_000, 9_999),
                        rng.randint(10_000, 14_999), rng.randint(15_000, 42_195)]),
            rng.choice(PACES), rng.choice(LEVELS), rng.choice(THEMES), capacity, count,
            rng.random() < 0.3, rng.random() < 0.1, "", "", "", "", None,
            (created + day) if rng.random() < 0.02 else None, created, created,
        ])
    return users, meetups


def seed_sqlite(path, users, meetups):
    def conv(v):
        if isinstance(v, uuid.UUID):
            return v.bytes  # sqlx stores Uuid as its 16 big-endian bytes
        if isinstance(v, bool):
            return int(v)
        return v

    t0 = time.perf_counter()
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA busy_timeout = 10000")
    db.execute("BEGIN IMMEDIATE")
    for table, cols, rows in (("users", USER_COLS, users), ("meetups", MEETUP_COLS, meetups)):
        sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
        db.executemany(sql, ([conv(v) for v in r] for r in rows))
    db.execute("COMMIT")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return time.perf_counter() - t0


def copy_value(v) -> str:
    if v is None:
        return r"\N"
    if isinstance(v, bool):
        return "t" if v else "f"
    s = str(v)
    return s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def seed_postgres(users, meetups):
    sql_path = os.path.join(work, "seed.sql")
    with open(sql_path, "w") as f:
        for table, cols, rows in (("users", USER_COLS, users), ("meetups", MEETUP_COLS, meetups)):
            f.write(f"COPY {table} ({', '.join(cols)}) FROM STDIN;\n")
            for r in rows:
                f.write("\t".join(copy_value(v) for v in r) + "\n")
            f.write("\\.\n")
    t0 = time.perf_counter()
    run(["psql", PG_URL, "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction", "-f", sql_path])
    run(["psql", PG_URL, "-qc", "ANALYZE"])
    return time.perf_counter() - t0


def urls(now: int) -> list[str]:
    rng = random.Random(7)
    today = dt.datetime.fromtimestamp(now / 1000, KST).date()
    out = []
    for _ in range(N_URLS):
        name, region, clat, clng = rng.choices(CITIES, CITY_WEIGHTS)[0]
        r_km, ang = rng.random() * 10, rng.random() * 2 * math.pi
        lat = clat + (r_km / 111.32) * math.sin(ang)
        lng = clng + (r_km / (111.32 * math.cos(math.radians(clat)))) * math.cos(ang)
        start = today + dt.timedelta(days=rng.randint(0, 10))
        q = {
            "from": start.isoformat(),
            "to": (start + dt.timedelta(days=rng.randint(7, 30))).isoformat(),
            "time": ",".join(str(s) for s in sorted(rng.sample(range(1, 7), rng.randint(2, 3)))),
            "distance": ",".join(str(b) for b in sorted(rng.sample(range(1, 5), rng.randint(1, 2)))),
            "theme": ",".join(rng.sample(THEMES, rng.randint(2, 3))),
            "near_lat": f"{lat:.5f}",
            "near_lng": f"{lng:.5f}",
            "within_km": str(rng.choice([5, 10, 20])),
        }
        out.append(ROUTE + "?" + urllib.parse.urlencode(q))
    return out


# ------------------------------------------------------------------------------------------------
# Load

METRIC_RE = re.compile(r'^http_requests_total\{(?P<labels>.*)\} (?P<value>\S+)$', re.M)


def status_counts(port) -> dict:
    status, body = request(port, "GET", "/metrics")
    if status != 200:
        die(f"/metrics answered {status}")
    out = {}
    for m in METRIC_RE.finditer(body.decode()):
        labels = dict(re.findall(r'(\w+)="([^"]*)"', m.group("labels")))
        if labels.get("route") == ROUTE:
            out[labels["status"]] = out.get(labels["status"], 0) + int(float(m.group("value")))
    return out


def wrk(port, paths_file, seconds, tag):
    env = dict(os.environ, BENCH_PATHS=paths_file, BENCH_HEADERS="")
    argv = [
        "wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency", "--timeout", "5s",
        "-s", LOAD_LUA, f"http://{HOST}:{port}",
    ]
    r = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=seconds + 60)
    with open(os.path.join(work, f"wrk-{tag}.txt"), "w") as f:
        f.write(" ".join(argv) + "\n" + r.stdout + r.stderr)
    if r.returncode != 0:
        die(f"wrk failed ({r.returncode}): {r.stderr}")
    m = re.search(r"^BENCH_JSON (\{.*\})$", r.stdout, re.M)
    if not m:
        die(f"no BENCH_JSON in wrk output:\n{r.stdout}")
    return json.loads(m.group(1))


def main():
    global pg_created
    if not os.access(MOIM, os.X_OK):
        die(f"missing binary {MOIM}; run bench/meetups/run.sh (it builds it)")
    if shutil.which("wrk") is None:
        die("wrk is not installed")
    log("work dir", work)
    now = int(time.time() * 1000)
    t0 = time.perf_counter()
    users, meetups = dataset(now)
    log(f"generated {len(users)} users and {len(meetups)} meetups in {time.perf_counter() - t0:.1f}s")
    dbs, facts = {}, {}
    if "sqlite" in BACKENDS:
        d = os.path.join(work, "sqlite")
        url = f"sqlite://{d}/moim.db"
        run([MOIM, "migrate"], env=moim_env(url, d, f"{HOST}:{PORTS['setup']}"))
        facts["seed_sqlite_s"] = seed_sqlite(os.path.join(d, "moim.db"), users, meetups)
        dbs["sqlite"] = (url, d)
        log(f"seeded SQLite in {facts['seed_sqlite_s']:.1f}s")
    if "postgres" in BACKENDS:
        run(["psql", PG_ADMIN, "-qc", f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)"])
        run(["psql", PG_ADMIN, "-qc", f"CREATE DATABASE {PG_DB}"])
        pg_created = True
        d = os.path.join(work, "pg")
        run([MOIM, "migrate"], env=moim_env(PG_URL, d, f"{HOST}:{PORTS['setup']}"))
        facts["seed_pg_s"] = seed_postgres(users, meetups)
        dbs["postgres"] = (PG_URL, d)
        facts["pg_version"] = run(["psql", PG_URL, "-tAc", "SHOW server_version"]).strip()
        log(f"seeded PostgreSQL in {facts['seed_pg_s']:.1f}s")
    del users, meetups

    paths = urls(now)
    paths_file = os.path.join(work, "paths.txt")
    with open(paths_file, "w") as f:
        f.write("\n".join(paths) + "\n")
    servers = {}
    for backend, (url, d) in dbs.items():
        port = PORTS[backend]
        p = spawn([MOIM, "serve"], moim_env(url, d, f"{HOST}:{port}"), f"{backend}.log")
        wait_ready(port, p)
        servers[backend] = port
        # The URLs must really filter: count what a sample of them finds.
        sizes = []
        for path in paths[:50]:
            status, body = request(port, "GET", path)
            if status != 200:
                die(f"{backend} {path} -> {status}: {body[:300]!r}")
            sizes.append(len(json.loads(body)["items"]))
        facts[f"items_{backend}"] = statistics.median(sizes)
        log(f"{backend}: a sample of 50 URLs finds a median of {statistics.median(sizes)} meetups "
            f"per page (min {min(sizes)}, max {max(sizes)})")

    results = {b: [] for b in servers}
    for backend, port in servers.items():
        wrk(port, paths_file, WARMUP, f"warmup-{backend}")
    for i in range(RUNS):
        for backend, port in servers.items():
            before = status_counts(port)
            res = wrk(port, paths_file, DURATION, f"{backend}-{i}")
            after = status_counts(port)
            bad = {k: after.get(k, 0) - before.get(k, 0) for k in after if k != "200"}
            bad = {k: v for k, v in bad.items() if v}
            errors = sum(res[k] for k in ("connect_errors", "read_errors", "write_errors",
                                          "status_errors", "timeouts"))
            if bad or errors:
                die(f"{backend} round {i}: non-200 answers {bad}, wrk errors {errors}")
            res["rps"] = res["requests"] / (res["duration_us"] / 1e6)
            results[backend].append(res)
            log(f"{backend} round {i + 1}: {res['rps']:.0f} req/s, p50 {res['p50_us'] / 1000:.2f} ms, "
                f"p99 {res['p99_us'] / 1000:.2f} ms")

    rows, verdicts, met = [], [], True
    for backend, rs in results.items():
        p99 = statistics.median(r["p99_us"] for r in rs) / 1000
        rows.append(
            f"| {backend} | {statistics.median(r['rps'] for r in rs):,.0f} | "
            f"{statistics.median(r['p50_us'] for r in rs) / 1000:.2f} | "
            f"{statistics.median(r['p90_us'] for r in rs) / 1000:.2f} | {p99:.2f} | "
            + " / ".join(f"{r['p99_us'] / 1000:.2f}" for r in rs) + " |"
        )
        ok = p99 < TARGET_P99_MS
        met &= ok
        verdicts.append(f"{backend} {p99:.1f} ms: **{'met' if ok else 'missed'}**")
    commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain"],
                           capture_output=True, text=True).stdout.strip()
    load = os.getloadavg()[0]
    doc = "\n".join([
        "## Meetup list (`bench/meetups`)",
        "",
        "Command (from the repository root; needs PostgreSQL on 127.0.0.1:5432, trust auth, user `postgres`):",
        "",
        "```sh",
        "bench/meetups/run.sh",
        "```",
        "",
        f"Data: {N_USERS:,} users and {N_MEETUPS:,} meetups (from 120 days ago to 60 days ahead, around "
        "nine cities, every theme / level / time of day / distance, a tenth full, 2 % cancelled), "
        "inserted in one transaction per backend (SQLite executemany "
        f"{facts.get('seed_sqlite_s', 0):.1f} s, PostgreSQL COPY + ANALYZE {facts.get('seed_pg_s', 0):.1f} s).",
        f"Requests: `GET {ROUTE}` with 4 filters (a 7–30-day window, 2–3 time slots, 1–2 distance "
        "bands, 2–3 themes) and a near point (a city centre moved up to 10 km, within 5, 10 or 20 km), "
        f"soonest first, 20 a page, signed out; {N_URLS:,} different URLs picked at random. "
        f"Load: `wrk -t{THREADS} -c{CONNECTIONS} -d{DURATION}s --latency` after a {WARMUP} s warm-up, "
        f"{RUNS} rounds alternating the backends; every answer checked to be a 200. Median pages "
        "of a 50-URL sample: "
        + ", ".join(f"{b} {facts.get('items_' + b)} items" for b in servers) + ".",
        "",
        "| Backend | req/s (median) | p50 ms | p90 ms | p99 ms (median) | p99 of each round |",
        "|---|--:|--:|--:|--:|---|",
        *rows,
        "",
        f"Target p99 < {TARGET_P99_MS:.0f} ms at {CONNECTIONS} connections: " + "; ".join(verdicts) + ".",
        "",
        f"Machine: {os.cpu_count()} CPUs shared with other engineers' builds (load average "
        f"{load:.1f} when the run ended), wrk and the server on the same cores; "
        + (f"PostgreSQL {facts['pg_version']} on the same machine; " if "pg_version" in facts else "")
        + f"commit `{commit}`{' with uncommitted changes' if dirty else ''}, "
        f"{dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC."
        + (f" {LABEL}" if LABEL else ""),
    ])
    print(doc)
    if WRITE_DOC:
        path = os.path.join(ROOT, "docs", "BENCHMARKS.md")
        text = open(path).read()
        block = f"<!-- meetups:begin -->\n{doc}\n<!-- meetups:end -->"
        if "<!-- meetups:begin -->" in text:
            text = re.sub(r"<!-- meetups:begin -->.*?<!-- meetups:end -->", lambda _: block, text,
                          flags=re.S)
        else:
            text = text.rstrip("\n") + "\n\n" + block + "\n"
        open(path, "w").write(text)
        log("wrote docs/BENCHMARKS.md")
    sys.exit(0 if met else 2)


if __name__ == "__main__":
    main()
