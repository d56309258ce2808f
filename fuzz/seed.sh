#!/usr/bin/env bash
# Fills fuzz/corpus/<target>/ with seed inputs (the corpus is git-ignored; nothing here is committed).
#
#   fuzz/seed.sh [corpus dir]        default: fuzz/corpus
#
# 1. Inputs signed by the fuzz fixture keys (examples/make_seeds.rs): checkpoints, notes and
#    tlog-proofs that verify, so the fuzzer reaches the code behind a good signature.
# 2. Copies of the conformance vectors in tests/vectors (see tests/vectors/README.md): signed
#    notes, tessera checkpoints, vkeys and the strings in the parse-vector JSON files. A missing
#    vector file is an error.
#
# Re-running is harmless: files are overwritten under the same names.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
corpus=${1:-$here/corpus}
vectors=$(cd "$here/../tests/vectors" && pwd)

targets=(checkpoint_parse note_parse signed_checkpoint proof_file_parse tlog_proof_parse policy_parse
         verifier_key_parse merkle_proofs dataset_recount witness_add_checkpoint witness_log_list
         compact_parse cluster_parse)
for t in "${targets[@]}"; do
    mkdir -p "$corpus/$t"
done

# 1. Fixture-signed seeds.
cargo +nightly run --quiet --manifest-path "$here/Cargo.toml" --example make_seeds -- "$corpus"

# 2. The conformance vectors.
copy() { # copy <file> <target> <name>
    cp "$1" "$corpus/$2/vector-$3"
}

for f in "$vectors"/signed-note/*.note; do
    copy "$f" note_parse "$(basename "$f")"
    copy "$f" signed_checkpoint "$(basename "$f")"
done

for f in "$vectors"/tessera-testdata-log/checkpoint*; do
    name=tessera-$(basename "$f")
    copy "$f" note_parse "$name"
    copy "$f" signed_checkpoint "$name"
    # The checkpoint body: the note text up to the blank line.
    awk '/^$/ { exit } { print }' "$f" >"$corpus/checkpoint_parse/vector-$name"
done
copy "$vectors/tessera-testdata-log/log.vkey" verifier_key_parse tessera-log.vkey

if ! command -v python3 >/dev/null 2>&1; then
    echo "seed.sh: no seeds from the JSON vectors and known-vkeys.txt: python3 is not installed"
    exit 0
fi

python3 - "$vectors" "$corpus" <<'PY'
import hashlib, json, os, sys

vectors, corpus = sys.argv[1], sys.argv[2]
count = 0

def write(target, data):
    global count
    if data is None:  # a case without that field
        return
    if isinstance(data, str):
        data = data.encode()
    name = "vector-" + hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(corpus, target, name), "wb") as f:
        f.write(data)
    count += 1

def load(*path):
    p = os.path.join(vectors, *path)
    with open(p) as f:  # a missing vector is an error (FileNotFoundError names it)
        return json.load(f)

# transparency-dev/formats parse vectors.
pv = load("parse-vectors", "checkpoint-tlogproof-vkey-parse.json")
if pv:
    body = pv.get("checkpoint_body", {})
    for case in body.get("valid", []) + body.get("invalid", []):
        write("checkpoint_parse", case.get("text"))
    tp = pv.get("tlog_proof", {})
    for case in tp.get("marshal", []):
        write("tlog_proof_parse", case.get("want"))
    for case in tp.get("unmarshal_errors", []):
        write("tlog_proof_parse", case.get("proof"))
    cv = pv.get("cosignature_vkeys", {})
    for vkey in cv.get("valid", []) + cv.get("valid_after_conversion_from_type_0x01", []):
        write("verifier_key_parse", vkey)
    for case in cv.get("invalid", []):
        write("verifier_key_parse", case.get("vkey"))

# golang.org/x/mod/sumdb/note vectors: keys.
sn = load("signed-note", "signed-note-vectors.json")
if sn:
    for key in sn.get("keys", {}).values():
        write("verifier_key_parse", key.get("vkey"))
        write("verifier_key_parse", key.get("skey"))
    for case in sn.get("bad_vkeys", []):
        write("verifier_key_parse", case.get("vkey"))

# Real log and witness keys: each as a key, and together as a policy.
kv = os.path.join(vectors, "log-keys", "known-vkeys.txt")
lines = [l.strip() for l in open(kv) if l.strip() and not l.startswith("#")]
vkeys = [l.split()[0] for l in lines]
for vkey in vkeys:
    write("verifier_key_parse", vkey)
# name+keyid+base64(type || key): 0x01 keys start "A" (0x02 ECDSA ones "Aj"), 0x04 keys "B".
b64 = lambda v: v.split("+", 2)[-1]
logs = [v for v in vkeys if b64(v).startswith("A") and not b64(v).startswith("Aj")]
wits = [v for v in vkeys if b64(v).startswith("B")]
policy = "".join(f"log {v}\n" for v in logs)
policy += "".join(f"witness W{i} {v}\n" for i, v in enumerate(wits))
if wits:
    policy += "group all-witnesses any " + " ".join(f"W{i}" for i in range(len(wits))) + "\n"
    policy += "quorum all-witnesses\n"
else:
    policy += "quorum none\n"
write("policy_parse", policy)

# transparency-dev/merkle proofs, as proof files (one base64 hash per line).
td = os.path.join(vectors, "transparency-dev-merkle", "testdata")
for kind in ("inclusion", "consistency"):
    d = os.path.join(td, kind, "1")
    for name in sorted(os.listdir(d)):
        with open(os.path.join(d, name)) as f:
            proof = json.load(f).get("proof") or []
        write("proof_file_parse", "".join(h + "\n" for h in proof))

print(f"seed.sh: {count} seeds from the JSON vectors and known-vkeys.txt")
PY
