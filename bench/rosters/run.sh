#!/bin/sh
# Roster benchmarks: the demo ward month through the solver (median of 5 seeds), the roster
# page for 50 members x 31 days (median of 50 renders), and the first complete roster visible
# to an HTTP client (real server, SSE `roster` event -> grid fragment; median of 5 runs).
# Optimised build, like production.
# Usage: bench/rosters/run.sh   (set CARGO_TARGET_DIR as you like)
set -eu
cd "$(dirname "$0")/../.."
nice -n 10 cargo bench -p moim-web --bench rosters
exec nice -n 10 cargo bench -p moim-web --bench rosters_live
