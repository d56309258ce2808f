#!/usr/bin/env bash
# One command on a fresh machine: installs every tool ledgerless needs, builds it, and runs
# the main job. Idempotent: tools already at the right version are not reinstalled.
#
#   scripts/setup.sh            set up, build, put `ledgerless` on PATH, run the main job
#   scripts/setup.sh --tools    set up only (scripts/test.sh uses this)
#
# Until the end-to-end demo exists, the main job is the CLI verifying the shipped example
# register in examples/registry/ (a C2SP tlog-proof under a witness policy, an inclusion
# proof, a consistency proof, a forged entry that must be rejected), then issuing, disclosing,
# verifying and revoking credentials for 200 synthetic registrants.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

# 1. Rust: rust-toolchain.toml pins 1.95.0 with the wasm32 target, clippy and rustfmt;
#    rustup installs them on first use. The fuzz smoke test needs a nightly toolchain.
say "Rust toolchain"
rustup show active-toolchain >/dev/null
rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
if ! cargo +nightly --version >/dev/null 2>&1; then
  rustup toolchain install nightly --profile minimal
fi

# 2. Debian packages: Chromium and its driver run the verifier's wasm tests in a browser;
#    zbarimg (zbar-tools, reading SVG through ImageMagick's extra coders) is the independent
#    QR decoder of the share test (cli/tests/credentials.rs).
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null || ! command -v zbarimg >/dev/null; then
  say "Installing Debian chromium, chromium-driver and zbar-tools"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver \
    zbar-tools libmagickcore-6.q16-6-extra >/dev/null
fi

# 3. cargo tools, at exact versions.
WB_VERSION=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/"/,"",$3); print $3; exit}' Cargo.lock)
if [ -z "$WB_VERSION" ]; then WB_VERSION=0.2.130; fi
if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $WB_VERSION" ]; then
  say "Installing wasm-bindgen-cli $WB_VERSION (about 8 minutes)"
  # Not --locked: the registry here lacks a crate version its lockfile names (docs/toolchain.md).
  cargo install --quiet --force "wasm-bindgen-cli@$WB_VERSION"
fi
if [ "$(trunk --version 2>/dev/null)" != "trunk 0.21.14" ]; then
  say "Installing trunk 0.21.14 (about 10 minutes; newer trunk needs a newer rustc)"
  cargo install --quiet --locked trunk@0.21.14
fi
# wasm-opt from npm binaryen 132 (Debian's binaryen is too old for Rust 1.95's wasm).
if [ ! -x tools/node_modules/.bin/wasm-opt ]; then
  say "Installing wasm-opt (npm binaryen 132)"
  npm ci --prefix tools --no-audit --no-fund --silent
fi
if [ "$(cargo fuzz --version 2>/dev/null)" != "cargo-fuzz 0.13.2" ]; then
  say "Installing cargo-fuzz 0.13.2"
  cargo install --quiet --locked cargo-fuzz@0.13.2
fi

[ "${1:-}" = "--tools" ] && exit 0

# 4a. Build the browser app into dist/.
say "Building the browser app (trunk build --release)"
PATH="$PWD/tools/node_modules/.bin:$PATH" trunk build --release >/dev/null

# 4. Build ledgerless and put it on PATH.
say "Building ledgerless"
cargo build --quiet -p cli
T=${CARGO_TARGET_DIR:-target}
case "$T" in /*) ;; *) T=$PWD/$T ;; esac
L=$T/debug/ledgerless
# A link in cargo's bin directory, where rustup put cargo and where trunk and wasm-bindgen were
# installed above (so it is on PATH already): it points at the binary just built, so a later
# `cargo build -p cli` updates the command too, and no second (release) build is needed.
BIN=${CARGO_HOME:-$HOME/.cargo}/bin
mkdir -p "$BIN"
ln -sfn "$L" "$BIN/ledgerless"
if [ "$(command -v ledgerless)" != "$BIN/ledgerless" ]; then
  echo "note: $BIN is not first on PATH; add it (export PATH=\"$BIN:\$PATH\") to run ledgerless by name" >&2
fi

# 5. Run the main job.
EX=examples/registry
run() { printf '\n$ ledgerless %s\n' "$*"; "$L" "$@"; }
# must_fail WHAT ARGS...: runs ledgerless and requires exit 1 (not verified).
must_fail() {
  local what=$1 code=0
  shift
  run "$@" || code=$?
  if [ "$code" -ne 1 ]; then echo "expected exit 1 for the $what, got $code" >&2; exit 1; fi
}

say "Main job: verifying the shipped example register (examples/registry)"
run verify "$EX/entry-2.tlog-proof" --entry "$EX/entry-2.json" --policy "$EX/policy"
run verify-inclusion --vkey "$EX/log.pub" --checkpoint "$EX/checkpoint" --entry "$EX/entry-2.json" \
  --index 2 --proof "$EX/entry-2.proof"
run verify-consistency --vkey "$EX/log.pub" --old "$EX/checkpoint.4" --new "$EX/checkpoint" \
  --proof "$EX/consistency-4-6.proof"

say "A tampered entry must be rejected (exit 1)"
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
sed 's/suspended/licensed/; s/registered/licensed/' "$EX/entry-2.json" > "$TMP/forged.json"
must_fail "forged entry" verify "$EX/entry-2.tlog-proof" --entry "$TMP/forged.json" --policy "$EX/policy"
say "Credentials: issue 200 synthetic registrants' credentials, disclose, verify, revoke"
W="$TMP/credentials"; mkdir -p "$W"
run keygen --name register.example.org/gmc --out "$W/issuer" >/dev/null
run log init "$W/log" --key "$W/issuer.key"
run synth registrants --rows 200 --seed 7 --out "$W/registrants.csv"
run issue --log "$W/log" --key "$W/issuer.key" --input "$W/registrants.csv" --out "$W/bundles"
ID=$(awk -F, 'NR>1 && $2=="RegisterEntry" && ($4=="" || $4>"2027") {print $1; exit}' "$W/registrants.csv")
run disclose "$W/bundles/$ID.json" --claims name,register,status --out "$W/mine.json"
run verify "$W/mine.json" --vkey "$W/issuer.pub" --log "$W/log"
run revoke --log "$W/log" --key "$W/issuer.key" --id "$ID" --reason "demo"
must_fail "revoked credential" verify "$W/mine.json" --vkey "$W/issuer.pub" --log "$W/log"
say "The demo: an issuer log, 300 credentials (one revoked, one expired), a witness, a published"
say "anonymised release of 20,000 synthetic patients, the site, and the links to open"
run demo --out "$TMP/demo" --app dist --site-url http://127.0.0.1:8080/
say "Analytics: 200,000 synthetic patients anonymised (k=10, l=2, 2% suppression), tables, report"
run synth patients --rows 200000 --seed 1 --out "$TMP/patients.parquet"
run anonymise --input "$TMP/patients.parquet" --policy examples/patients/policy.toml --out "$TMP/release"
head -4 "$TMP/release/microdata.csv"; head -6 "$TMP/release/tables/admissions_by_region_age_sex.csv"
say "Publishing the release in a log, verifying it file by file, proving one cited figure"
run keygen --name stats.example.nhs.uk/releases --out "$TMP/publisher" >/dev/null
run log init "$TMP/publog" --key "$TMP/publisher.key"
run publish "$TMP/release" --log "$TMP/publog" --key "$TMP/publisher.key"
run verify "$TMP/release" --vkey "$TMP/publisher.pub" --log "$TMP/publog"
run prove-row "$TMP/release" --table admissions_by_region_age_sex --row 0 --out "$TMP/row.json"
run verify "$TMP/row.json" --vkey "$TMP/publisher.pub"
say "One changed byte in the microdata must be caught and named (exit 1)"
printf 'X' | dd of="$TMP/release/microdata.csv" bs=1 seek=100 conv=notrunc status=none
must_fail "altered microdata" verify "$TMP/release" --vkey "$TMP/publisher.pub"
say "Done: the genuine entry verified, the forged one was rejected, the revoked credential failed,"
say "the demo site was built, a patient release was anonymised, published and verified, and the"
say "altered copy was rejected. \`ledgerless\` is now on PATH ($BIN/ledgerless -> $L)."
say "To open the demo, from $PWD (it uses dist/): ledgerless demo --out demo --serve  (then open a link it prints)"
