//! RFC 9162 §2.1 Merkle proofs: inclusion, consistency, subtree proofs and multi-proofs.
//!
//! Log inclusion and consistency proofs are checked with the RFC 9162 algorithms over `u64`
//! indices (rs_merkle counts leaves in `usize`, which is 32 bits on wasm32, and logs may
//! outgrow 2^32 entries). Small in-memory trees (credential claims) and their multi-proofs go
//! through rs_merkle, wrapped so that index, size and proof length are checked exactly.

use crate::hash::{Hash, Rfc9162Hasher, node_hash};

/// Why a Merkle proof did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProofError {
    /// The leaf index is not inside the tree.
    #[error("index {index} is beyond tree size {size}")]
    IndexOutOfRange {
        /// The leaf index given.
        index: u64,
        /// The tree size given.
        size: u64,
    },
    /// The proof has the wrong number of hashes for the index and sizes given.
    #[error("proof has {got} hashes, want {want}")]
    WrongLength {
        /// Hashes in the proof.
        got: usize,
        /// Hashes the tree shape requires.
        want: usize,
    },
    /// The proof is well-formed but recomputes a different root.
    #[error("computed root for tree size {size} does not match the expected root")]
    RootMismatch {
        /// Size of the tree whose root differs.
        size: u64,
    },
    /// A consistency proof was asked to go from a larger tree to a smaller one.
    #[error("old tree size {old} is larger than new tree size {new}")]
    SizeOrder {
        /// The old (first) size.
        old: u64,
        /// The new (second) size.
        new: u64,
    },
    /// A consistency proof from the empty tree was given; it proves nothing.
    ///
    /// See `docs/design/0002-consistency-from-size-zero.md`: callers that hold no earlier
    /// checkpoint (or one of size 0) skip the consistency check explicitly instead.
    #[error("consistency proof from tree size 0 proves nothing; there is no earlier tree to compare")]
    EmptyOldTree,
    /// The range `[start, end)` is not a subtree (draft-ietf-plants-merkle-tree-certs §4.1).
    #[error("[{start}, {end}) is not a valid subtree of a tree of size {size}")]
    InvalidSubtree {
        /// First leaf of the range.
        start: u64,
        /// One past the last leaf of the range.
        end: u64,
        /// Size of the tree the subtree should lie in.
        size: u64,
    },
    /// A multi-proof's leaf indices are not strictly increasing, or do not match the leaves.
    #[error("malformed multi-proof: {0}")]
    Malformed(&'static str),
}

/// Returns the number of hashes in the RFC 9162 inclusion proof for `index` in a tree of `size`.
///
/// Requires `index < size`; returns 0 otherwise (no proof exists).
pub fn inclusion_proof_len(index: u64, size: u64) -> usize {
    if index >= size {
        return 0;
    }
    let (inner, border) = decompose_inclusion(index, size);
    inner + border
}

/// Splits an inclusion path into the part below and the part on the right border
/// of the tree (the hashes of perfect subtrees left of the path).
fn decompose_inclusion(index: u64, size: u64) -> (usize, usize) {
    let inner = (u64::BITS - (index ^ (size - 1)).leading_zeros()) as usize;
    let border = index.checked_shr(inner as u32).unwrap_or(0).count_ones() as usize;
    (inner, border)
}

/// Checks that `proof` proves the leaf with hash `leaf_hash` at `index` in the tree of `size`
/// whose root is `root`.
///
/// SPEC: <https://www.rfc-editor.org/rfc/rfc9162#section-2.1.3.2>
///
/// # Errors
/// [`ProofError::IndexOutOfRange`] unless `index < size`; [`ProofError::WrongLength`] unless
/// the proof has exactly the hashes the tree shape needs; [`ProofError::RootMismatch`] if the
/// recomputed root differs (compared in constant time).
pub fn verify_inclusion(
    index: u64,
    size: u64,
    leaf_hash: &Hash,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    let computed = root_from_inclusion_proof(index, size, leaf_hash, proof)?;
    if computed != *root {
        return Err(ProofError::RootMismatch { size });
    }
    Ok(())
}

/// Recomputes the root of the tree of `size` from a leaf and its inclusion proof.
///
/// SPEC: <https://www.rfc-editor.org/rfc/rfc9162#section-2.1.3.2> steps 1–5, without the
/// final comparison.
///
/// # Errors
/// As [`verify_inclusion`], except that no root is compared.
pub fn root_from_inclusion_proof(
    index: u64,
    size: u64,
    leaf_hash: &Hash,
    proof: &[Hash],
) -> Result<Hash, ProofError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let want = inclusion_proof_len(index, size);
    if proof.len() != want {
        return Err(ProofError::WrongLength { got: proof.len(), want });
    }
    // RFC 9162 §2.1.3.2 step 2-4, with `fnode`/`snode` for the RFC's `fn`/`sn`.
    let (mut fnode, mut snode) = (index, size - 1);
    let mut r = *leaf_hash;
    for p in proof {
        if snode == 0 {
            return Err(ProofError::WrongLength { got: proof.len(), want });
        }
        if fnode & 1 == 1 || fnode == snode {
            r = node_hash(p, &r);
            while fnode & 1 == 0 && fnode != 0 {
                fnode >>= 1;
                snode >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    if snode != 0 {
        return Err(ProofError::WrongLength { got: proof.len(), want });
    }
    Ok(r)
}

/// Returns the number of hashes in the RFC 9162 consistency proof from `size1` to `size2`.
///
/// Requires `0 < size1 <= size2`; returns 0 otherwise (no proof exists).
pub fn consistency_proof_len(size1: u64, size2: u64) -> usize {
    if size1 == 0 || size1 >= size2 {
        return 0;
    }
    let (inner, border) = decompose_inclusion(size1 - 1, size2);
    let shift = size1.trailing_zeros() as usize;
    let seed = usize::from(!size1.is_power_of_two());
    seed + (inner - shift) + border
}

/// Checks that the tree of `size2` with root `root2` extends the tree of `size1` with root
/// `root1`, using the consistency proof `proof`.
///
/// An old size of 0 is rejected with [`ProofError::EmptyOldTree`]: a proof from the empty
/// tree proves nothing, so callers decide explicitly what having no earlier tree means.
///
/// SPEC: <https://www.rfc-editor.org/rfc/rfc9162#section-2.1.4.2>
///
/// # Errors
/// [`ProofError::SizeOrder`] if `size1 > size2`; [`ProofError::EmptyOldTree`] if `size1 == 0`;
/// [`ProofError::WrongLength`] unless the proof has exactly the hashes needed (none when the
/// sizes are equal); [`ProofError::RootMismatch`] naming the size whose root differs.
pub fn verify_consistency(
    size1: u64,
    size2: u64,
    proof: &[Hash],
    root1: &Hash,
    root2: &Hash,
) -> Result<(), ProofError> {
    let (fr, sr) = roots_from_consistency_proof(size1, size2, proof, root1)?;
    if fr != *root1 {
        return Err(ProofError::RootMismatch { size: size1 });
    }
    if sr != *root2 {
        return Err(ProofError::RootMismatch { size: size2 });
    }
    Ok(())
}

/// Recomputes both roots from a consistency proof: the RFC 9162 §2.1.4.2 `fr` and `sr`.
///
/// `root1` is used as the seed only when `size1` is a power of two (the proof then omits it),
/// or returned as-is when the sizes are equal.
///
/// # Errors
/// As [`verify_consistency`], except that no root is compared.
pub fn roots_from_consistency_proof(
    size1: u64,
    size2: u64,
    proof: &[Hash],
    root1: &Hash,
) -> Result<(Hash, Hash), ProofError> {
    if size1 > size2 {
        return Err(ProofError::SizeOrder { old: size1, new: size2 });
    }
    if size1 == 0 {
        return Err(ProofError::EmptyOldTree);
    }
    let want = consistency_proof_len(size1, size2);
    if proof.len() != want {
        return Err(ProofError::WrongLength { got: proof.len(), want });
    }
    if size1 == size2 {
        return Ok((*root1, *root1));
    }
    // Step 2: if size1 is a power of two the old root is the first path element.
    let (seed, rest) = if size1.is_power_of_two() {
        (*root1, proof)
    } else {
        // We can index [0]: want >= 1 here, and the length was checked above.
        (proof[0], &proof[1..])
    };
    // Steps 3-4.
    let (mut fnode, mut snode) = (size1 - 1, size2 - 1);
    while fnode & 1 == 1 {
        fnode >>= 1;
        snode >>= 1;
    }
    // Steps 5-6.
    let (mut fr, mut sr) = (seed, seed);
    for c in rest {
        if snode == 0 {
            return Err(ProofError::WrongLength { got: proof.len(), want });
        }
        if fnode & 1 == 1 || fnode == snode {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while fnode & 1 == 0 && fnode != 0 {
                fnode >>= 1;
                snode >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    // Step 7.
    if snode != 0 {
        return Err(ProofError::WrongLength { got: proof.len(), want });
    }
    Ok((fr, sr))
}

/// Reports whether `[start, end)` is a subtree: non-empty, and `start` a multiple of the
/// smallest power of two at least `end - start`.
///
/// SPEC: <https://www.ietf.org/archive/id/draft-ietf-plants-merkle-tree-certs-02.html#name-subtrees>
pub fn is_valid_subtree(start: u64, end: u64) -> bool {
    if start >= end {
        return false;
    }
    match (end - start).checked_next_power_of_two() {
        Some(width) => start.is_multiple_of(width),
        // end - start > 2^63: only a subtree starting at 0 is aligned to 2^64.
        None => start == 0,
    }
}

/// Index paths of the subtree consistency walk (the draft's `fn`, `sn` and `tn`).
#[derive(Clone, Copy)]
struct SubtreeWalk {
    fnode: u64,
    snode: u64,
    tnode: u64,
}

impl SubtreeWalk {
    fn shift(&mut self) {
        self.fnode >>= 1;
        self.snode >>= 1;
        self.tnode >>= 1;
    }

    /// Steps 2-4: start at the highest node on the subtree's right edge that is also a node
    /// of the tree of size `size`.
    fn new(start: u64, end: u64, size: u64) -> SubtreeWalk {
        let mut w = SubtreeWalk { fnode: start, snode: end - 1, tnode: size - 1 };
        if w.snode == w.tnode {
            while w.fnode != w.snode {
                w.shift();
            }
        } else {
            while w.fnode != w.snode && w.snode & 1 == 1 {
                w.shift();
            }
        }
        w
    }

    /// The number of proof hashes this walk consumes after its seed.
    fn steps(mut self) -> usize {
        let mut n = 0;
        while self.tnode != 0 {
            if self.snode & 1 == 1 || self.snode == self.tnode {
                while self.snode & 1 == 0 {
                    self.shift();
                }
            }
            self.shift();
            n += 1;
        }
        n
    }
}

/// Recomputes the root of the tree of `size` from the hash of subtree `[start, end)` and a
/// subtree consistency proof.
///
/// SPEC: <https://www.ietf.org/archive/id/draft-ietf-plants-merkle-tree-certs-02.html>
/// "Verifying a Subtree Consistency Proof".
///
/// # Errors
/// [`ProofError::InvalidSubtree`] if the range is not a subtree or exceeds `size`;
/// [`ProofError::WrongLength`] unless the proof has exactly the hashes the shape needs;
/// [`ProofError::RootMismatch`] (with the subtree's end as size) if the proof recomputes a
/// different subtree hash.
pub fn root_from_subtree_consistency_proof(
    start: u64,
    end: u64,
    size: u64,
    subtree_hash: &Hash,
    proof: &[Hash],
) -> Result<Hash, ProofError> {
    if !is_valid_subtree(start, end) || size < end {
        return Err(ProofError::InvalidSubtree { start, end, size });
    }
    let mut w = SubtreeWalk::new(start, end, size);
    let seeded_by_proof = w.fnode != w.snode;
    let want = usize::from(seeded_by_proof) + w.steps();
    if proof.len() != want {
        return Err(ProofError::WrongLength { got: proof.len(), want });
    }
    // Steps 5-6.
    let (seed, rest) = if seeded_by_proof {
        // We can index [0]: want >= 1 when seeded by the proof, and the length was checked.
        (proof[0], &proof[1..])
    } else {
        (*subtree_hash, proof)
    };
    let (mut fr, mut sr) = (seed, seed);
    // Step 7.
    for p in rest {
        if w.tnode == 0 {
            return Err(ProofError::WrongLength { got: proof.len(), want });
        }
        if w.snode & 1 == 1 || w.snode == w.tnode {
            if w.fnode < w.snode {
                fr = node_hash(p, &fr);
            }
            sr = node_hash(p, &sr);
            while w.snode & 1 == 0 {
                w.shift();
            }
        } else {
            sr = node_hash(&sr, p);
        }
        w.shift();
    }
    // Step 8.
    if w.tnode != 0 {
        return Err(ProofError::WrongLength { got: proof.len(), want });
    }
    if fr != *subtree_hash {
        return Err(ProofError::RootMismatch { size: end });
    }
    Ok(sr)
}

/// Checks that subtree `[start, end)` with hash `subtree_hash` is contained in the tree of
/// `size` with root `root`.
///
/// # Errors
/// As [`root_from_subtree_consistency_proof`], and [`ProofError::RootMismatch`] with `size`
/// if the recomputed tree root differs.
pub fn verify_subtree_consistency(
    start: u64,
    end: u64,
    size: u64,
    subtree_hash: &Hash,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    let computed = root_from_subtree_consistency_proof(start, end, size, subtree_hash, proof)?;
    if computed != *root {
        return Err(ProofError::RootMismatch { size });
    }
    Ok(())
}

/// Checks that the leaf at `index` with hash `leaf_hash` is in subtree `[start, end)` whose
/// hash is `subtree_hash`.
///
/// SPEC: <https://www.ietf.org/archive/id/draft-ietf-plants-merkle-tree-certs-02.html>
/// "Evaluating a Subtree Inclusion Proof".
///
/// # Errors
/// [`ProofError::InvalidSubtree`] if the range is not a subtree;
/// [`ProofError::IndexOutOfRange`] unless `start <= index < end`; otherwise as
/// [`verify_inclusion`].
pub fn verify_subtree_inclusion(
    index: u64,
    start: u64,
    end: u64,
    leaf_hash: &Hash,
    proof: &[Hash],
    subtree_hash: &Hash,
) -> Result<(), ProofError> {
    if !is_valid_subtree(start, end) {
        return Err(ProofError::InvalidSubtree { start, end, size: end });
    }
    if index < start || index >= end {
        return Err(ProofError::IndexOutOfRange { index, size: end });
    }
    // A subtree is itself a tree of `end - start` leaves; the leaf is re-rooted inside it.
    verify_inclusion(index - start, end - start, leaf_hash, proof, subtree_hash)
}

/// The most leaves a multi-proof tree may have: claim trees are small, and the bound caps the
/// work a hostile bundle can cause.
pub const MAX_MULTIPROOF_LEAVES: u64 = 1 << 20;

/// Computes the RFC 9162 root of a whole tree from its leaf hashes, with rs_merkle.
pub fn tree_root(leaf_hashes: &[Hash]) -> Hash {
    if leaf_hashes.is_empty() {
        return Hash::EMPTY_TREE;
    }
    let leaves: Vec<[u8; 32]> = leaf_hashes.iter().map(|h| h.0).collect();
    let tree = rs_merkle::MerkleTree::<Rfc9162Hasher>::from_leaves(&leaves);
    // We can unwrap: a tree built from at least one leaf always has a root.
    #[allow(clippy::unwrap_used)]
    Hash(tree.root().unwrap())
}

#[cfg(feature = "write")]
/// Builds the rs_merkle multi-proof for the leaves at `indices` (strictly increasing).
///
/// # Errors
/// [`ProofError::Malformed`] if the indices are empty or not strictly increasing, or
/// [`ProofError::IndexOutOfRange`] if one is not in the tree.
pub fn prove_multi(leaf_hashes: &[Hash], indices: &[u64]) -> Result<Vec<Hash>, ProofError> {
    let size = leaf_hashes.len() as u64;
    let idx = check_multi_indices(indices, size)?;
    let leaves: Vec<[u8; 32]> = leaf_hashes.iter().map(|h| h.0).collect();
    let tree = rs_merkle::MerkleTree::<Rfc9162Hasher>::from_leaves(&leaves);
    Ok(tree.proof(&idx).proof_hashes().iter().map(|h| Hash(*h)).collect())
}

fn check_multi_indices(indices: &[u64], size: u64) -> Result<Vec<usize>, ProofError> {
    if size == 0 || size > MAX_MULTIPROOF_LEAVES {
        return Err(ProofError::Malformed("tree must have between 1 and 2^20 leaves"));
    }
    if indices.is_empty() {
        return Err(ProofError::Malformed("no leaf indices"));
    }
    if indices.windows(2).any(|w| w[0] >= w[1]) {
        return Err(ProofError::Malformed("leaf indices are not strictly increasing"));
    }
    let mut out = Vec::with_capacity(indices.len());
    for &index in indices {
        if index >= size {
            return Err(ProofError::IndexOutOfRange { index, size });
        }
        // Fits: index < size <= 2^20.
        out.push(index as usize);
    }
    Ok(out)
}

/// Returns the number of hashes in the multi-proof for `indices` in a tree of `size` leaves.
///
/// # Errors
/// [`ProofError::Malformed`] for an empty tree or one over [`MAX_MULTIPROOF_LEAVES`] leaves,
/// or indices that are empty or not strictly increasing; [`ProofError::IndexOutOfRange`] if
/// one is not in the tree.
pub fn multiproof_len(indices: &[u64], size: u64) -> Result<usize, ProofError> {
    let idx = check_multi_indices(indices, size)?;
    // `size` fits in usize: it is at most 2^20.
    Ok(rs_merkle::utils::indices::proof_indices_by_layers(&idx, size as usize).iter().map(Vec::len).sum())
}

/// Checks an rs_merkle multi-proof that the leaves `leaf_hashes` sit at `indices` in the tree
/// of `size` leaves with root `root` (the leaves' positions first, then the tree, as in
/// [`verify_inclusion`] and [`multiproof_len`]).
///
/// rs_merkle's own check accepts trailing extra hashes, a non-empty proof for a one-leaf tree
/// and indices beyond the tree; this wrapper rejects each of those first.
///
/// # Errors
/// [`ProofError::Malformed`] for bad index lists, [`ProofError::IndexOutOfRange`],
/// [`ProofError::WrongLength`] unless the proof has exactly the hashes needed, and
/// [`ProofError::RootMismatch`].
pub fn verify_multiproof(
    indices: &[u64],
    size: u64,
    leaf_hashes: &[Hash],
    proof: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    if root_from_multiproof(indices, size, leaf_hashes, proof)? != *root {
        return Err(ProofError::RootMismatch { size });
    }
    Ok(())
}

/// The root a multi-proof gives for `leaf_hashes` at `indices` in a tree of `size` leaves:
/// the root [`verify_multiproof`] compares. Compact bundles leave the claim root out and
/// recompute it with this (a wrong proof then gives a root the log never committed to).
pub(crate) fn root_from_multiproof(
    indices: &[u64],
    size: u64,
    leaf_hashes: &[Hash],
    proof: &[Hash],
) -> Result<Hash, ProofError> {
    if indices.len() != leaf_hashes.len() {
        return Err(ProofError::Malformed("leaf index and leaf hash counts differ"));
    }
    let idx = check_multi_indices(indices, size)?;
    // `size` fits in usize: check_multi_indices bounds it by 2^20.
    let want: usize =
        rs_merkle::utils::indices::proof_indices_by_layers(&idx, size as usize).iter().map(Vec::len).sum();
    if proof.len() != want {
        return Err(ProofError::WrongLength { got: proof.len(), want });
    }
    let leaves: Vec<[u8; 32]> = leaf_hashes.iter().map(|h| h.0).collect();
    let hashes: Vec<[u8; 32]> = proof.iter().map(|h| h.0).collect();
    let computed = rs_merkle::MerkleProof::<Rfc9162Hasher>::new(hashes)
        .root(&idx, &leaves, size as usize)
        .map_err(|_| ProofError::Malformed("multi-proof does not determine a root"))?;
    Ok(Hash(computed))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::leaf_hash;

    fn leaves(n: u64) -> Vec<Hash> {
        (0..n).map(|i| leaf_hash(&i.to_be_bytes())).collect()
    }

    #[test]
    fn one_leaf_tree() {
        let l = leaves(1);
        let root = tree_root(&l);
        assert_eq!(root, l[0]);
        verify_inclusion(0, 1, &l[0], &[], &root).unwrap();
        assert_eq!(
            verify_inclusion(0, 1, &l[0], &[l[0]], &root),
            Err(ProofError::WrongLength { got: 1, want: 0 })
        );
        assert_eq!(
            verify_inclusion(1, 1, &l[0], &[], &root),
            Err(ProofError::IndexOutOfRange { index: 1, size: 1 })
        );
    }

    #[test]
    fn multiproof_rejects_rs_merkle_leniencies() {
        let l = leaves(7);
        let root = tree_root(&l);
        let idx = [1u64, 4];
        let proof = prove_multi(&l, &idx).unwrap();
        let sel = [l[1], l[4]];
        verify_multiproof(&idx, 7, &sel, &proof, &root).unwrap();
        // Trailing extra hash.
        let mut longer = proof.clone();
        longer.push(l[0]);
        assert!(matches!(
            verify_multiproof(&idx, 7, &sel, &longer, &root),
            Err(ProofError::WrongLength { .. })
        ));
        // Non-empty proof for a one-leaf tree.
        assert!(matches!(
            verify_multiproof(&[0], 1, &[l[0]], &[l[1]], &l[0]),
            Err(ProofError::WrongLength { got: 1, want: 0 })
        ));
        // Index beyond the tree.
        assert!(matches!(
            verify_multiproof(&[1, 7], 7, &sel, &proof, &root),
            Err(ProofError::IndexOutOfRange { index: 7, size: 7 })
        ));
        // Unsorted and duplicate indices.
        assert!(verify_multiproof(&[4, 1], 7, &sel, &proof, &root).is_err());
        assert!(verify_multiproof(&[1, 1], 7, &sel, &proof, &root).is_err());
        // Too short: rs_merkle would error, we say how many.
        assert!(matches!(
            verify_multiproof(&idx, 7, &sel, &proof[1..], &root),
            Err(ProofError::WrongLength { .. })
        ));
    }

    #[test]
    fn subtree_validity() {
        assert!(is_valid_subtree(0, 1));
        assert!(is_valid_subtree(4, 7));
        assert!(is_valid_subtree(8, 14));
        assert!(!is_valid_subtree(2, 7));
        assert!(!is_valid_subtree(3, 3));
        assert!(is_valid_subtree(0, u64::MAX));
        assert!(!is_valid_subtree(1, u64::MAX));
    }

    #[test]
    fn huge_sizes_do_not_overflow() {
        let h = leaf_hash(b"x");
        let n = inclusion_proof_len(u64::MAX - 1, u64::MAX);
        let proof = vec![h; n];
        let root = root_from_inclusion_proof(u64::MAX - 1, u64::MAX, &h, &proof).unwrap();
        verify_inclusion(u64::MAX - 1, u64::MAX, &h, &proof, &root).unwrap();
        let n = inclusion_proof_len(0, u64::MAX);
        assert_eq!(n, 64);
        let m = consistency_proof_len(u64::MAX - 1, u64::MAX);
        let proof = vec![h; m];
        let (fr, sr) = roots_from_consistency_proof(u64::MAX - 1, u64::MAX, &proof, &h).unwrap();
        verify_consistency(u64::MAX - 1, u64::MAX, &proof, &fr, &sr).unwrap();
    }
}
