#!/usr/bin/env bash
# Browser benchmarks in headless Debian chromium (figures for the README and issue notes):
#   - transfer size of the app (gzip -9 of what index.html loads; the hashing worker apart);
#   - navigation → verdict for the demo's valid (compact, #c1u=) link, real time (not virtual time);
#   - SHA-256 of a 1 GiB file streamed from the site: ledgerless's Web Worker vs hash-wasm
#     (npm) in the same page vs the fetch alone, and native sha256sum on the same file;
#   - peak memory of all chromium processes during the hashing (RSS summed, sampled).
# Needs dist/ (trunk build --release), chromium, node; installs its npm packages locally.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${LEDGERLESS:-target/release/ledgerless}
[ -x "$BIN" ] || BIN=target/debug/ledgerless
[ -f dist/index.html ] || { echo "dist/ is not built: run trunk build --release (scripts/setup.sh does)" >&2; exit 2; }
if [ -n "$(ps -C chromium -o stat= | grep -v Z || true)" ]; then
  echo "chromium is already running: its memory would be counted; stop it first" >&2; exit 2
fi
npm ci --prefix bench/browser --no-audit --no-fund >/dev/null
W=$(mktemp -d)
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$W"' EXIT
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
SITE="http://127.0.0.1:$PORT/"
"$BIN" demo --out "$W/demo" --app dist --site-url "$SITE" >/dev/null 2>&1
cp bench/browser/bench.html bench/browser/bench.js bench/browser/hw-worker.js \
   bench/browser/node_modules/hash-wasm/dist/sha256.umd.min.js "$W/demo/site/"

echo "== app transfer size (gzip -9)"
total=0
for f in dist/index.html dist/*.css dist/www-*.js dist/www-*_bg.wasm; do
  n=$(gzip -9c "$f" | wc -c); total=$((total + n)); printf '  %-40s %8d raw %8d gzip\n' "$(basename "$f")" "$(stat -c %s "$f")" "$n"
done
echo "  total loaded on navigation: $total bytes gzip"
w=0; for f in dist/hasher*; do w=$((w + $(gzip -9c "$f" | wc -c))); done
echo "  hashing worker (loaded only when files are checked): $w bytes gzip"

head -c 1073741824 /dev/urandom > "$W/demo/site/big.bin"
echo "== native sha256sum of the 1 GiB file"
/usr/bin/time -f "  %e s, %M KiB peak" sha256sum "$W/demo/site/big.bin"

"$BIN" serve "$W/demo/site" --addr "127.0.0.1:$PORT" 2>/dev/null & SERVER=$!
sleep 1
peak=0
( set +e +o pipefail; while sleep 0.5; do ps -C chromium -o rss= | awk '{s+=$1} END {print s+0}'; done ) > "$W/rss" & SAMPLER=$!
node bench/browser/bench.mjs "$SITE" "$(grep '^valid ' "$W/demo/links.txt" | cut -d' ' -f2)" | tee "$W/out.json"
kill $SAMPLER 2>/dev/null || true
peak=$(sort -n "$W/rss" | tail -1)
echo "== peak RSS of all chromium processes during the run: $((peak / 1024)) MiB"
python3 - "$W/out.json" <<'PY'
import json, sys, statistics
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
tv = lines[0]["timeToVerdict"]
print("== navigation → verdict (ms, real time):", [v["navigationToVerdictMs"] for v in tv], "verdicts", {v["verdict"] for v in tv})
h = lines[1]["hashing"]
def rate(runs): return [round(r["bytes"] / r["ms"] / 1000, 1) for r in runs]
for k in ("fetchOnly", "ledgerless", "hashwasm"):
    print(f"== {k}: MB/s {rate(h[k])}")
ours, ref = statistics.median(rate(h["ledgerless"])), statistics.median(rate(h["hashwasm"]))
same = {r["hex"] for r in h["ledgerless"]} == {r["hex"] for r in h["hashwasm"]}
print(f"== ledgerless / hash-wasm (medians): {ours / ref:.0%}; same digest: {same}")
PY
