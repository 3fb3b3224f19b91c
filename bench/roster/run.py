#!/usr/bin/env python3
"""Roster benchmark: runs the solver on every Curtois & Qu instance, re-checks every solution
with `moim-roster check`, and writes a table into docs/BENCHMARKS.md between the
`<!-- roster:begin -->` and `<!-- roster:end -->` markers.

Standard library only. Run from the repository root (/work/main):

    cargo build -p moim-roster --release
    python3 bench/roster/run.py --time 60 --threads 2 --seeds 1,2,3

Every solver run is started under `nice -n 19` because the machine is shared.
"""

import argparse
import datetime
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile

# From ../shared/roster/README.md (instance 20: best published upper bound seen there).
BEST_KNOWN = {
    1: 607, 2: 828, 3: 1001, 4: 1716, 5: 1143, 6: 1950, 7: 1056, 8: 1300, 9: 439, 10: 4631,
    11: 3443, 12: 4040, 16: 3225, 18: 4459, 20: 4943,
}
TARGET = {**{i: 0.0 for i in range(1, 8)}, **{i: 1.0 for i in range(8, 13)}, 16: 2.0, 18: 2.0, 20: 5.0}


def run(cmd):
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def best_known(n):
    return BEST_KNOWN.get(n)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--instances", default="../shared/roster/instances")
    ap.add_argument("--bin", default=os.environ.get("CARGO_TARGET_DIR", "target") + "/release/moim-roster")
    ap.add_argument("--time", type=float, default=60.0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seeds", default="1,2,3")
    ap.add_argument("--only", default="", help="comma-separated instance numbers")
    ap.add_argument("--demo-time", type=float, default=2.0)
    ap.add_argument("--out", default="docs/BENCHMARKS.md")
    args = ap.parse_args()
    seeds = [int(s) for s in args.seeds.split(",") if s]
    files = sorted(
        (int(m.group(1)), os.path.join(args.instances, f))
        for f in os.listdir(args.instances)
        if (m := re.fullmatch(r"Instance(\d+)\.txt", f))
    )
    if args.only:
        keep = {int(x) for x in args.only.split(",")}
        files = [x for x in files if x[0] in keep]
    rows = []
    tmp = tempfile.mkdtemp(prefix="roster-bench-")
    for n, path in files + [(0, "demo")]:
        limit = args.demo_time if n == 0 else args.time
        runs = []
        for seed in seeds:
            sol = os.path.join(tmp, f"{n}-{seed}.sol")
            out = run(["nice", "-n", "19", args.bin, "solve", path, "--time", str(limit), "--seed", str(seed),
                       "--threads", str(args.threads), "--json", "--out", sol])
            res = json.loads(out.strip().splitlines()[-1])
            chk = json.loads(run([args.bin, "check", path, sol, "--json"]).strip())
            if (chk["cost"], chk["hard"]) != (res["cost"], res["hard"]):
                sys.exit(f"check disagrees with solve on {path} seed {seed}: {chk} vs {res}")
            runs.append(res)
            print(f"{path} seed {seed}: cost {res['cost']} hard {res['hard']} "
                  f"best at {res['time_to_best']:.2f}s", flush=True)
        rows.append((n, runs))
        write(args, rows, seeds)


def fmt_row(n, runs, time_limit):
    feasible = [r for r in runs if r["hard"] == 0]
    costs = sorted(r["cost"] if r["hard"] == 0 else float("inf") for r in runs)
    med = statistics.median_low(costs) if costs else float("inf")
    ttb = statistics.median(r["time_to_best"] for r in runs)
    allc = ", ".join(str(r["cost"]) if r["hard"] == 0 else f"infeasible({r['hard']})" for r in runs)
    if n == 0:
        return f"| demo month (25 staff, 4 types, 31 days) | – | {med} | – | {ttb:.2f} | {allc} | {time_limit:g} s limit |"
    bk = best_known(n)
    if bk is None:
        medtxt = "infeasible" if med == float("inf") else str(med)
        return f"| {n} | ? | {medtxt} | – | {ttb:.2f} | {allc} | |"
    gap = "–" if med == float("inf") else f"{100.0 * (med - bk) / bk:.1f}"
    tgt = TARGET.get(n)
    ok = ""
    if tgt is not None and med != float("inf"):
        ok = "met" if 100.0 * (med - bk) / bk <= tgt + 1e-9 else f"missed (target ≤ {tgt:g} %)"
        if n <= 7 and ok == "met" and ttb > 10.0:
            ok = "gap met, > 10 s"
    medtxt = "infeasible" if med == float("inf") else str(med)
    return f"| {n} | {bk} | {medtxt} | {gap} | {ttb:.2f} | {allc} | {ok} |"


def write(args, rows, seeds):
    lines = [
        "<!-- roster:begin -->",
        "## Roster solver (Curtois & Qu benchmark)",
        "",
        f"Measured {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC on a 2-core machine "
        f"({platform.machine()}) **shared with a concurrent workspace build**, every run under `nice -n 19`; "
        f"{args.threads} solver threads, {args.time:g} s per run, seeds {','.join(map(str, seeds))}. "
        "'ours' is the median (low) cost over the seeds; 'time to best' is the median time at which each "
        "run found its final roster. Every roster was re-scored by `moim-roster check` and agreed.",
        "",
        "Command (from the repository root):",
        "",
        "```",
        f"CARGO_TARGET_DIR=/work/target-roster cargo build -p moim-roster --release",
        f"python3 bench/roster/run.py --bin /work/target-roster/release/moim-roster --time {args.time:g} "
        f"--threads {args.threads} --seeds {','.join(map(str, seeds))}",
        "```",
        "",
        "| instance | best known | ours (median) | gap % | time to best (s) | all seeds | target |",
        "|---|---|---|---|---|---|---|",
    ]
    lines += [fmt_row(n, runs, args.demo_time if n == 0 else args.time) for n, runs in rows]
    lines += ["", "<!-- roster:end -->"]
    section = "\n".join(lines)
    try:
        with open(args.out) as f:
            text = f.read()
    except FileNotFoundError:
        text = "# Benchmarks\n"
    if "<!-- roster:begin -->" in text and "<!-- roster:end -->" in text:
        text = re.sub(r"<!-- roster:begin -->.*?<!-- roster:end -->\n?", lambda _: section + "\n", text, flags=re.S)
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
    with open(args.out, "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
