//! Helpers for ledgerless's cross-crate tests: where the test vectors and data sets live, and a
//! naive recursive RFC 9162 reference implementation to check the real one against.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod example;

use std::path::{Path, PathBuf};

use verifier::{Hash, node_hash};

/// The conformance vectors, `tests/vectors/` in the repository (see its README.md).
///
/// # Panics
/// If the folder is missing: a test never passes by skipping its vectors.
pub fn vectors() -> PathBuf {
    existing(Path::new(env!("CARGO_MANIFEST_DIR")).join("vectors"))
}

/// One vector file or folder, `tests/vectors/<rel>`.
///
/// # Panics
/// If it is missing, naming the path.
pub fn vector(rel: &str) -> PathBuf {
    existing(vectors().join(rel))
}

/// A public data set, `tests/data/<name>/` in the repository (see tests/data/README.md).
///
/// # Panics
/// If the folder is missing, naming it.
pub fn data(name: &str) -> PathBuf {
    existing(Path::new(env!("CARGO_MANIFEST_DIR")).join("data").join(name))
}

/// Returns `path` if it exists, else panics naming it.
fn existing(path: PathBuf) -> PathBuf {
    assert!(path.exists(), "test data missing: {} (it is part of the repository)", path.display());
    path
}

/// Decodes lowercase or uppercase hex.
///
/// # Panics
/// On odd length or a non-hex character (test data only).
pub fn hex(s: &str) -> Vec<u8> {
    assert!(s.len().is_multiple_of(2), "odd hex length: {s}");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap_or_else(|_| panic!("bad hex: {s}")))
        .collect()
}

/// The largest power of two smaller than `n` (RFC 9162's `k`). Requires `n > 1`.
fn split(n: usize) -> usize {
    let mut k = 1;
    while k << 1 < n {
        k <<= 1;
    }
    k
}

/// RFC 9162 §2.1.1 Merkle Tree Hash, computed recursively from leaf hashes.
pub fn naive_root(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => Hash::EMPTY_TREE,
        1 => leaves[0],
        n => {
            let k = split(n);
            node_hash(&naive_root(&leaves[..k]), &naive_root(&leaves[k..]))
        }
    }
}

/// RFC 9162 §2.1.3.1 inclusion proof `PATH(m, D[n])`, computed recursively.
pub fn naive_inclusion_proof(m: usize, leaves: &[Hash]) -> Vec<Hash> {
    let n = leaves.len();
    if n <= 1 {
        return Vec::new();
    }
    let k = split(n);
    if m < k {
        let mut p = naive_inclusion_proof(m, &leaves[..k]);
        p.push(naive_root(&leaves[k..]));
        p
    } else {
        let mut p = naive_inclusion_proof(m - k, &leaves[k..]);
        p.push(naive_root(&leaves[..k]));
        p
    }
}

/// RFC 9162 §2.1.4.1 consistency proof `PROOF(m, D[n])`, computed recursively.
pub fn naive_consistency_proof(m: usize, leaves: &[Hash]) -> Vec<Hash> {
    fn subproof(m: usize, leaves: &[Hash], b: bool) -> Vec<Hash> {
        let n = leaves.len();
        if m == n {
            return if b { Vec::new() } else { vec![naive_root(leaves)] };
        }
        let k = split(n);
        if m <= k {
            let mut p = subproof(m, &leaves[..k], b);
            p.push(naive_root(&leaves[k..]));
            p
        } else {
            let mut p = subproof(m - k, &leaves[k..], false);
            p.push(naive_root(&leaves[..k]));
            p
        }
    }
    subproof(m, leaves, true)
}

/// Subtree consistency proof of `[start, end)` in the tree of `leaves` (draft-ietf-plants-
/// merkle-tree-certs §4.4), computed recursively.
pub fn naive_subtree_consistency_proof(start: usize, end: usize, leaves: &[Hash]) -> Vec<Hash> {
    fn sub(start: usize, end: usize, leaves: &[Hash], known: bool, out: &mut Vec<Hash>) {
        let n = leaves.len();
        if start == 0 && end == n {
            if !known {
                out.push(naive_root(leaves));
            }
            return;
        }
        let k = split(n);
        if end <= k {
            sub(start, end, &leaves[..k], known, out);
            out.push(naive_root(&leaves[k..]));
        } else if start >= k {
            sub(start - k, end - k, &leaves[k..], known, out);
            out.push(naive_root(&leaves[..k]));
        } else {
            // The subtree straddles k only when it starts at 0 and covers [0, k) whole.
            sub(0, end - k, &leaves[k..], false, out);
            out.push(naive_root(&leaves[..k]));
        }
    }
    let mut out = Vec::new();
    sub(start, end, leaves, true, &mut out);
    out
}
