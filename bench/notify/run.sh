#!/bin/sh
# Notification / job-queue benchmark (crates/web/examples/notify_bench.rs) on SQLite, then on
# PostgreSQL. Usage: [DEBUG=1] [BENCH_JOBS=2000] bench/notify/run.sh [postgres-admin-url]
set -e
cd "$(dirname "$0")/../.."
PG=${1:-postgres://postgres@127.0.0.1:5432/postgres}
if [ -n "$DEBUG" ]; then FLAGS=""; DIR=debug; else FLAGS="--release"; DIR=release; fi
cargo build $FLAGS -p moim-web --example notify_bench
BIN=${CARGO_TARGET_DIR:-target}/$DIR/examples/notify_bench
echo "== SQLite"; env -u MOIM_TEST_DATABASE_URL "$BIN"
echo "== PostgreSQL"; MOIM_TEST_DATABASE_URL="$PG" "$BIN"
