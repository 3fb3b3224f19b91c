#!/usr/bin/env python3
"""Roster benchmark: runs the solver on every Curtois & Qu instance, re-checks every solution
with `moim-roster check`, and writes a table into docs/BENCHMARKS.md between the
`<!-- roster:begin -->` and `<!-- roster:end -->` markers.

Standard library only. Run from the repository root (/work/main):

    cargo build -p moim-roster --release
    python3 bench/roster/run.py --time 60 --threads 2 --seeds 1,2,3

Options for a shared machine and a fixed window: `--seeds 1 --more-seeds 2,3 --more-for 1-7` runs
extra seeds only on the listed instances; `--stop-at-best` ends a run as soon as it reaches the
best-known value (its time to best is unaffected).

`--peer PYTHON` also runs the OR-Tools CP-SAT peer (`../shared/roster/peer/cpsat_nrp.py`, run
from where it lives, never copied) on each instance (or those in `--peer-only`) with the same time
limit and `--workers` equal to `--threads`, one after the other, never at the same time as ours;
its objective goes in a column beside ours. Install it with
`python3 -m venv ~/.venvs/ortools && ~/.venvs/ortools/bin/pip install ortools`.

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
    ap.add_argument("--more-seeds", default="", help="extra seeds, only for --more-for instances")
    ap.add_argument("--more-for", default="", help="instances for --more-seeds, e.g. 1-7,9")
    ap.add_argument("--stop-at-best", action="store_true",
                    help="stop a run once it reaches the best-known value")
    ap.add_argument("--peer", default="", help="python with ortools: also run the CP-SAT peer")
    ap.add_argument("--peer-script", default="../shared/roster/peer/cpsat_nrp.py")
    ap.add_argument("--peer-only", default="", help="instances to run the peer on (default all)")
    ap.add_argument("--peer-linlevel", type=int, default=2,
                    help="CP-SAT linearization_level (2 = the peer's stronger setting)")
    ap.add_argument("--no-demo", action="store_true")
    args = ap.parse_args()
    seeds = [int(s) for s in args.seeds.split(",") if s]
    more_seeds = [int(s) for s in args.more_seeds.split(",") if s]
    more_for = parse_set(args.more_for)
    peer_for = parse_set(args.peer_only) if args.peer_only else None
    files = sorted(
        (int(m.group(1)), os.path.join(args.instances, f))
        for f in os.listdir(args.instances)
        if (m := re.fullmatch(r"Instance(\d+)\.txt", f))
    )
    if args.only:
        keep = parse_set(args.only)
        files = [x for x in files if x[0] in keep]
    rows = []
    tmp = tempfile.mkdtemp(prefix="roster-bench-")
    for n, path in files + ([] if args.no_demo else [(0, "demo")]):
        limit = args.demo_time if n == 0 else args.time
        runs = []
        for seed in seeds + (more_seeds if n in more_for else []):
            sol = os.path.join(tmp, f"{n}-{seed}.sol")
            cmd = ["nice", "-n", "19", args.bin, "solve", path, "--time", str(limit), "--seed", str(seed),
                   "--threads", str(args.threads), "--json", "--out", sol]
            if args.stop_at_best and best_known(n) is not None:
                cmd += ["--stop-at", str(best_known(n))]
            out = run(cmd)
            res = json.loads(out.strip().splitlines()[-1])
            chk = json.loads(run([args.bin, "check", path, sol, "--json"]).strip())
            if (chk["cost"], chk["hard"]) != (res["cost"], res["hard"]):
                sys.exit(f"check disagrees with solve on {path} seed {seed}: {chk} vs {res}")
            runs.append(res)
            print(f"{path} seed {seed}: cost {res['cost']} hard {res['hard']} "
                  f"best at {res['time_to_best']:.2f}s", flush=True)
        peer = None
        if args.peer and n != 0 and (peer_for is None or n in peer_for):
            peer = run_peer(args, path, tmp, n)
            print(f"{path} peer: {peer}", flush=True)
        rows.append((n, runs, peer))
        write(args, rows, seeds, more_seeds, more_for)


def parse_set(text):
    """'1-7,9' -> {1,...,7,9}"""
    out = set()
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        if "-" in part:
            a, b = part.split("-", 1)
            out.update(range(int(a), int(b) + 1))
        else:
            out.add(int(part))
    return out


def run_peer(args, path, tmp, n):
    """Runs the CP-SAT peer from its own directory; returns (objective or None, time of its last
    improvement, status)."""
    script = os.path.abspath(args.peer_script)
    res_path = os.path.join(tmp, f"peer-{n}.json")
    cmd = ["nice", "-n", "19", args.peer, script, os.path.abspath(path), "--time", str(args.time),
           "--workers", str(args.threads), "--quiet", "--json", res_path]
    if args.peer_linlevel is not None:
        cmd += ["--linlevel", str(args.peer_linlevel)]
    subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=os.path.dirname(script))
    with open(res_path) as f:
        res = json.load(f)
    obj = res.get("evaluator_objective") if res.get("n_violations", 1) == 0 else None
    if res.get("objective") is not None and obj != res.get("objective"):
        print(f"warning: peer objective {res.get('objective')} vs its evaluator {obj}", file=sys.stderr)
    last = res["trace"][-1][0] if res.get("trace") else None
    return {"objective": obj, "time_to_best": last, "status": res.get("status")}


def fmt_peer(peer):
    if peer is None:
        return "not run"
    if peer["objective"] is None:
        return f"none ({peer['status'].lower()})"
    t = peer["time_to_best"]
    return f"{peer['objective']}" + (f" ({t:.0f} s)" if t is not None else "")


def fmt_row(n, runs, time_limit, peer=None):
    feasible = [r for r in runs if r["hard"] == 0]
    costs = sorted(r["cost"] if r["hard"] == 0 else float("inf") for r in runs)
    med = statistics.median_low(costs) if costs else float("inf")
    ttb = statistics.median(r["time_to_best"] for r in runs)
    allc = ", ".join(str(r["cost"]) if r["hard"] == 0 else f"infeasible({r['hard']})" for r in runs)
    if n == 0:
        return f"| demo month (25 staff, 4 types, 31 days) | – | {med} | – | {ttb:.2f} | {allc} | – | {time_limit:g} s limit |"
    bk = best_known(n)
    if bk is None:
        medtxt = "infeasible" if med == float("inf") else str(med)
        return f"| {n} | ? | {medtxt} | – | {ttb:.2f} | {allc} | {fmt_peer(peer)} | |"
    gap = "–" if med == float("inf") else f"{100.0 * (med - bk) / bk:.1f}"
    tgt = TARGET.get(n)
    ok = ""
    if tgt is not None and med != float("inf"):
        ok = "met" if 100.0 * (med - bk) / bk <= tgt + 1e-9 else f"missed (target ≤ {tgt:g} %)"
        if n <= 7 and ok == "met" and ttb > 10.0:
            ok = "gap met, > 10 s"
    medtxt = "infeasible" if med == float("inf") else str(med)
    return f"| {n} | {bk} | {medtxt} | {gap} | {ttb:.2f} | {allc} | {fmt_peer(peer)} | {ok} |"


def write(args, rows, seeds, more_seeds=(), more_for=()):
    extra = ""
    if more_seeds and more_for:
        extra = f" (plus seeds {','.join(map(str, more_seeds))} on instances {fmt_set(more_for)})"
    cmd_extra = ""
    if more_seeds and more_for:
        cmd_extra += f" --more-seeds {','.join(map(str, more_seeds))} --more-for {fmt_set(more_for)}"
    if args.stop_at_best:
        cmd_extra += " --stop-at-best"
    if args.peer:
        cmd_extra += " --peer ~/.venvs/ortools/bin/python"
        if args.peer_only:
            cmd_extra += f" --peer-only {args.peer_only}"
    lines = [
        "<!-- roster:begin -->",
        "## Roster solver (Curtois & Qu benchmark)",
        "",
        f"Measured {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC on a 2-core machine "
        f"({platform.machine()}) **shared with a concurrent workspace build**, every run under `nice -n 19`; "
        f"{args.threads} solver threads, {args.time:g} s per run, seeds {','.join(map(str, seeds))}{extra}. "
        "'ours' is the median (low) cost over the seeds; 'time to best' is the median time at which each "
        "run found its final roster. Every roster was re-scored by `moim-roster check` and agreed.",
        "",
        "Command (from the repository root):",
        "",
        "```",
        f"CARGO_TARGET_DIR={target_dir(args.bin)} cargo build -p moim-roster --release",
        f"python3 bench/roster/run.py --bin {args.bin} --time {args.time:g} "
        f"--threads {args.threads} --seeds {','.join(map(str, seeds))}{cmd_extra}",
        "```",
        "",
        "| instance | best known | ours (median) | gap % | time to best (s) | all seeds | CP-SAT peer (time to best) | target |",
        "|---|---|---|---|---|---|---|---|",
    ]
    lines += [fmt_row(n, runs, args.demo_time if n == 0 else args.time, peer) for n, runs, peer in rows]
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


def target_dir(bin_path):
    """The cargo target dir a `.../release/moim-roster` binary was built in."""
    return os.path.dirname(os.path.dirname(bin_path)) or "target"


def fmt_set(xs):
    xs = sorted(xs)
    parts, i = [], 0
    while i < len(xs):
        j = i
        while j + 1 < len(xs) and xs[j + 1] == xs[j] + 1:
            j += 1
        parts.append(str(xs[i]) if i == j else f"{xs[i]}-{xs[j]}")
        i = j + 1
    return ",".join(parts)


if __name__ == "__main__":
    main()
