#!/usr/bin/env bash
# Fuzz smoke test: builds every cargo-fuzz target in fuzz/ and runs each one briefly.
#
#   scripts/fuzz-smoke.sh [target...]      default: every target (`cargo fuzz list`)
#
#   FUZZ_SECONDS  time per target, in seconds (default 10)
#   FUZZ_TIMEOUT  longest one input may take before it counts as a hang, in seconds (default 10)
#
# Needs the nightly toolchain and cargo-fuzz (`cargo install --locked cargo-fuzz@0.13.2`). Builds
# with debug assertions and overflow checks on, as cargo-fuzz does by default. Seeds the
# corpus first (fuzz/seed.sh), so it works from a fresh clone.
#
# Prints one line per target with the runs libFuzzer did ("Done N runs in S second(s)"), and exits
# non-zero if a build fails or any target crashes, hangs or runs out of memory. The crashing input
# is saved in fuzz/artifacts/<target>/ and the whole log in fuzz/target/smoke/<target>.log.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
fuzz_dir=$root/fuzz
seconds=${FUZZ_SECONDS:-10}
timeout=${FUZZ_TIMEOUT:-10}

if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    echo "fuzz-smoke: needs cargo-fuzz on the nightly toolchain: cargo install --locked cargo-fuzz@0.13.2" >&2
    exit 2
fi

if [ $# -gt 0 ]; then
    targets=("$@")
else
    mapfile -t targets < <(cargo +nightly fuzz list --fuzz-dir "$fuzz_dir")
fi

"$fuzz_dir/seed.sh"

# The same flags for build and run, so that run does not rebuild.
flags=(--fuzz-dir "$fuzz_dir" --debug-assertions)
cargo +nightly fuzz build "${flags[@]}"

logs=$fuzz_dir/target/smoke
mkdir -p "$logs"
failed=()
for t in "${targets[@]}"; do
    log=$logs/$t.log
    mkdir -p "$fuzz_dir/corpus/$t"
    status=ok
    if ! cargo +nightly fuzz run "${flags[@]}" "$t" "$fuzz_dir/corpus/$t" -- \
        -max_total_time="$seconds" -timeout="$timeout" >"$log" 2>&1; then
        status=FAILED
        failed+=("$t")
    fi
    done_line=$(grep -E '^Done [0-9]+ runs in [0-9]+ second' "$log" | tail -n 1 || true)
    if [[ $done_line =~ ^Done\ ([0-9]+)\ runs\ in\ ([0-9]+)\ second ]]; then
        runs=${BASH_REMATCH[1]}
        secs=${BASH_REMATCH[2]}
        printf '%-20s %-6s %10d runs in %3d s (%d runs/s)\n' "$t" "$status" "$runs" "$secs" $((runs / (secs > 0 ? secs : 1)))
    else
        # No "Done" line: it stopped early; libFuzzer's last status line ("#N ...") counts the runs.
        runs=$(grep -oE '^#[0-9]+' "$log" | tail -n 1 | tr -d '#' || true)
        printf '%-20s %-6s stopped after %s runs; log: %s\n' "$t" "$status" "${runs:-0}" "$log"
    fi
    if [ "$status" != ok ]; then
        # The panic message (if any), what libFuzzer saw, and where it saved the input.
        grep -m 1 -A 1 "panicked at" "$log" | sed 's/^/    /' || true
        grep -E "^SUMMARY|Test unit written|^error" "$log" | head -n 4 | sed 's/^/    /' || true
    fi
done

if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz-smoke: ${#failed[@]} of ${#targets[@]} targets failed: ${failed[*]}" >&2
    exit 1
fi
echo "fuzz-smoke: ${#targets[@]} targets ran ${seconds} s each without a crash"
