#!/usr/bin/env bash
# Publish and verify a release whose microdata.csv is about 1 GB (10,000,000 synthetic patient
# rows): wall time and peak memory of each (/usr/bin/time). Hashing is streamed, so peak memory
# should not grow with the file. Release build. Needs ~2.5 GB of free disk in $TMPDIR.
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${ROWS:-10000000}
cargo build --quiet --release -p cli
L=$PWD/target/release/ledgerless
W=$(mktemp -d "${TMPDIR:-/tmp}/bench-publish.XXXXXX"); trap 'rm -rf "$W"' EXIT
measure() {
  local name=$1; shift
  /usr/bin/time -f "%e %M" -o "$W/time" "$@" >"$W/out" 2>"$W/err" || { cat "$W/err" >&2; exit 1; }
  read -r secs kb <"$W/time"
  printf '%-34s %8.2f s  peak %7.1f MiB\n' "$name" "$secs" "$(echo "$kb / 1024" | bc -l)"
}
# A small real release for its report and tables, then a 1 GB microdata.csv in place of its own.
"$L" synth patients --rows 20000 --seed 1 --out "$W/small.csv" 2>/dev/null
"$L" anonymise --input "$W/small.csv" --policy examples/patients/policy.toml --out "$W/release" -q
rm "$W/release/microdata.parquet"
measure "synth $ROWS rows (CSV)" "$L" synth patients --rows "$ROWS" --seed 2 --out "$W/release/microdata.csv" --force
ls -l "$W/release/microdata.csv" | awk '{printf "microdata.csv: %.2f GB\n", $5/1e9}'
"$L" keygen --name bench.example.org/releases --out "$W/pub" >/dev/null 2>&1
"$L" log init "$W/log" --key "$W/pub.key" >/dev/null
measure "publish" "$L" publish "$W/release" --log "$W/log" --key "$W/pub.key"
measure "verify (bundle + every file)" "$L" verify "$W/release" --vkey "$W/pub.pub" --log "$W/log"
measure "prove-row (microdata row 5,000,000)" "$L" prove-row "$W/release" --table microdata --row $((ROWS / 2)) --out "$W/row.json"
ls -l "$W/row.json" | awk '{print "row proof: " $5 " bytes"}'
measure "verify the row proof" "$L" verify "$W/row.json" --vkey "$W/pub.pub"
