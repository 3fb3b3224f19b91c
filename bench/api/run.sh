#!/usr/bin/env bash
# The API and group-page benchmark: builds the release binaries once, seeds SQLite and
# PostgreSQL, measures with wrk against a trivial axum baseline in the same run, and writes the
# `api` section of docs/BENCHMARKS.md. Never a timed test: rerun it by hand.
#
#   bench/api/run.sh                 # full run (about 7 minutes after the build)
#   BENCH_SKIP_BUILD=1 BENCH_WRITE_DOC=0 MOIM_DB_MAX_CONNECTIONS=4 bench/api/run.sh   # a variant
#
# Knobs are documented at the top of bench/api/bench.py. Needs PostgreSQL on 127.0.0.1:5432
# (trust auth, user postgres) unless BENCH_BACKENDS=sqlite, and wrk (installed when root).
# Exit status: 0 targets met, 2 targets missed, 1 the benchmark itself failed.
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
    nice -n 10 cargo build --release -p moim-web --example trivial
fi

exec python3 bench/api/bench.py "$@"
