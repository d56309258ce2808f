#!/usr/bin/env bash
# Accessibility audit of the built app with axe-core (npm) in headless Debian chromium: the
# credential verdict, the release page with its files checked and an amber "could not check
# revocation" verdict, at desktop and phone sizes.
# Exit 1 if axe reports any WCAG 2.x A/AA or best-practice violation. Needs dist/ and node.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${LEDGERLESS:-target/debug/ledgerless}
[ -f dist/index.html ] || { echo "dist/ is not built: run trunk build --release" >&2; exit 2; }
npm ci --prefix bench/browser --no-audit --no-fund >/dev/null
W=$(mktemp -d)
trap 'kill $SERVER $SERVER2 2>/dev/null || true; rm -rf "$W"' EXIT
SERVER= SERVER2=
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$BIN" demo --out "$W/demo" --app dist --site-url "http://127.0.0.1:$PORT/" >/dev/null 2>&1
"$BIN" serve "$W/demo/site" --addr "127.0.0.1:$PORT" 2>/dev/null & SERVER=$!
# A copy of the site whose status list is gone: the revoked credential "could not be checked".
PORT2=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cp -r "$W/demo/site" "$W/unchecked"
rm "$W/unchecked/log/status/revocation.json"
"$BIN" serve "$W/unchecked" --addr "127.0.0.1:$PORT2" 2>/dev/null & SERVER2=$!
sleep 1
node bench/browser/a11y.mjs "$(grep '^valid ' "$W/demo/links.txt" | cut -d' ' -f2)" \
  "$(grep '^release ' "$W/demo/links.txt" | cut -d' ' -f2)" \
  "$(grep '^revoked ' "$W/demo/links.txt" | cut -d' ' -f2 | sed "s#127.0.0.1:$PORT/#127.0.0.1:$PORT2/#")"
