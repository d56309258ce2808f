//! transparency-dev/merkle testdata (@417fb0c3): all 518 inclusion, consistency, subtree
//! inclusion and subtree consistency probes, including every must-fail.

use std::path::Path;

use serde_json::Value;
use verifier::{
    ProofError, verify_consistency, verify_inclusion, verify_subtree_consistency, verify_subtree_inclusion,
};

use crate::{b64_hash, json};

fn files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).expect("read vector dir") {
        let p = e.expect("dir entry").path();
        if p.is_dir() {
            files(&p, out);
        } else if p.extension().is_some_and(|x| x == "json") {
            out.push(p);
        }
    }
}

/// Hashes of a vector; `None` if any is not 32 bytes (our typed API cannot hold it).
fn hashes(v: &Value) -> Option<Vec<verifier::Hash>> {
    match v {
        Value::Null => Some(Vec::new()),
        Value::Array(a) => a.iter().map(b64_hash).collect(),
        _ => None,
    }
}

fn u(v: &Value, k: &str) -> u64 {
    v[k].as_u64().unwrap_or_else(|| panic!("missing {k}"))
}

/// Runs one probe; `Err` carries why it was rejected.
fn run(kind: &str, v: &Value) -> Result<(), String> {
    let malformed = || "a hash is not 32 bytes".to_owned();
    let proof = hashes(&v["proof"]).ok_or_else(malformed)?;
    let e = |e: ProofError| e.to_string();
    match kind {
        "inclusion" => {
            let root = b64_hash(&v["root"]).ok_or_else(malformed)?;
            let leaf = b64_hash(&v["leafHash"]).ok_or_else(malformed)?;
            verify_inclusion(u(v, "leafIdx"), u(v, "treeSize"), &leaf, &proof, &root).map_err(e)
        }
        "consistency" => {
            let r1 = b64_hash(&v["root1"]).ok_or_else(malformed)?;
            let r2 = b64_hash(&v["root2"]).ok_or_else(malformed)?;
            verify_consistency(u(v, "size1"), u(v, "size2"), &proof, &r1, &r2).map_err(e)
        }
        "subtreeinclusion" => {
            let root = b64_hash(&v["root"]).ok_or_else(malformed)?;
            let leaf = b64_hash(&v["leafHash"]).ok_or_else(malformed)?;
            verify_subtree_inclusion(u(v, "leafIdx"), u(v, "start"), u(v, "end"), &leaf, &proof, &root)
                .map_err(e)
        }
        "subtreeconsistency" => {
            let r1 = b64_hash(&v["root1"]).ok_or_else(malformed)?;
            let r2 = b64_hash(&v["root2"]).ok_or_else(malformed)?;
            verify_subtree_consistency(u(v, "start"), u(v, "end"), u(v, "size"), &r1, &proof, &r2).map_err(e)
        }
        other => panic!("unknown vector kind {other}"),
    }
}

/// Probes where our answer differs from the vector's `wantErr`, each for a documented reason.
/// Each entry is (path suffix, why).
const EMPTY_SUBTREE: &str = "an empty range [s, s) is not a subtree (draft-ietf-plants-merkle-tree-certs \
     requires start < end) and proves nothing; like a consistency proof from size 0 we reject it \
     (docs/design/0002-consistency-from-size-zero.md), where this library accepts it";

/// Probes where our answer differs from the vector's `wantErr`, each for a documented reason:
/// all are "must verify" probes about empty or placeholder inputs; every must-fail probe fails.
const PLACEHOLDER_ROOTS: &str = "roots are 12-byte placeholders ('don't care 2'); a root that is not \
     32 bytes cannot be represented in our typed API and is rejected as malformed";

const DEVIATIONS: &[(&str, &str)] = &[
    ("consistency/additional/sizes-are-equal-one-and-proof-is-empty.json", PLACEHOLDER_ROOTS),
    ("subtreeconsistency/additional/sizes-are-equal-one-and-proof-is-empty.json", PLACEHOLDER_ROOTS),
    (
        "subtreeconsistency/additional/subtree-is-empty-sizes-are-equal-one-subtree-root-valid-proof-is-empty.json",
        EMPTY_SUBTREE,
    ),
    (
        "subtreeconsistency/additional/subtree-is-empty-sizes-are-equal-one-subtree-root-valid-tree-root-random-proof-is-empty.json",
        EMPTY_SUBTREE,
    ),
    (
        "subtreeconsistency/additional/subtree-is-empty-sizes-are-equal-zero-subtree-root-valid-proof-is-empty.json",
        EMPTY_SUBTREE,
    ),
    (
        "subtreeconsistency/additional/subtree-is-empty-sizes-are-equal-zero-subtree-root-valid-tree-root-random-proof-is-empty.json",
        EMPTY_SUBTREE,
    ),
    ("subtreeconsistency/additional/subtree-is-empty-subtree-root-valid-proof-is-empty.json", EMPTY_SUBTREE),
    (
        "subtreeconsistency/additional/subtree-is-empty-subtree-root-valid-tree-root-random-proof-is-empty.json",
        EMPTY_SUBTREE,
    ),
];

#[test]
fn all_transparency_dev_merkle_vectors() {
    let dir = tests::vectors();
    let root = dir.join("transparency-dev-merkle/testdata");
    let mut paths = Vec::new();
    files(&root, &mut paths);
    paths.sort();
    assert_eq!(paths.len(), 518, "expected the 518 vector files");
    let (mut ok, mut must_fail, mut deviations) = (0, 0, 0);
    let mut failures = Vec::new();
    for p in &paths {
        let rel = p.strip_prefix(&root).expect("under root").to_string_lossy().replace('\\', "/");
        let kind = rel.split('/').next().expect("kind dir");
        let v = json(&root, &rel);
        let want_err = v["wantErr"].as_bool().expect("wantErr");
        let got = run(kind, &v);
        if got.is_err() == want_err {
            if want_err {
                must_fail += 1;
            } else {
                ok += 1;
            }
        } else if let Some((_, why)) = DEVIATIONS.iter().find(|(d, _)| rel == *d) {
            assert!(!want_err, "deviations are only ever stricter");
            eprintln!("documented deviation: {rel}: {why}");
            deviations += 1;
        } else {
            failures.push(format!("{rel}: wantErr={want_err}, got {got:?} ({})", v["desc"]));
        }
    }
    eprintln!(
        "transparency-dev/merkle: {} files, {ok} verified, {must_fail} rejected as required, {deviations} documented deviation(s)",
        paths.len()
    );
    assert!(failures.is_empty(), "{} vectors disagree:\n{}", failures.len(), failures.join("\n"));
    assert_eq!(deviations, DEVIATIONS.len());
}

#[test]
fn old_size_zero_is_rejected_by_the_primitive() {
    // docs/design/0002: verify_consistency never accepts size1 = 0, whatever the proof.
    let h = verifier::Hash::EMPTY_TREE;
    assert_eq!(verify_consistency(0, 0, &[], &h, &h), Err(ProofError::EmptyOldTree));
    assert_eq!(verify_consistency(0, 5, &[], &h, &h), Err(ProofError::EmptyOldTree));
}
