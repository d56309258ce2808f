#!/usr/bin/env bash
# Prints the verifier's wasm/native speed ratio for the operations of
# verifier/benches/verify.rs, measured the same way on both targets: the ignored tests in
# verifier/tests/timing.rs run the shared loop of verifier/tests/common/workload.rs (a
# warm-up of >= 0.5 s, then the median of 11 rounds of 20,000 runs) natively (std::time::Instant)
# and in headless Chromium (performance.now()), both built with `cargo test --release`.
#
# Usage: scripts/bench-wasm-ratio.sh [--all]
#   --all  adds diagnostic columns, each against the same native figure:
#          wasm-z     wasm built with the app's size profile (wasm-release: opt-level "z", LTO);
#          wasm-simd  wasm built with -C target-feature=+simd128 (sha2's wasm SIMD backend);
#          and a native-soft column: native with sha2's portable backend instead of the
#          CPU's SHA extensions, i.e. the same SHA-256 code the plain wasm build runs.
#          The RUSTFLAGS builds use their own target dir (target/bench-ratio).
# Needs: the wasm32-unknown-unknown target, wasm-bindgen-test-runner (wasm-bindgen-cli 0.2.130),
# chromium and chromedriver (CHROMEDRIVER, default /usr/bin/chromedriver).
set -euo pipefail
cd "$(dirname "$0")/.."

export CHROMEDRIVER="${CHROMEDRIVER:-/usr/bin/chromedriver}"
# The runner's default limit is 20 s for the whole wasm test binary; the timing loop takes longer.
export WASM_BINDGEN_TEST_TIMEOUT="${WASM_BINDGEN_TEST_TIMEOUT:-900}"

all=false
case "${1:-}" in
  --all) all=true ;;
  "") ;;
  *) echo "usage: $0 [--all]" >&2; exit 2 ;;
esac

# timing LABEL CARGO-ARGS...: runs the timing test, prints its TIMING lines relabelled LABEL.
timing() {
  local label=$1 out
  shift
  echo "timing $label: cargo test -p verifier --test timing $* ..." >&2
  # --include-ignored, not --ignored: wasm-bindgen-test-runner 0.2.130 treats --ignored as a
  # filter only and still skips the ignored tests.
  if ! out=$(cargo test -p verifier --test timing "$@" -- --include-ignored --nocapture 2>&1); then
    printf '%s\n' "$out" >&2
    echo "error: timing $label failed" >&2
    exit 1
  fi
  printf '%s\n' "$out" | grep '^TIMING ' | awk -v l="$label" '{ $2 = l; print }' ||
    { printf '%s\n' "$out" >&2; echo "error: no TIMING lines for $label" >&2; exit 1; }
}

lines=$(timing native --release)
lines+=$'\n'$(timing wasm --release --target wasm32-unknown-unknown)
columns="wasm"
if $all; then
  lines+=$'\n'$(timing wasm-z --profile wasm-release --target wasm32-unknown-unknown)
  lines+=$'\n'$(CARGO_TARGET_DIR=target/bench-ratio \
    CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="-C target-feature=+simd128" \
    timing wasm-simd --release --target wasm32-unknown-unknown)
  lines+=$'\n'$(CARGO_TARGET_DIR=target/bench-ratio RUSTFLAGS='--cfg sha2_backend="soft"' \
    timing native-soft --release)
  columns="wasm wasm-z wasm-simd native-soft"
fi

mkdir -p target
printf '%s\n' "$lines" > target/bench-wasm-ratio.txt

echo
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//' || uname -m)," \
  "$(nproc) cpus, load average $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)"
echo "$(rustc --version); $(chromium --version 2>/dev/null || echo 'chromium: unknown')"
echo "ns/op: median of 11 rounds of 20,000 runs after a warm-up (>= 20,000 runs and 0.5 s); ratio = column / native;"
echo "the last column divides the fastest rounds, which a busy machine disturbs least"
echo "(raw lines with each round's min and max: target/bench-wasm-ratio.txt)"
echo
printf '%s\n' "$lines" | awk -v columns="$columns" '
  $1 == "TIMING" {
    if (!($3 in seen)) { seen[$3] = 1; order[n++] = $3 }
    t[$2, $3] = $4; hashes[$3] = $5; best[$2, $3] = $6
  }
  END {
    nc = split(columns, col, " ")
    printf "%-37s %6s %9s", "operation", "hashes", "native"
    for (c = 1; c <= nc; c++) printf " %11s %6s", col[c], "ratio"
    printf "  %s\n", "ratio of best rounds (wasm/native)"
    for (i = 0; i < n; i++) {
      op = order[i]; nat = t["native", op]
      printf "%-37s %6s %9.1f", op, hashes[op], nat
      for (c = 1; c <= nc; c++) printf " %11.1f %5.2fx", t[col[c], op], t[col[c], op] / nat
      printf "  %.2fx\n", best["wasm", op] / best["native", op]
    }
  }'
