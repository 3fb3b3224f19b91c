#!/bin/sh
# Notification / job-queue benchmark (crates/web/examples/notify_bench.rs) on SQLite, then on
# PostgreSQL. The workers are separate `moim worker` processes (BENCH_MOIM); set IN_PROCESS=1 for
# runners inside the benchmark process instead.
# Usage: [DEBUG=1] [RUNS=3] [BENCH_JOBS=2000] [IN_PROCESS=1] bench/notify/run.sh [postgres-admin-url]
set -e
cd "$(dirname "$0")/../.."
PG=${1:-postgres://postgres@127.0.0.1:5432/postgres}
if [ -n "$DEBUG" ]; then FLAGS=""; DIR=debug; else FLAGS="--release"; DIR=release; fi
nice -n 5 cargo build $FLAGS -p moim-web --example notify_bench
nice -n 5 cargo build $FLAGS -p moim-server --bin moim
BIN=${CARGO_TARGET_DIR:-target}/$DIR/examples/notify_bench
if [ -z "$IN_PROCESS" ]; then export BENCH_MOIM="$(realpath "${CARGO_TARGET_DIR:-target}/$DIR/moim")"; fi
echo "== commit $(git rev-parse --short HEAD), load: $(cut -d' ' -f1-3 /proc/loadavg)"
# RUNS runs of each (3 by default); BENCHMARKS.md reports their medians.
for i in $(seq 1 "${RUNS:-3}"); do
  echo "== run $i: SQLite"; env -u MOIM_TEST_DATABASE_URL nice -n 5 "$BIN"
  echo "== run $i: PostgreSQL"; MOIM_TEST_DATABASE_URL="$PG" nice -n 5 "$BIN"
done
echo "== load after: $(cut -d' ' -f1-3 /proc/loadavg)"
