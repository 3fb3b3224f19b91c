#!/bin/sh
# Real-time delivery latency for BENCH_CLIENTS (1000) SSE clients, same instance and
# cross-instance (crates/web/examples/notify_sse_bench.rs), on PostgreSQL (LISTEN/NOTIFY), then
# through Redis when MOIM_TEST_REDIS_URL is set, then on SQLite (same instance only).
# Usage: [DEBUG=1] [RUNS=3] [BENCH_CLIENTS=1000] bench/notify/sse.sh [postgres-admin-url]
set -e
cd "$(dirname "$0")/../.."
PG=${1:-postgres://postgres@127.0.0.1:5432/postgres}
if [ -n "$DEBUG" ]; then FLAGS=""; DIR=debug; else FLAGS="--release"; DIR=release; fi
# Each client and its server side hold a socket: 2 000+ descriptors.
ulimit -n 65536 2>/dev/null || ulimit -n 8192 2>/dev/null || true
cargo build $FLAGS -p moim-web --example notify_sse_bench
BIN=${CARGO_TARGET_DIR:-target}/$DIR/examples/notify_sse_bench
echo "== commit $(git rev-parse --short HEAD), load: $(cut -d" " -f1-3 /proc/loadavg)"
# RUNS runs of each (3 by default); BENCHMARKS.md reports their medians.
for i in $(seq 1 "${RUNS:-3}"); do
  echo "== run $i: PostgreSQL, LISTEN/NOTIFY"; env -u MOIM_TEST_REDIS_URL MOIM_TEST_DATABASE_URL="$PG" nice -n 5 "$BIN"
  if [ -n "$MOIM_TEST_REDIS_URL" ]; then echo "== run $i: PostgreSQL, Redis"; MOIM_TEST_DATABASE_URL="$PG" nice -n 5 "$BIN"; fi
  echo "== run $i: SQLite"; env -u MOIM_TEST_DATABASE_URL -u MOIM_TEST_REDIS_URL nice -n 5 "$BIN"
done
echo "== load after: $(cut -d" " -f1-3 /proc/loadavg)"
