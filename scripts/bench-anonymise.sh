#!/usr/bin/env bash
# Anonymisation benchmarks (release build; figures in the issue notes and docs/design/0007):
#  1. ARX Adult, 8 quasi-identifiers, k=5, 1% suppression, the whole CLI run (3 runs), with the
#     search alone as `ledgerless anonymise --json` reports it (compare: ARX's Flash, 27 ms in the
#     published anonbench results, arx-deidentifier/anonbench results/results.csv @7b288dc6; not
#     copied here, see tests/data/README.md). Data: tests/data/adult. With --adult-matrix, also
#     the search for k = 2..100, 0/1/5% suppression and the three metrics (best of 3 runs each).
#     The same with recoding = "local" (issue 13: DM, share of rows finer than `*` per column).
#  2. Synthetic patients, 6 quasi-identifiers, k=10 (examples/patients/policy.toml, local
#     recoding) against the same policy with recoding = "global": 200,000 and 1,000,000 rows,
#     and 10,000,000 with --10m. Wall time and peak memory (/usr/bin/time), loss, and the share
#     of rows finer than `*` per column.
#  3. With --scale (alone): issue 16's table. Synthetic patients at 1M, 10M and 100M rows (or
#     the row counts given after --scale), 6 quasi-identifiers, k=10, global recoding: wall
#     time, peak resident memory (/usr/bin/time, and `peak_memory_bytes` of --json) and the
#     stages. The inputs are generated once into $BENCH_DATA (default target/bench-data; 100M
#     rows are a 2.1 GB Parquet file that takes minutes to make) and kept for the next run.
# Honours CARGO_TARGET_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
TEN_M=0
MATRIX=0
SCALE=()
SCALING=0
for a in "$@"; do
  case "$a" in
    --10m) TEN_M=1 ;;
    --adult-matrix) MATRIX=1 ;;
    --scale) SCALING=1 ;;
    [0-9]*) [ "$SCALING" = 1 ] || { echo "usage: $0 [--10m] [--adult-matrix] | --scale [ROWS...]" >&2; exit 2; }; SCALE+=("$a") ;;
    *) echo "usage: $0 [--10m] [--adult-matrix] | --scale [ROWS...]" >&2; exit 2 ;;
  esac
done
cargo build --quiet --release -p cli
T=${CARGO_TARGET_DIR:-target}
case "$T" in /*) ;; *) T=$PWD/$T ;; esac
L=$T/release/ledgerless
W=$(mktemp -d "${TMPDIR:-/tmp}/bench-anonymise.XXXXXX"); trap 'rm -rf "$W"' EXIT
measure() { # measure NAME CMD...: prints wall seconds and peak RSS
  local name=$1; shift
  /usr/bin/time -f "%e %M" -o "$W/time" "$@" >"$W/out.json"
  read -r secs kb <"$W/time"
  printf '%-40s %8.2f s  peak %7.1f MiB' "$name" "$secs" "$(echo "$kb / 1024" | bc -l)"
  if grep -q '"seconds"' "$W/out.json"; then
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); s=d["seconds"]; q=d["search"]; print("  (read %.3f, search %.3f, write %.3f, tables+report %.3f; of %d nodes %d checked (%d rolled up, %d entries read), %d tagged, %d pruned)" % (s["read"], s["search"], s["write"], s["tables_and_report"], q["lattice_size"], q["checked"], q.get("rolled_up", 0), q.get("entries_read", 0), q["tagged"], q["pruned"]))' "$W/out.json"
  else
    echo
  fi
}

shares() { # shares REPORT.json: the figures of issue 13's targets
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("   %s: DM %d, loss %.4f, suppressed %d; finer than * per column: %s" % (d["policy"]["recoding"], d["information_loss"]["discernibility"], d["information_loss"]["loss"], d["result"]["records_suppressed"], ", ".join("%s %.1f%%" % (a["column"], 100 * a["finer_than_top"]) for a in d["attributes"]))); g=d.get("global"); g and print("   global optimum of the same policy: DM %d, loss %.4f" % (g["discernibility"], g["loss"]))' "$1"
}

if [ "$SCALING" = 1 ]; then
  if [ "$TEN_M" = 1 ] || [ "$MATRIX" = 1 ]; then
    echo "usage: --scale runs alone (not with --10m or --adult-matrix)" >&2
    exit 2
  fi
  [ "${#SCALE[@]}" -gt 0 ] || SCALE=(1000000 10000000 100000000)
  DATA=${BENCH_DATA:-$T/bench-data}
  mkdir -p "$DATA"
  sed 's/^recoding = "local"/recoding = "global"/' examples/patients/policy.toml >"$W/global.toml"
  cp -r examples/patients/hierarchies "$W/"
  echo "== synthetic patients, 6 QIs, k=10, l=2, 2% suppression, global recoding ($(nproc) cores, $(free -g | awk '/Mem/ {print $2}') GiB)"
  for rows in "${SCALE[@]}"; do
    if [ ! -f "$DATA/patients-$rows.parquet" ]; then
      measure "synth patients $rows (parquet, once)" "$L" synth patients --rows "$rows" --seed 1 --out "$DATA/patients-$rows.parquet"
    fi
    rm -rf "$W/release"
    measure "anonymise $rows" "$L" anonymise --input "$DATA/patients-$rows.parquet" --policy "$W/global.toml" --out "$W/release" --json
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); r=d["result"]; p=d.get("peak_memory_bytes"); print("   node %s, %d suppressed, %d classes, loss %.4f; --json peak_memory_bytes %s (%.2f GiB)" % (r["node"], r["records_suppressed"], r["classes"], d["information_loss"]["loss"], p, (p or 0) / 2**30))' "$W/out.json"
    rm -rf "$W/release"
  done
  exit 0
fi

ADULT=tests/data/adult
if [ ! -f "$ADULT/adult.csv" ]; then
  echo "bench-anonymise: $ADULT/adult.csv is missing (it is part of the repository)" >&2
  exit 1
fi
{
  printf 'k = 5\nsuppression_limit = 0.01\nmetric = "discernibility"\n'
  for q in age education marital-status native-country race salary-class sex workclass; do
    printf '[[quasi_identifier]]\ncolumn = "%s"\nhierarchy = "%s"\n' "$q" "$(realpath "$ADULT/adult_hierarchy_$q.csv")"
  done
} >"$W/adult.toml"
echo "== ARX Adult (30,162 rows), 8 QIs, k=5, 1% suppression, minimising discernibility"
for i in 1 2 3; do
  rm -rf "$W/adult-release"
  measure "adult run $i" "$L" anonymise --input "$ADULT/adult.csv" --policy "$W/adult.toml" --out "$W/adult-release" --json
done
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("   DM %d, node %s, suppressed %d" % (d["information_loss"]["discernibility"], d["result"]["node"], d["result"]["records_suppressed"]))' "$W/out.json"
sed 's/^k = 5$/k = 5\nrecoding = "local"/' "$W/adult.toml" >"$W/adult-local.toml"
for i in 1 2 3; do
  rm -rf "$W/adult-release"
  measure "adult local run $i" "$L" anonymise --input "$ADULT/adult.csv" --policy "$W/adult-local.toml" --out "$W/adult-release" --json
done
shares "$W/out.json"
if [ "$MATRIX" = 1 ]; then
  echo "== ARX Adult, 8 QIs: search alone (best of 3 runs), by metric, k and suppression limit"
  for metric in discernibility loss entropy; do
    for k in 2 5 10 50 100; do
      for limit in 0 0.01 0.05; do
        sed -e "s/^k = .*/k = $k/" -e "s/^suppression_limit = .*/suppression_limit = $limit/" \
          -e "s/^metric = .*/metric = \"$metric\"/" "$W/adult.toml" >"$W/m.toml"
        for i in 1 2 3; do
          rm -rf "$W/m-release"
          "$L" anonymise --input "$ADULT/adult.csv" --policy "$W/m.toml" --out "$W/m-release" --json >"$W/m$i.json"
        done
        python3 -c 'import json,sys; r=[json.load(open(f)) for f in sys.argv[4:]]; q=r[0]["search"]; print("%-14s k=%-3s limit=%-4s search %6.1f ms  node %s  checked %d, tagged %d, pruned %d" % (sys.argv[1], sys.argv[2], sys.argv[3], 1000 * min(d["seconds"]["search"] for d in r), r[0]["result"]["node"], q["checked"], q["tagged"], q["pruned"]))' \
          "$metric" "$k" "$limit" "$W"/m1.json "$W"/m2.json "$W"/m3.json
      done
    done
  done
fi

sed 's/^recoding = "local"/recoding = "global"/' examples/patients/policy.toml >"$W/global.toml"
cp -r examples/patients/hierarchies "$W/"
for rows in 200000 1000000 $([ "$TEN_M" = 1 ] && echo 10000000); do
  echo "== $rows synthetic patients, 6 QIs, k=10, l=2, 2% suppression (examples/patients/policy.toml)"
  measure "synth patients $rows (parquet)" "$L" synth patients --rows "$rows" --seed 1 --out "$W/p.parquet"
  for policy in "$W/global.toml" examples/patients/policy.toml; do
    rm -rf "$W/release"
    measure "anonymise $rows ($(grep -o '^recoding = .*' "$policy"))" "$L" anonymise --input "$W/p.parquet" --policy "$policy" --out "$W/release" --json
    shares "$W/out.json"
  done
  ls -l "$W/release" | awk 'NR>1 {print "   " $5, $9}'
  rm -rf "$W/release" "$W/p.parquet"
done
