#!/bin/sh
# Roster benchmarks: the demo ward month through the solver (median of 5 seeds) and the roster
# page for 50 members x 31 days (median of 50 renders). Optimised build, like production.
# Usage: bench/rosters/run.sh   (set CARGO_TARGET_DIR as you like)
set -eu
cd "$(dirname "$0")/../.."
exec nice -n 10 cargo bench -p moim-web --bench rosters
