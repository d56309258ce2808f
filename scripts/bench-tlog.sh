#!/usr/bin/env bash
# Log writer benchmarks (release build): 1M-entry batch append vs bare hashing, single
# appends to a 1M-entry log, and peak memory of a 10M-entry append.
#   scripts/bench-tlog.sh [--n N] [--big M]      BENCH_DIR=... to choose the disk
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --quiet --release -p tlog --example bench_append
target/release/examples/bench_append "$@"
if [ $# -eq 0 ]; then target/release/examples/bench_append --big 10000000; fi
