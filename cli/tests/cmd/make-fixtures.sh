#!/usr/bin/env bash
# Rebuilds cli/tests/cmd/fixtures/ with the ledgerless binary: test keys, a witnessed
# credential log with three bundles (valid, revoked, expired), a plain log, a small published
# release and a row proof. Keys, salts and timestamps are random, so the output is committed
# and this script is only re-run on purpose (then re-bless: see README.md).
# Usage: cli/tests/cmd/make-fixtures.sh [path/to/ledgerless]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="${1:-$here/../../../target/debug/ledgerless}"
bin="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"
f="$here/fixtures"
rm -rf "$f"
mkdir -p "$f/keys"
cd "$f"
L() { "$bin" "$@"; }

L keygen --name issuer.example.org/log --out keys/issuer >/dev/null 2>&1
L keygen --name witness.example.org/w1 --witness --out keys/witness >/dev/null 2>&1
L keygen --name publisher.example.org/releases --out keys/publisher >/dev/null 2>&1
L keygen --name other.example.org/log --out keys/other >/dev/null 2>&1

cat > policy.txt <<POL
log $(cat keys/issuer.pub)
witness w1 $(cat keys/witness.pub)
quorum w1
POL
cat > trust.json <<JSON
{"issuers": [{"name": "Example Register", "vkey": "$(cat keys/issuer.pub)", "log": "log",
              "policy": "log $(cat keys/issuer.pub)\nwitness w1 $(cat keys/witness.pub)\nquorum w1\n"}],
 "publishers": [{"name": "Example Publisher", "vkey": "$(cat keys/publisher.pub)", "log": "releases-log"}]}
JSON

# Credentials: alice stays valid, bob is revoked, carol expired at the end of 2024.
cat > registrants.csv <<CSV
id,type,valid_from,valid_until,name,profession,status
alice,RegisterEntry,2024-01-01,2030-01-01,Alice Example,doctor,registered
bob,RegisterEntry,2024-01-01,2030-01-01,Bob Example,nurse,registered
carol,RegisterEntry,2023-01-01,2025-01-01,Carol Example,midwife,registered
CSV
L log init log --key keys/issuer.key >/dev/null
L issue --log log --key keys/issuer.key --input registrants.csv --out bundles --policy policy.txt \
  --witness-key keys/witness.key --witness-state witness-state 2>/dev/null
L revoke --log log --key keys/issuer.key --id bob --witness-key keys/witness.key --witness-state witness-state 2>/dev/null
L disclose bundles/alice.json --claims name --out alice-name.json 2>/dev/null
# A tampered bundle: a claim value changed after issuance.
sed 's/"profession": "doctor"/"profession": "surgeon"/' bundles/alice.json > tampered.json
grep -q surgeon tampered.json
printf 'this is not a bundle\n' > malformed.json
# A bundle the compact form cannot carry: unauthenticated extra data in its tlog-proof.
sed 's|"c2sp.org/tlog-proof@v1\\nindex|"c2sp.org/tlog-proof@v1\\nextra AAEC\\nindex|' bundles/alice.json > extra-data.json
grep -q 'extra AAEC' extra-data.json

# The issuer's checkpoint without its witness cosignature (fails a quorum).
grep -v '^— witness' log/checkpoint > uncosigned-checkpoint

# A plain log of three entries, proofs for its entry 1 and the consistency 2 -> 3.
printf 'first entry\n' > entry-0.txt
printf 'second entry\n' > entry-1.txt
printf 'third entry\n' > entry-2.txt
L log init plain --key keys/other.key >/dev/null
L log append plain --key keys/other.key entry-0.txt entry-1.txt >/dev/null 2>&1
cp plain/checkpoint plain-checkpoint.2
L log append plain --key keys/other.key entry-2.txt >/dev/null 2>&1
L log prove plain --index 1 > entry-1.proof
L log consistency plain --from 2 > consistency-2-3.proof
L log proof plain --index 1 --out entry-1.tlog-proof

# A small release: 16 made-up patients, k = 2; published to its own log; a row proof.
cat > patients.csv <<CSV
name,age,sex,diagnosis
P01,31,F,J45
P02,33,F,E11
P03,36,M,I10
P04,38,M,J45
P05,41,F,I10
P06,42,F,E11
P07,44,M,J45
P08,47,M,I10
P09,51,F,E11
P10,52,F,J45
P11,55,M,I10
P12,58,M,E11
P13,61,F,J45
P14,63,F,I10
P15,66,M,E11
P16,69,M,J45
CSV
cat > anon-policy.toml <<TOML
k = 2
drop = ["name"]

[[quasi_identifier]]
column = "age"
hierarchy = { builtin = "age" }

[[quasi_identifier]]
column = "sex"
hierarchy = { builtin = "suppress" }

[[sensitive]]
column = "diagnosis"
l = 2

[[table]]
name = "by_sex"
group_by = ["sex"]
suppress_below = 3
round_to = 1
TOML
L anonymise --input patients.csv --policy anon-policy.toml --out release --quiet
L log init releases-log --key keys/publisher.key >/dev/null
L publish release --log releases-log --key keys/publisher.key 2>/dev/null
L prove-row release --table by_sex --row 0 --out row-proof.json 2>/dev/null
# Policies that fail: k above the row count, caps that no release meets, a column the input
# lacks, a misspelt key.
sed 's/^k = 2$/k = 100/' anon-policy.toml > k-too-high.toml
sed 's/^hierarchy = { builtin = "age" }$/hierarchy = { builtin = "age" }\nmax_level = 0/' anon-policy.toml > infeasible.toml
sed 's/^column = "sex"$/column = "gender"/' anon-policy.toml > unknown-column.toml
sed 's/^k = 2$/k = 2\nsupression_limit = 0.1/' anon-policy.toml > typo.toml
# An anonymised release not yet published, and a published one with an altered table.
L anonymise --input patients.csv --policy anon-policy.toml --out rel-unpublished --quiet
cp -r release release-altered
printf 'sex,count\nF,9\nM,8\nTotal,17\n' > release-altered/tables/by_sex.csv
# Interrupted publishes: manifest.json appended to releases-log but no bundle; and a
# manifest.json never appended to it (published to a scratch log that is then dropped).
cp -r release release-interrupted
rm release-interrupted/manifest.bundle.json
cp -r rel-unpublished release-unappended
L log init scratch-log --key keys/publisher.key >/dev/null
L publish release-unappended --log scratch-log --key keys/publisher.key 2>/dev/null
rm -r scratch-log release-unappended/manifest.bundle.json
# A policy naming no log; a CSV with a short row.
printf 'witness w1 %s\nquorum w1\n' "$(cat keys/witness.pub)" > policy-no-log.txt
# Trust lists whose issuer entry names an origin: another one, and one together with a policy.
printf '{"issuers": [{"name": "Issuer", "vkey": "%s", "origin": "go.sum database tree"}]}\n' "$(cat keys/issuer.pub)" > trust-origin.json
printf '{"issuers": [{"name": "Issuer", "vkey": "%s", "origin": "go.sum database tree", "policy": "log %s\\nquorum none\\n"}]}\n' "$(cat keys/issuer.pub)" "$(cat keys/issuer.pub)" > trust-origin-policy.json
# Both logs, with the witness at a URL where nothing listens (port 9, discard): `log witness`.
printf 'log %s\nlog %s\nwitness w1 %s http://127.0.0.1:9\nquorum w1\n' "$(cat keys/issuer.pub)" "$(cat keys/other.pub)" "$(cat keys/witness.pub)" > policy-url-down.txt
printf 'name,age,sex,diagnosis\nP01,31,F,J45\nP02,33,F\n' > ragged.csv
# An entry over the 65,535-byte limit of a log entry.
head -c 70000 /dev/zero | tr '\0' a > big-entry.bin
# Go checksum database style checkpoints (origin "go.sum database tree", key sum.golang.org),
# signed by a fixed test key of that name (no ledgerless command signs another origin).
python3 "$here/make-gosumdb-fixtures.py"
# Drop the writers' lock files: they are not part of any format.
find . -name .lock -delete
echo "fixtures written to $f"
