#!/usr/bin/env python3
"""The API/page benchmark of moim (driven by bench/api/run.sh; Python 3 standard library only).

What it does, in order:
 1. SQLite: `moim migrate` on a fresh data dir; one account is signed up through the API so the
    seeded users share one real argon2id hash with a known password; then 10 000 verified users,
    2 000 groups (5-20 active members each, owner included, some pending requests) are inserted in
    one transaction. PostgreSQL: a fresh `moim_bench` database gets the same rows via COPY.
 2. Start-up to ready on the existing database: spawn `moim serve`, poll /readyz (median of 5).
 3. Starts the trivial axum baseline and one `moim serve` per backend, waits 5 s idle and reads
    VmRSS (before any load).
 4. Load: wrk -t2 -c64 -d15s --latency with load.lua, round-robin over the scenarios (trivial,
    API and page on SQLite, API and page on PostgreSQL) so noise from the shared machine spreads
    evenly; 3 rounds, medians reported. Every request must be a 200: wrk's error counts and the
    per-status counters of moim's /metrics are checked after every run.
 5. Writes the table between <!-- api:begin --> and <!-- api:end --> in docs/BENCHMARKS.md.

Environment knobs (defaults in brackets): BENCH_DURATION [15], BENCH_RUNS [3], BENCH_CONNECTIONS
[64], BENCH_THREADS [2], BENCH_WARMUP [3] seconds, BENCH_BACKENDS [sqlite,sqlite-nocache,postgres]
(`sqlite-nocache` is a second `moim serve` on the same SQLite file with MOIM_READ_CACHE=off),
BENCH_PG_ADMIN_URL [postgres://postgres@127.0.0.1:5432/postgres], BENCH_PG_DB [moim_bench],
BENCH_MOIM_BIN / BENCH_TRIVIAL_BIN (binaries), BENCH_WRITE_DOC [1], BENCH_KEEP [0] (keep the work
dir), BENCH_LABEL (a note printed with the results). MOIM_* variables (e.g.
MOIM_DB_MAX_CONNECTIONS) pass through to the servers.
"""

from __future__ import annotations

import atexit
import datetime as dt
import hashlib
import http.client
import json
import os
import random
import re
import resource
import secrets
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
HERE = os.path.join(ROOT, "bench", "api")
TARGET = os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target")  # where run.sh built
MOIM = os.environ.get("BENCH_MOIM_BIN", os.path.join(TARGET, "release", "moim"))
TRIVIAL = os.environ.get(
    "BENCH_TRIVIAL_BIN", os.path.join(TARGET, "release", "examples", "trivial")
)
DURATION = int(os.environ.get("BENCH_DURATION", "15"))
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "64"))
THREADS = int(os.environ.get("BENCH_THREADS", "2"))
WARMUP = int(os.environ.get("BENCH_WARMUP", "3"))
BACKENDS = [b for b in os.environ.get("BENCH_BACKENDS", "sqlite,sqlite-nocache,postgres").split(",") if b]
PG_ADMIN = os.environ.get("BENCH_PG_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres")
PG_DB = os.environ.get("BENCH_PG_DB", "moim_bench")
PG_URL = PG_ADMIN.rsplit("/", 1)[0] + "/" + PG_DB
WRITE_DOC = os.environ.get("BENCH_WRITE_DOC", "1") == "1"
KEEP = os.environ.get("BENCH_KEEP", "0") == "1"
LABEL = os.environ.get("BENCH_LABEL", "")

N_USERS = 10_000
N_GROUPS = 2_000
BENCH_GROUPS = 100  # groups the measured user belongs to (the paths wrk picks from)
PASSWORD = "bench-password-2026!"
PORTS = {"trivial": 18090, "sqlite": 18091, "postgres": 18092, "startup": 18093, "sqlite-nocache": 18094,
         "sqlite-base": 18096}
# `sqlite-base`: the same SQLite file served by another build (BENCH_BASE_BIN, e.g. the binary
# before a change), so a before/after comparison shares the run, the load and the trivial row.
BASE_BIN = os.environ.get("BENCH_BASE_BIN", "")
SERVER_BIN = {"sqlite-base": BASE_BIN}
# Extra environment per server: the uncached variant shows what the read cache is worth.
SERVER_ENV = {"sqlite-nocache": {"MOIM_READ_CACHE": "off"}}
HOST = "127.0.0.1"

procs: list[subprocess.Popen] = []
work = tempfile.mkdtemp(prefix="moim-bench-")
pg_created = False


def log(*a):
    print(f"[bench {time.strftime('%H:%M:%S')}]", *a, file=sys.stderr, flush=True)


def die(msg):
    log("FAILED:", msg)
    sys.exit(1)


# ------------------------------------------------------------------------------------------------
# Processes and clean-up


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
    if pg_created:
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


def request(port, method, path, body=None, headers=None, timeout=10.0):
    c = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        h = dict(headers or {})
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        c.request(method, path, body=data, headers=h)
        r = c.getresponse()
        return r.status, r.read()
    finally:
        c.close()


def wait_ready(port, p: subprocess.Popen, timeout=30.0) -> float:
    """Polls GET /readyz until 200; returns the seconds it took. Bounded by `timeout`."""
    t0 = time.perf_counter()
    deadline = t0 + timeout
    while time.perf_counter() < deadline:
        if p.poll() is not None:
            die(f"server on port {port} exited with {p.returncode} (see {work})")
        try:
            status, _ = request(port, "GET", "/readyz", timeout=1.0)
            if status == 200:
                return time.perf_counter() - t0
        except OSError:
            pass
        time.sleep(0.002)
    die(f"server on port {port} not ready after {timeout}s")


def proc_status(pid) -> dict:
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            out[k] = v.strip()
    return out


def rss_mb(pid) -> float:
    return int(proc_status(pid)["VmRSS"].split()[0]) / 1024


def cpu_seconds(pid) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def postgres_cpu_seconds() -> float:
    """CPU of every `postgres` process (the server's backends live outside moim's process). Other
    users of the same PostgreSQL server count too, so this is an upper bound."""
    total, tck = 0, os.sysconf("SC_CLK_TCK")
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                raw = f.read()
        except OSError:
            continue
        comm = raw[raw.index("(") + 1 : raw.rindex(")")]
        if comm.startswith("postgres"):
            fields = raw.rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    return total / tck


def run(argv, **kw):
    r = subprocess.run(argv, capture_output=True, text=True, timeout=kw.pop("timeout", 600), **kw)
    if r.returncode != 0:
        die(f"{' '.join(argv)} -> {r.returncode}\n{r.stdout}\n{r.stderr}")
    return r.stdout


# ------------------------------------------------------------------------------------------------
# Data


def uuid7(rng: random.Random, ms: int) -> uuid.UUID:
    value = (ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76 | rng.getrandbits(12) << 64 | 0b10 << 62 | rng.getrandbits(62)
    return uuid.UUID(int=value)


CATEGORIES = ["study", "exercise", "running", "reading", "hobby", "work", "volunteer", "other"]
INVITE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
DESCRIPTION = (
    "매주 두 번 모여서 서로의 진도를 확인하고, 한 달에 한 번은 오프라인으로 만납니다. "
    "처음 오신 분도 부담 없이 참여할 수 있어요. 결석은 미리 알려 주세요.\n"
    "We meet twice a week to check each other's progress and once a month in person."
)


def dataset(password_hash: str, now: int):
    """Users, groups, memberships and the measured user's web session, as plain tuples."""
    rng = random.Random(20261121)
    minute = 60_000
    users = []
    for i in range(N_USERS):
        created = now - (N_USERS - i) * 10 * minute
        nick = f"user{i:05d}"
        users.append(
            dict(
                id=uuid7(rng, created),
                email=f"{nick}@bench.moim.test",
                email_verified_at=created + minute,
                password_hash=password_hash,
                nickname=nick,
                nickname_key=nick,
                bio="",
                locale="ko" if i % 5 else "en",
                time_zone="Asia/Seoul",
                session_epoch=0,
                created_at=created,
                updated_at=created,
            )
        )
    me = users[0]
    mine = set(rng.sample(range(N_GROUPS), BENCH_GROUPS))
    owned = set(rng.sample(sorted(mine), 5))
    today = dt.date.today()
    codes = set()
    groups, members = [], []
    for g in range(N_GROUPS):
        created = now - (N_GROUPS - g) * 30 * minute
        k = rng.randint(5, 20)
        owner = 0 if g in owned else rng.randrange(1, N_USERS)
        others = [u for u in rng.sample(range(1, N_USERS), k + 1) if u != owner][: k - 1]
        if g in mine and g not in owned:
            others[-1] = 0
        code = ""
        while not code or code in codes:
            code = "".join(rng.choice(INVITE_ALPHABET) for _ in range(8))
        codes.add(code)
        pending = rng.sample(range(1, N_USERS), 2) if g % 10 == 0 else []
        pending = [u for u in pending if u != owner and u not in others]
        starts = ends = None
        if g % 5 < 3:
            s = today + dt.timedelta(days=rng.randint(-60, 30))
            starts, ends = s.isoformat(), (s + dt.timedelta(days=rng.randint(7, 120))).isoformat()
        gid = uuid7(rng, created)
        groups.append(
            dict(
                id=gid,
                name=f"{CATEGORIES[g % 8]} 모임 {g:04d}",
                category=CATEGORIES[g % 8],
                description=DESCRIPTION,
                pledge="끝까지 함께 완주하기" if g % 3 else "",
                image_url=None,
                visibility="public" if g % 10 < 3 else "private",
                join_policy="approval" if pending else ("open" if g % 10 < 3 else "invite"),
                capacity=max(k, rng.choice([20, 30, 50, 100])),
                member_count=k,
                rejoin_allowed=g % 7 != 0,
                starts_on=starts,
                ends_on=ends,
                time_zone="Asia/Seoul",
                invite_code=code,
                owner_id=users[owner]["id"],
                disband_at=None,
                created_at=created,
                updated_at=created,
            )
        )
        joined = created
        for j, u in enumerate([owner] + others):
            role = "owner" if j == 0 else ("manager" if j == 1 else "member")
            joined += rng.randint(1, 600) * minute if j else 0
            members.append((gid, users[u]["id"], role, "active", "", joined))
        for u in pending:
            members.append((gid, users[u]["id"], "member", "pending", "가입하고 싶어요!", now - minute))
    my_groups = [g["id"] for i, g in enumerate(groups) if i in mine]
    token = secrets.token_urlsafe(32)
    session = dict(
        id=uuid7(rng, now),
        user_id=me["id"],
        token_hash=hashlib.sha256(token.encode()).digest(),
        user_agent="wrk (bench/api)",
        created_at=now,
        last_seen_at=now,
        expires_at=now + 30 * 24 * 3600 * 1000,
    )
    return users, groups, members, session, token, my_groups


USER_COLS = [
    "id", "email", "email_verified_at", "password_hash", "nickname", "nickname_key", "bio",
    "locale", "time_zone", "session_epoch", "created_at", "updated_at",
]
GROUP_COLS = [
    "id", "name", "category", "description", "pledge", "image_url", "visibility", "join_policy",
    "capacity", "member_count", "rejoin_allowed", "starts_on", "ends_on", "time_zone",
    "invite_code", "owner_id", "disband_at", "created_at", "updated_at",
]
MEMBER_COLS = ["group_id", "user_id", "role", "status", "message", "joined_at"]
SESSION_COLS = ["id", "user_id", "token_hash", "user_agent", "created_at", "last_seen_at", "expires_at"]


def seed_sqlite(path, data):
    users, groups, members, session, _, _ = data

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
    for table, cols, rows in (
        ("users", USER_COLS, [[u[c] for c in USER_COLS] for u in users]),
        ("groups", GROUP_COLS, [[g[c] for c in GROUP_COLS] for g in groups]),
        ("memberships", MEMBER_COLS, members),
        ("sessions", SESSION_COLS, [[session[c] for c in SESSION_COLS]]),
    ):
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
    if isinstance(v, bytes):
        return r"\\x" + v.hex()
    s = str(v)
    return s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def seed_postgres(data):
    users, groups, members, session, _, _ = data
    sql_path = os.path.join(work, "seed.sql")
    with open(sql_path, "w") as f:
        for table, cols, rows in (
            ("users", USER_COLS, [[u[c] for c in USER_COLS] for u in users]),
            ("groups", GROUP_COLS, [[g[c] for c in GROUP_COLS] for g in groups]),
            ("memberships", MEMBER_COLS, members),
            ("sessions", SESSION_COLS, [[session[c] for c in SESSION_COLS]]),
        ):
            f.write(f"COPY {table} ({', '.join(cols)}) FROM STDIN;\n")
            for r in rows:
                f.write("\t".join(copy_value(v) for v in r) + "\n")
            f.write("\\.\n")
    t0 = time.perf_counter()
    run(["psql", PG_URL, "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction", "-f", sql_path])
    # What autovacuum would do within a minute of a bulk load.
    run(["psql", PG_URL, "-qc", "ANALYZE"])
    return time.perf_counter() - t0


def password_hash_from_signup(sqlite_dir, sqlite_url) -> str:
    """Signs one account up through the API (the server's own argon2id parameters) and returns the
    stored hash, then deletes the account so the seeded data stays exactly as described."""
    port = PORTS["startup"]
    p = spawn([MOIM, "serve"], moim_env(sqlite_url, sqlite_dir, f"{HOST}:{port}"), "hash-server.log")
    wait_ready(port, p)
    status, body = request(
        port,
        "POST",
        "/api/v1/auth/signup",
        {"email": "hash@bench.moim.test", "password": PASSWORD, "nickname": "hashsource"},
    )
    stop(p)
    if status != 201:
        die(f"sign-up for the password hash answered {status}: {body[:300]!r}")
    db = sqlite3.connect(os.path.join(sqlite_dir, "moim.db"), isolation_level=None)
    db.execute("PRAGMA busy_timeout = 10000")
    (h,) = db.execute("SELECT password_hash FROM users WHERE email = 'hash@bench.moim.test'").fetchone()
    db.execute("PRAGMA foreign_keys = ON")
    db.execute("DELETE FROM users WHERE email = 'hash@bench.moim.test'")
    db.execute("DELETE FROM rate_limits")
    db.close()
    if not h.startswith("$argon2id$"):
        die(f"unexpected hash format {h[:20]}")
    return h


# ------------------------------------------------------------------------------------------------
# Load


def access_token(port, email) -> str:
    status, body = request(
        port, "POST", "/api/v1/auth/token",
        {"grant_type": "password", "email": email, "password": PASSWORD},
    )
    if status != 200:
        die(f"token request answered {status}: {body[:300]!r}")
    return json.loads(body)["access_token"]


METRIC_RE = re.compile(r'^http_requests_total\{(?P<labels>.*)\} (?P<value>\S+)$', re.M)


def status_counts(port, route) -> dict:
    status, body = request(port, "GET", "/metrics")
    if status != 200:
        die(f"/metrics answered {status}")
    out = {}
    for m in METRIC_RE.finditer(body.decode()):
        labels = dict(re.findall(r'(\w+)="([^"]*)"', m.group("labels")))
        if labels.get("route") == route:
            out[labels["status"]] = out.get(labels["status"], 0) + int(float(m.group("value")))
    return out


def wrk(port, paths_file, headers, seconds, tag):
    env = dict(os.environ, BENCH_PATHS=paths_file, BENCH_HEADERS="\n".join(headers))
    argv = [
        "wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency", "--timeout", "5s",
        "-s", os.path.join(HERE, "load.lua"), f"http://{HOST}:{port}",
    ]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    r = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=seconds + 60)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(os.path.join(work, f"wrk-{tag}.txt"), "w") as f:
        f.write(" ".join(argv) + "\n" + r.stdout + r.stderr)
    if r.returncode != 0:
        die(f"wrk failed ({r.returncode}): {r.stderr}")
    m = re.search(r"^BENCH_JSON (\{.*\})$", r.stdout, re.M)
    if not m:
        die(f"no BENCH_JSON in wrk output:\n{r.stdout}")
    res = json.loads(m.group(1))
    res["wrk_cpu_s"] = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return res


def main():
    global pg_created
    for b in (MOIM, TRIVIAL):
        if not os.access(b, os.X_OK):
            die(f"missing binary {b}; run bench/api/run.sh (it builds them)")
    if shutil.which("wrk") is None:
        die("wrk is not installed")
    log("work dir", work)
    now = int(time.time() * 1000)
    urls, pids, facts = {}, {}, {}

    # --- databases -------------------------------------------------------------------------------
    sqlite_dir = os.path.join(work, "sqlite")
    sqlite_url = f"sqlite://{sqlite_dir}/moim.db"
    run([MOIM, "migrate"], env=moim_env(sqlite_url, sqlite_dir, f"{HOST}:{PORTS['startup']}"))
    pw_hash = password_hash_from_signup(sqlite_dir, sqlite_url)
    t0 = time.perf_counter()
    data = dataset(pw_hash, now)
    log(f"generated {N_USERS} users, {N_GROUPS} groups, {len(data[2])} memberships "
        f"in {time.perf_counter() - t0:.1f}s")
    me_email = data[0][0]["email"]
    if "sqlite" in BACKENDS:
        facts["seed_sqlite_s"] = seed_sqlite(os.path.join(sqlite_dir, "moim.db"), data)
        urls["sqlite"] = (sqlite_url, sqlite_dir)
        log(f"seeded SQLite in {facts['seed_sqlite_s']:.2f}s")
    if "sqlite-nocache" in BACKENDS:
        if "sqlite" not in BACKENDS:
            facts["seed_sqlite_s"] = seed_sqlite(os.path.join(sqlite_dir, "moim.db"), data)
        urls["sqlite-nocache"] = (sqlite_url, sqlite_dir)
    if "sqlite-base" in BACKENDS:
        if not BASE_BIN or not os.access(BASE_BIN, os.X_OK):
            die("sqlite-base needs BENCH_BASE_BIN (an executable moim)")
        urls["sqlite-base"] = (sqlite_url, sqlite_dir)
    if "postgres" in BACKENDS:
        run(["psql", PG_ADMIN, "-qc", f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)"])
        run(["psql", PG_ADMIN, "-qc", f"CREATE DATABASE {PG_DB}"])
        pg_created = True
        pg_dir = os.path.join(work, "pg")
        run([MOIM, "migrate"], env=moim_env(PG_URL, pg_dir, f"{HOST}:{PORTS['startup']}"))
        facts["seed_pg_s"] = seed_postgres(data)
        urls["postgres"] = (PG_URL, pg_dir)
        facts["pg_version"] = run(["psql", PG_URL, "-tAc", "SHOW server_version"]).strip()
        log(f"seeded PostgreSQL in {facts['seed_pg_s']:.2f}s")

    # --- start-up to ready on the existing database ----------------------------------------------
    startup = {}
    for backend, (url, ddir) in urls.items():
        if backend in SERVER_ENV or backend in SERVER_BIN:
            continue  # same database and binary as another row
        times = []
        for i in range(5):
            p = spawn([MOIM, "serve"], moim_env(url, ddir, f"{HOST}:{PORTS['startup']}"),
                      f"startup-{backend}.log")
            times.append(wait_ready(PORTS["startup"], p))
            stop(p)
        startup[backend] = times
        log(f"start-up to ready ({backend}): " + ", ".join(f"{t * 1000:.0f} ms" for t in times))

    # --- servers, idle memory --------------------------------------------------------------------
    servers = {"trivial": spawn([TRIVIAL, f"{HOST}:{PORTS['trivial']}"], dict(os.environ), "trivial.log")}
    for backend, (url, ddir) in urls.items():
        servers[backend] = spawn([SERVER_BIN.get(backend, MOIM), "serve"], {**moim_env(url, ddir, f"{HOST}:{PORTS[backend]}"), **SERVER_ENV.get(backend, {})},
                                 f"serve-{backend}.log")
    for name, p in servers.items():
        if name == "trivial":
            t_end = time.time() + 10
            while True:  # bounded: the trivial server has no /readyz
                try:
                    if request(PORTS[name], "GET", "/")[0] == 200:
                        break
                except OSError:
                    pass
                if time.time() > t_end:
                    die("trivial server did not start")
                time.sleep(0.01)
        else:
            wait_ready(PORTS[name], p)
    time.sleep(5)
    idle_rss = {name: rss_mb(p.pid) for name, p in servers.items()}
    log("idle RSS: " + ", ".join(f"{k} {v:.1f} MB" for k, v in idle_rss.items()))

    # --- scenarios -------------------------------------------------------------------------------
    paths_dir = os.path.join(work, "paths")
    os.makedirs(paths_dir)
    session_token = data[4]
    my_groups = data[5]

    def write_paths(name, paths):
        path = os.path.join(paths_dir, name)
        with open(path, "w") as f:
            f.write("\n".join(paths) + "\n")
        return path

    csrf = secrets.token_urlsafe(32)  # a browser that has visited before carries its CSRF cookie
    scenarios = [("trivial", "trivial", "GET /", write_paths("trivial", ["/"]), lambda: [], None)]
    for backend in urls:
        port = PORTS[backend]
        scenarios.append((
            f"api-{backend}", backend, "GET /api/v1/groups/{id}",
            write_paths("api", [f"/api/v1/groups/{g}" for g in my_groups]),
            (lambda port=port: [f"Authorization: Bearer {access_token(port, me_email)}",
                                "Accept: application/json"]),
            "/api/v1/groups/{id}",
        ))
        scenarios.append((
            f"page-{backend}", backend, "GET /groups/{id}",
            write_paths("page", [f"/groups/{g}" for g in my_groups]),
            (lambda: [f"Cookie: moim_session={session_token}; moim_csrf={csrf}",
                      "Accept: text/html"]),
            "/groups/{id}",
        ))

    # Every path must answer 200 before load starts (a 404 or a redirect to /login is cheap and
    # would flatter the numbers).
    for name, server, _, paths_file, headers, _ in scenarios:
        hdrs = dict(h.split(": ", 1) for h in headers())
        with open(paths_file) as f:
            for path in f.read().split():
                status, body = request(PORTS[server], "GET", path, headers=hdrs)
                if status != 200:
                    die(f"{name}: GET {path} answered {status}: {body[:200]!r}")
    log("pre-check: every path answers 200")

    results = {s[0]: [] for s in scenarios}
    for rnd in range(RUNS + (1 if WARMUP > 0 else 0)):
        warm = WARMUP > 0 and rnd == 0
        for name, server, _, paths_file, headers, route in scenarios:
            port = PORTS[server]
            before = status_counts(port, route) if route else {}
            cpu0 = cpu_seconds(servers[server].pid)
            db0 = postgres_cpu_seconds() if server == "postgres" else 0.0
            res = wrk(port, paths_file, headers(), WARMUP if warm else DURATION,
                      f"{name}-{'warmup' if warm else rnd}")
            res["server_cpu_s"] = cpu_seconds(servers[server].pid) - cpu0
            res["db_cpu_s"] = postgres_cpu_seconds() - db0 if server == "postgres" else None
            errors = sum(res[k] for k in ("connect_errors", "read_errors", "write_errors",
                                          "status_errors", "timeouts"))
            if errors:
                die(f"{name}: wrk reported errors: {res}")
            if route:
                after = status_counts(port, route)
                delta = {k: after.get(k, 0) - before.get(k, 0) for k in after}
                bad = {k: v for k, v in delta.items() if k != "200" and v}
                if bad:
                    die(f"{name}: non-200 responses during load: {bad}")
                if delta.get("200", 0) < res["requests"]:
                    die(f"{name}: server counted {delta} for {res['requests']} requests (before {before}, after {after})")
            rps = res["requests"] / (res["duration_us"] / 1e6)
            res["rps"] = rps
            log(f"{'warm-up' if warm else f'round {rnd}'} {name}: {rps:,.0f} req/s, "
                f"p50 {res['p50_us'] / 1000:.2f} ms, p99 {res['p99_us'] / 1000:.2f} ms, "
                f"server CPU {res['server_cpu_s'] / res['requests'] * 1e6:.0f} µs/req, "
                f"wrk CPU {res['wrk_cpu_s'] / res['requests'] * 1e6:.0f} µs/req"
                + (f", postgres CPU {res['db_cpu_s'] / res['requests'] * 1e6:.0f} µs/req"
                   if res["db_cpu_s"] is not None else ""))
            if not warm:
                results[name].append(res)

    after_rss = {name: rss_mb(p.pid) for name, p in servers.items()}
    hwm = {name: int(proc_status(p.pid)["VmHWM"].split()[0]) / 1024 for name, p in servers.items()}
    for p in list(servers.values()):
        stop(p)

    # --- report ----------------------------------------------------------------------------------
    med = lambda xs: statistics.median(xs)
    trivial_rps = med([r["rps"] for r in results["trivial"]])
    rows = []
    for name, server, what, *_ in scenarios:
        rs = results[name]
        rps = med([r["rps"] for r in rs])
        rows.append(dict(
            name=name, backend=server, what=what, rps=rps,
            p50=med([r["p50_us"] for r in rs]) / 1000, p99=med([r["p99_us"] for r in rs]) / 1000,
            ratio=rps / trivial_rps,
            cpu_us=med([r["server_cpu_s"] / r["requests"] * 1e6 for r in rs]),
            db_cpu_us=(med([r["db_cpu_s"] / r["requests"] * 1e6 for r in rs])
                       if rs[0]["db_cpu_s"] is not None else None),
            runs=[r["rps"] for r in rs], bytes=rs[0]["bytes"] / max(rs[0]["requests"], 1),
        ))
    report = render(rows, idle_rss, after_rss, hwm, startup, facts)
    print(report)
    with open(os.path.join(work, "results.json"), "w") as f:
        json.dump(dict(rows=rows, idle_rss=idle_rss, startup=startup, facts=facts, raw=results), f)
    last = os.path.join(HERE, "last-run")
    shutil.rmtree(last, ignore_errors=True)
    shutil.copytree(work, last, ignore=shutil.ignore_patterns("sqlite", "pg", "seed.sql", "paths"))
    if WRITE_DOC:
        write_doc(report)
        log("docs/BENCHMARKS.md updated")
    # Exit status says whether the targets are met, so CI can run this script as a check.
    ok = all(r["p99"] < 20 for r in rows if r["backend"] == "sqlite") and all(
        r["ratio"] >= 0.25 for r in rows if r["backend"] == "sqlite")
    ok = ok and all(v < 40 for k, v in idle_rss.items() if k != "trivial")
    ok = ok and all(med(v) < 1.0 for v in startup.values())
    log("targets met" if ok else "targets NOT met (see the table)")
    return 0 if ok else 2


def machine_facts() -> list[str]:
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            m = re.search(r"^model name\s*:\s*(.*)$", f.read(), re.M)
            cpu = m.group(1) if m else cpu
        with open("/proc/meminfo") as f:
            mem = int(re.search(r"MemTotal:\s*(\d+)", f.read()).group(1)) / 1024 / 1024
    except OSError:
        mem = 0
    wrk_v = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.splitlines()
    commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True).stdout.strip()
    return [
        f"{os.cpu_count()} CPUs (`nproc` = {len(os.sched_getaffinity(0))}), {cpu}, {mem:.1f} GiB RAM, "
        f"Linux {os.uname().release}",
        f"Load average when the run ended: {os.getloadavg()[0]:.2f} (1 min). Machines here are "
        "shared, so absolute numbers are noisy; the trivial handler runs in the same rounds "
        "(round-robin), so the ratios are the figure to compare.",
        f"wrk {wrk_v[0].split()[1] if wrk_v else '?'} and the servers share the same 2 cores; "
        f"SQLite {sqlite3.sqlite_version} (Python's, for seeding; moim bundles its own)",
        f"commit `{commit}`{' with uncommitted changes in the tree' if dirty else ''}, "
        f"{dt.datetime.now(dt.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}",
    ]


def render(rows, idle_rss, after_rss, hwm, startup, facts) -> str:
    pool = os.environ.get("MOIM_DB_MAX_CONNECTIONS", "default (SQLite: 2 × cores, at most 8; PostgreSQL: 16)")
    out = []
    out.append("## API and group page (`bench/api`)\n")
    out.append("Command (from the repository root; needs PostgreSQL on 127.0.0.1:5432, trust auth, "
               "user `postgres`):\n")
    out.append("```sh\nbench/api/run.sh\n```\n")
    if LABEL:
        out.append(f"Variant: {LABEL}\n")
    out.append(
        f"Data: {N_USERS:,} verified users, {N_GROUPS:,} groups with 5–20 active members each "
        f"(owner included) plus a few pending requests. The measured user belongs to "
        f"{BENCH_GROUPS} groups (5 as owner); every request picks one of them at random. API: "
        f"`Authorization: Bearer` access token from `POST /api/v1/auth/token`. Page: the "
        f"`moim_session` cookie of a web session (plus the `moim_csrf` cookie a returning browser "
        f"has). Load: `wrk -t{THREADS} -c{CONNECTIONS} -d{DURATION}s --latency -s bench/api/load.lua`, "
        f"after a {WARMUP} s warm-up, {RUNS} rounds in round-robin over the scenarios; medians "
        f"shown. Every response was checked to be a 200 (wrk error counts and moim's per-status "
        f"`/metrics` counters). Pool size {pool}; log level {os.environ.get('MOIM_LOG', 'info (default)')}. "
        f"Read cache (`MOIM_READ_CACHE`) at its default: on for SQLite, off for PostgreSQL; the "
        f"`sqlite-nocache` rows are a second `moim serve` on the same SQLite file with the cache off "
        f"(for comparison; the targets are judged on the `sqlite` rows).\n")
    if "sqlite-base" in BACKENDS:
        out.append(
            f"The `sqlite-base` rows are the same SQLite file served, in the same rounds, by "
            f"another build for a before/after comparison: "
            f"{os.environ.get('BENCH_BASE_LABEL', BASE_BIN)}.\n")
    out.append("| Scenario | Backend | req/s (median) | p50 ms | p99 ms | ratio to trivial | "
               "moim CPU µs/req | PostgreSQL CPU µs/req | req/s of each round |")
    out.append("|---|---|--:|--:|--:|--:|--:|--:|---|")
    for r in rows:
        out.append(
            f"| `{r['what']}` | {r['backend']} | {r['rps']:,.0f} | {r['p50']:.2f} | {r['p99']:.2f} | "
            f"{r['ratio'] * 100:.0f}% | {r['cpu_us']:.0f} | "
            + (f"{r['db_cpu_us']:.0f}" if r["db_cpu_us"] is not None else "–") + " | "
            + " / ".join(f"{x:,.0f}" for x in r["runs"]) + " |")
    out.append("")
    sq = [r for r in rows if r["backend"] == "sqlite"]
    verdict = []
    if sq:
        p99_ok = all(r["p99"] < 20 for r in sq)
        ratio_ok = all(r["ratio"] >= 0.25 for r in sq)
        p99s = ", ".join("%s %.1f ms" % (r["name"], r["p99"]) for r in sq)
        ratios = ", ".join("%s %.0f%%" % (r["name"], r["ratio"] * 100) for r in sq)
        verdict.append(f"- p99 < 20 ms on SQLite: **{'met' if p99_ok else 'missed'}** ({p99s})")
        verdict.append(f"- ≥ 25% of the trivial handler's throughput on SQLite: "
                       f"**{'met' if ratio_ok else 'missed'}** ({ratios})")
    mem = {k: v for k, v in idle_rss.items() if k != "trivial"}
    verdict.append(f"- Idle RSS of `moim serve` < 40 MB: **{'met' if all(v < 40 for v in mem.values()) else 'missed'}** ("
                   + ", ".join(f"{k} {v:.1f} MB" for k, v in mem.items())
                   + f"; trivial server {idle_rss['trivial']:.1f} MB). After the load: "
                   + ", ".join(f"{k} {after_rss[k]:.1f} MB (peak {hwm[k]:.1f} MB)" for k in mem) + ".")
    st = {k: statistics.median(v) * 1000 for k, v in startup.items()}
    verdict.append(f"- Start-up to ready < 1 s on an existing database (spawn → first 200 from "
                   f"`/readyz`, median of 5): **{'met' if all(v < 1000 for v in st.values()) else 'missed'}** ("
                   + ", ".join(f"{k} {v:.0f} ms" for k, v in st.items()) + ")")
    out.append("Targets:\n")
    out.extend(verdict)
    out.append("")
    out.append("Machine:\n")
    out.extend(f"- {f}" for f in machine_facts())
    if "pg_version" in facts:
        out.append(f"- PostgreSQL {facts['pg_version']} on the same machine")
    seeds = []
    if "seed_sqlite_s" in facts:
        seeds.append(f"SQLite {facts['seed_sqlite_s']:.1f} s")
    if "seed_pg_s" in facts:
        seeds.append(f"PostgreSQL {facts['seed_pg_s']:.1f} s")
    out.append(f"- Seeding (one transaction each): {', '.join(seeds)}")
    return "\n".join(out) + "\n"


def write_doc(report: str):
    path = os.path.join(ROOT, "docs", "BENCHMARKS.md")
    begin, end = "<!-- api:begin -->", "<!-- api:end -->"
    os.makedirs(os.path.dirname(path), exist_ok=True)
    text = open(path).read() if os.path.exists(path) else "# Benchmarks\n"
    block = f"{begin}\n{report}{end}"
    if begin in text and end in text and text.index(begin) < text.index(end):
        text = text[: text.index(begin)] + block + text[text.index(end) + len(end):]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    tmp = path + ".tmp-api"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


if __name__ == "__main__":
    sys.exit(main())
