#!/usr/bin/env bash
# Log writer benchmarks (release build):
#   - a 1M-entry batch append vs the bare cost of hashing the same entries and nodes;
#   - 10 single-entry appends to the resulting 1M-entry log;
#   - peak memory of a 10M-entry append.
# Run on the disk (BENCH_DIR, default the system temp dir) and, to separate file-system cost
# from CPU cost, on tmpfs (/dev/shm) when it exists.
#   scripts/bench-tlog.sh [--n N]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --quiet --release -p tlog --example bench_append
bin=target/release/examples/bench_append
echo "== on disk (${BENCH_DIR:-${TMPDIR:-/tmp}})"
sync
"$bin" "$@"
"$bin" --big 10000000
if [ -d /dev/shm ]; then
  echo "== on tmpfs (/dev/shm)"
  BENCH_DIR=/dev/shm "$bin" "$@"
fi
