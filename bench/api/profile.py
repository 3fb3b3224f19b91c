#!/usr/bin/env python3
"""Instruction counts per request of the group home page (and the API and trivial handler), with
valgrind's callgrind: reliable on a shared, noisy machine where wall-clock numbers swing by a third.

Seeds the same SQLite data as bench.py (10 000 users, 2 000 groups), starts `moim serve` under
callgrind with collection off, warms up with 200 requests (so the read cache is filled), switches
collection on, sends N requests over one keep-alive connection, dumps, and prints the total
instructions divided by N. The dump (callgrind.out.*) stays in the work dir for callgrind_annotate.

    python3 bench/api/profile.py [N]          # N page requests (default 2000)
    PROFILE_ROUTE=api python3 bench/api/profile.py
    PROFILE_ROUTE=trivial python3 bench/api/profile.py

Binaries as for bench.py (BENCH_MOIM_BIN, BENCH_TRIVIAL_BIN, else $CARGO_TARGET_DIR/release).
Not a test and never asserted; numbers go to docs/BENCHMARKS.md by hand.
"""

from __future__ import annotations

import glob
import http.client
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (same data set and helpers)

N = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
ROUTE = os.environ.get("PROFILE_ROUTE", "page")
PORT = 18095


def main():
    work = bench.work
    sqlite_dir = os.path.join(work, "sqlite")
    url = f"sqlite://{sqlite_dir}/moim.db"
    hdrs = {}
    if ROUTE != "trivial":
        bench.run([bench.MOIM, "migrate"], env=bench.moim_env(url, sqlite_dir, f"127.0.0.1:{PORT}"))
        pw = bench.password_hash_from_signup(sqlite_dir, url)
        data = bench.dataset(pw, int(time.time() * 1000))
        bench.seed_sqlite(os.path.join(sqlite_dir, "moim.db"), data)
        groups = data[5]
    out = os.path.join(work, "callgrind.out.%p")
    vg = ["valgrind", "--tool=callgrind", "--collect-atstart=no", f"--callgrind-out-file={out}"]
    if ROUTE == "trivial":
        p = bench.spawn(vg + [bench.TRIVIAL, f"127.0.0.1:{PORT}"], dict(os.environ), "vg.log")
        paths = ["/"]
        time.sleep(8)
    else:
        env = bench.moim_env(url, sqlite_dir, f"127.0.0.1:{PORT}")
        p = bench.spawn(vg + [bench.MOIM, "serve"], env, "vg.log")
        bench.wait_ready(PORT, p, timeout=120)
        if ROUTE == "api":
            hdrs = {"Authorization": f"Bearer {bench.access_token(PORT, data[0][0]['email'])}",
                    "Accept": "application/json"}
            paths = [f"/api/v1/groups/{g}" for g in groups]
        else:
            hdrs = {"Cookie": f"moim_session={data[4]}; moim_csrf={'c' * 43}",
                    "Accept": "text/html"}
            paths = [f"/groups/{g}" for g in groups]
    c = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)

    def go(n):
        size = 0
        for i in range(n):
            c.request("GET", paths[i % len(paths)], headers=hdrs)
            r = c.getresponse()
            body = r.read()
            assert r.status == 200, (r.status, body[:200])
            size = len(body)
        return size

    go(200)
    subprocess.run(["callgrind_control", "-i", "on", str(p.pid)], check=True,
                   stdout=subprocess.DEVNULL)
    size = go(N)
    subprocess.run(["callgrind_control", "-d", str(p.pid)], check=True, stdout=subprocess.DEVNULL)
    time.sleep(1)
    bench.stop(p)
    dumps = sorted(glob.glob(os.path.join(work, "callgrind.out.*")), key=os.path.getmtime)
    total = 0
    for d in dumps:
        with open(d) as f:
            for line in f:
                if line.startswith("summary:") or line.startswith("totals:"):
                    total = max(total, int(line.split()[1]))
    print(f"{ROUTE}: {total / N:,.0f} instructions per request (N={N}, body {size} bytes); "
          f"dump: {dumps[-1] if dumps else 'none'}")


if __name__ == "__main__":
    bench.KEEP = True
    main()
