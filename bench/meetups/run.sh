#!/usr/bin/env bash
# The meetup-list benchmark: 100 000 meetups and 20 000 users seeded in bulk on SQLite and
# PostgreSQL, then the filtered list (4 filters + a near point) under wrk at 32 connections.
# Writes the `meetups` section of docs/BENCHMARKS.md. Never a timed test: rerun it by hand.
#
#   bench/meetups/run.sh                                   # full run (about 5 minutes after the build)
#   BENCH_SKIP_BUILD=1 BENCH_BACKENDS=sqlite BENCH_WRITE_DOC=0 bench/meetups/run.sh
#
# Knobs are documented at the top of bench/meetups/bench.py. Needs PostgreSQL on
# 127.0.0.1:5432 (trust auth, user postgres) unless BENCH_BACKENDS=sqlite, and wrk (installed
# when root). Exit status: 0 target met, 2 target missed, 1 the benchmark itself failed.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"

if ! command -v wrk >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then
        timeout 300 apt-get install -y wrk >/dev/null || {
            timeout 300 apt-get update >/dev/null && timeout 300 apt-get install -y wrk >/dev/null
        }
    else
        echo "wrk is missing: install it (Debian: apt-get install wrk)" >&2
        exit 1
    fi
fi
command -v psql >/dev/null 2>&1 || case "${BENCH_BACKENDS:-sqlite,postgres}" in
    *postgres*) echo "psql is missing (or set BENCH_BACKENDS=sqlite)" >&2; exit 1 ;;
esac

if [ "${BENCH_SKIP_BUILD:-0}" != 1 ]; then
    # Shared 2-core machine: stay polite to whoever else is compiling.
    nice -n 10 cargo build --release -p moim-server
fi
export BENCH_MOIM_BIN="${BENCH_MOIM_BIN:-${CARGO_TARGET_DIR:-$root/target}/release/moim}"
exec python3 bench/meetups/bench.py "$@"
