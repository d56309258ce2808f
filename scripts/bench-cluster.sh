#!/usr/bin/env bash
# The distributed engine against the local one (issue 16, docs/design/0016), release build with
# the `ballista` feature: a scheduler and two executors on loopback (separate processes of
# `ledgerless cluster`), PARTS*ROWS_PER_PART synthetic patients (seed 1) as PARTS Parquet parts
# (`synth patients --first-row`: consecutive slices of the one data set), 6 quasi-identifiers,
# k=10 (examples/patients/policy.toml), global recoding unless RECODING is local (the example
# policy as it is: one level per combination).
#   scripts/bench-cluster.sh [PARTS ROWS_PER_PART [RECODING]]   default: 10 1000000 global
# With CHECKS_ON_CLUSTER=1 the cluster run passes --checks-on-cluster (global recoding only):
# every check of the search is a job on the cluster and the client never holds the combinations.
# Prints wall time and peak memory of the client (/usr/bin/time) for the cluster run and for
# the local engine on the same rows (one Parquet file of them all), and checks the two releases
# make the same decision (report figures, tables, microdata rows as multisets).
# Inputs are made once into $BENCH_DATA/slices-PARTSxROWS (default target/bench-data).
# Honours CARGO_TARGET_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
PARTS=${1:-10}
PER=${2:-1000000}
RECODING=${3:-global}
case "$RECODING" in global|local) ;; *) echo "RECODING must be global or local, not $RECODING" >&2; exit 2 ;; esac
cargo build --quiet --release -p cli --features ballista
T=${CARGO_TARGET_DIR:-target}
case "$T" in /*) ;; *) T=$PWD/$T ;; esac
L=$T/release/ledgerless
W=$(mktemp -d "${TMPDIR:-/tmp}/bench-cluster.XXXXXX")
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$W"; }
trap cleanup EXIT
DATA=${BENCH_DATA:-$T/bench-data}/slices-${PARTS}x${PER}
mkdir -p "$DATA/parts"
for s in $(seq 1 "$PARTS"); do
  f=$DATA/parts/p$(printf %03d "$s").parquet
  [ -f "$f" ] || "$L" synth patients --rows "$PER" --seed 1 --first-row $(((s - 1) * PER)) --out "$f"
done
[ -f "$DATA/all.parquet" ] || "$L" synth patients --rows $((PARTS * PER)) --seed 1 --out "$DATA/all.parquet"
sed "s/^recoding = \"local\"/recoding = \"$RECODING\"/" examples/patients/policy.toml >"$W/policy.toml"
grep -q "^recoding = \"$RECODING\"" "$W/policy.toml"
cp -r examples/patients/hierarchies "$W/"

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
P=$(port)
"$L" cluster scheduler --bind "127.0.0.1:$P" --min-executors 2 2>"$W/scheduler.log" & PIDS+=($!)
for i in 0 1; do
  "$L" cluster executor --scheduler "127.0.0.1:$P" --flight-port "$(port)" --grpc-port "$(port)" \
    --work-dir "$W/work$i" --vcores 2 --memory-mib 4096 2>"$W/executor$i.log" & PIDS+=($!)
done
for _ in $(seq 1 300); do
  curl -sf "http://127.0.0.1:$P/readyz" >/dev/null && break
  sleep 0.2
done
curl -sf "http://127.0.0.1:$P/readyz" >/dev/null || { echo "the cluster did not come up" >&2; cat "$W"/*.log >&2; exit 1; }

measure() { # measure NAME CMD...: wall seconds and peak RSS of the command (the client)
  local name=$1; shift
  /usr/bin/time -f "%e %M" -o "$W/time" "$@" >"$W/out.json"
  read -r secs kb <"$W/time"
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); s=d["seconds"]; r=d["result"]; print("%-34s %8.2f s  peak %7.1f MiB  (read+count %.1f, search %.1f, write %.1f, tables %.1f)  node %s, %d suppressed, %d classes" % (sys.argv[2], float(sys.argv[3]), float(sys.argv[4]) / 1024, s["read"], s["search"], s["write"], s["tables_and_report"], r["node"], r["records_suppressed"], r["classes"]))' "$W/out.json" "$name" "$secs" "$kb"
}
ROWS=$((PARTS * PER))
echo "== $ROWS synthetic patients in $PARTS parts, 6 QIs, k=10, $RECODING recoding ($(nproc) cores, $(free -g | awk '/Mem/ {print $2}') GiB); cluster: scheduler + 2 executors (2 slots, 4 GiB each) on loopback"
ON_ROWS=()
[ -z "${CHECKS_ON_CLUSTER:-}" ] || ON_ROWS=(--checks-on-cluster)
measure "cluster (--engine df://…${ON_ROWS[*]:+ ${ON_ROWS[*]}})" "$L" anonymise --engine "df://127.0.0.1:$P" "${ON_ROWS[@]}" --input "$DATA/parts" --policy "$W/policy.toml" --out "$W/cluster" --json
measure "local, same rows (one Parquet)" "$L" anonymise --input "$DATA/all.parquet" --policy "$W/policy.toml" --out "$W/local" --json
python3 - "$W/local" "$W/cluster" <<'PY'
import csv, hashlib, json, os, sys
a, b = sys.argv[1:3]
ja, jb = (json.load(open(os.path.join(d, "report.json"))) for d in (a, b))
diff = [f for f in ["result", "information_loss", "risk", "class_sizes", "attributes", "tables"] if ja[f] != jb[f]]
tables = sorted(os.listdir(os.path.join(a, "tables")))
tdiff = [t for t in tables if open(os.path.join(a, "tables", t), "rb").read() != open(os.path.join(b, "tables", t), "rb").read()]
def rows(d):  # the header, and the rows' fields (as read: the cluster quotes every field) as a
    # multiset: count, sum and xor of 64-bit BLAKE2b hashes, in one streaming pass
    n = s = x = 0
    with open(os.path.join(d, "microdata.csv"), newline="") as f:
        r = csv.reader(f)
        header = next(r)
        for row in r:
            v = int.from_bytes(hashlib.blake2b(json.dumps(row).encode(), digest_size=8).digest(), "little")
            n, s, x = n + 1, (s + v) % 2**64, x ^ v
    return header, n, s, x
same_rows = rows(a) == rows(b)
print("same decision: report figures %s, tables %s, microdata rows %s" % ("equal" if not diff else "DIFFER in " + ", ".join(diff), "equal" if not tdiff else "DIFFER: " + ", ".join(tdiff), "equal (as multisets, by hash)" if same_rows else "DIFFER"))
sys.exit(0 if not diff and not tdiff and same_rows else 1)
PY
echo "parts: $(ls "$W/cluster/microdata" | wc -l) Parquet files; executors' peak memory is not the client's (see their processes)"
