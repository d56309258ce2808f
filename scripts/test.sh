#!/usr/bin/env bash
# The whole test suite, exactly what CI runs (.ci/run). Installs what it needs first.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

scripts/setup.sh --tools

say "Formatting"
cargo fmt --all --check

say "Clippy (native, warnings denied)"
cargo clippy --quiet --workspace --all-targets -- -D warnings

say "Clippy and build for wasm32-unknown-unknown (verifier)"
cargo clippy --quiet -p verifier -p www --target wasm32-unknown-unknown --all-targets -- -D warnings
cargo build --quiet -p verifier --target wasm32-unknown-unknown

say "Benchmarks compile"
cargo bench --quiet -p verifier --no-run

say "Fuzz smoke run (every parser of untrusted input)"
FUZZ_SECONDS="${FUZZ_SECONDS:-10}" scripts/fuzz-smoke.sh

say "Browser app (trunk build --release into dist/, used by the browser test)"
PATH="$PWD/tools/node_modules/.bin:$PATH" trunk build --release

say "Native tests (unit, conformance vectors, property tests, CLI, demo in headless Chromium)"
cargo test --workspace

say "Distributed engine (feature ballista): a scheduler and two executors on loopback, killed mid-run"
cargo clippy --quiet -p cli --features ballista --all-targets -- -D warnings
cargo test -p cli --features ballista --test distributed

say "verifier and app tests under wasm32 in headless Chromium"
CHROMEDRIVER="${CHROMEDRIVER:-$(command -v chromedriver)}" \
  cargo test -p verifier -p www --target wasm32-unknown-unknown

say "Accessibility audit of the built app (axe-core, WCAG 2.x A/AA; desktop and phone)"
scripts/a11y.sh
