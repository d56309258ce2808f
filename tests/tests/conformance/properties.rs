//! Property tests against the naive recursive RFC 9162 implementation in `tests::`: for
//! random trees up to 4096 leaves every inclusion and consistency proof verifies, and every
//! single-bit mutation of proof, leaf or root, of the leaf index or of the old size, fails.

use proptest::prelude::*;
use verifier::write::prove_multi;
use verifier::{
    Hash, leaf_hash, root_from_subtree_consistency_proof, tree_root, verify_consistency, verify_inclusion,
    verify_multiproof, verify_subtree_consistency, verify_subtree_inclusion,
};

fn leaves(seed: u64, n: usize) -> Vec<Hash> {
    (0..n as u64).map(|i| leaf_hash(&[seed.to_be_bytes(), i.to_be_bytes()].concat())).collect()
}

fn flip(h: &Hash, bit: usize) -> Hash {
    let mut m = *h;
    m.0[bit / 8] ^= 1 << (bit % 8);
    m
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn inclusion_proofs_verify_and_mutations_fail(seed in any::<u64>(), n in 1usize..=4096, m in any::<prop::sample::Index>()) {
        let l = leaves(seed, n);
        let root = tests::naive_root(&l);
        prop_assert_eq!(tree_root(&l), root);
        let i = m.index(n);
        let proof = tests::naive_inclusion_proof(i, &l);
        let (iu, nu) = (i as u64, n as u64);
        prop_assert_eq!(verify_inclusion(iu, nu, &l[i], &proof, &root), Ok(()));
        // rs_merkle's single-leaf proof is the RFC audit path, and its wrapped check agrees.
        prop_assert_eq!(prove_multi(&l, &[iu]).unwrap(), proof.clone());
        prop_assert_eq!(verify_multiproof(&[iu], nu, &[l[i]], &proof, &root), Ok(()));
        for (k, h) in proof.iter().enumerate() {
            for bit in 0..256 {
                let mut p = proof.clone();
                p[k] = flip(h, bit);
                prop_assert!(verify_inclusion(iu, nu, &l[i], &p, &root).is_err());
            }
        }
        for bit in 0..256 {
            prop_assert!(verify_inclusion(iu, nu, &flip(&l[i], bit), &proof, &root).is_err());
            prop_assert!(verify_inclusion(iu, nu, &l[i], &proof, &flip(&root, bit)).is_err());
        }
        // A changed index always fails. (A changed size need not: an inclusion proof does not
        // authenticate the tree size, the signed checkpoint carrying size and root does.)
        for bit in 0..64 {
            let bad_i = iu ^ (1 << bit);
            prop_assert!(verify_inclusion(bad_i, nu, &l[i], &proof, &root).is_err(), "index {}", bad_i);
        }
        let mut longer = proof.clone();
        longer.push(root);
        prop_assert!(verify_inclusion(iu, nu, &l[i], &longer, &root).is_err());
        if !proof.is_empty() {
            prop_assert!(verify_inclusion(iu, nu, &l[i], &proof[1..], &root).is_err());
        }
    }

    #[test]
    fn consistency_proofs_verify_and_mutations_fail(seed in any::<u64>(), n in 1usize..=4096, m in any::<prop::sample::Index>()) {
        let l = leaves(seed, n);
        let size1 = m.index(n) + 1;
        let (r1, r2) = (tests::naive_root(&l[..size1]), tests::naive_root(&l));
        let proof = tests::naive_consistency_proof(size1, &l);
        let (s1, s2) = (size1 as u64, n as u64);
        prop_assert_eq!(verify_consistency(s1, s2, &proof, &r1, &r2), Ok(()));
        for (k, h) in proof.iter().enumerate() {
            for bit in 0..256 {
                let mut p = proof.clone();
                p[k] = flip(h, bit);
                prop_assert!(verify_consistency(s1, s2, &p, &r1, &r2).is_err());
            }
        }
        for bit in 0..256 {
            prop_assert!(verify_consistency(s1, s2, &proof, &flip(&r1, bit), &r2).is_err());
            prop_assert!(verify_consistency(s1, s2, &proof, &r1, &flip(&r2, bit)).is_err());
        }
        // A changed old size always fails (the proof shape and fr depend on it); as for
        // inclusion, the new size is authenticated by its signed checkpoint, not the proof.
        for bit in 0..64 {
            let bad = s1 ^ (1 << bit);
            prop_assert!(verify_consistency(bad, s2, &proof, &r1, &r2).is_err(), "size1 {}", bad);
        }
        let mut longer = proof.clone();
        longer.push(r2);
        prop_assert!(verify_consistency(s1, s2, &longer, &r1, &r2).is_err());
        if !proof.is_empty() {
            prop_assert!(verify_consistency(s1, s2, &proof[..proof.len() - 1], &r1, &r2).is_err());
        }
        // A consistency proof from [0, size1) is the subtree consistency proof of that prefix.
        if size1 < n {
            prop_assert_eq!(tests::naive_subtree_consistency_proof(0, size1, &l), proof.clone());
            prop_assert_eq!(root_from_subtree_consistency_proof(0, s1, s2, &r1, &proof), Ok(r2));
        }
    }

    #[test]
    fn subtree_proofs_verify(seed in any::<u64>(), n in 1usize..=2048, a in any::<prop::sample::Index>(), b in any::<prop::sample::Index>()) {
        let l = leaves(seed, n);
        let root = tests::naive_root(&l);
        // A random valid subtree: pick a width 2^w and an aligned start, clamp the end.
        let w = 1usize << b.index(12);
        let start = (a.index(n) / w) * w;
        let end = (start + w).min(n);
        let (s, e, nu) = (start as u64, end as u64, n as u64);
        prop_assert!(verifier::is_valid_subtree(s, e));
        let sub = tests::naive_root(&l[start..end]);
        let proof = tests::naive_subtree_consistency_proof(start, end, &l);
        prop_assert_eq!(verify_subtree_consistency(s, e, nu, &sub, &proof, &root), Ok(()));
        for (k, h) in proof.iter().enumerate() {
            let mut p = proof.clone();
            p[k] = flip(h, k % 256);
            prop_assert!(verify_subtree_consistency(s, e, nu, &sub, &p, &root).is_err());
        }
        let i = start + (a.index(end - start));
        let ip = tests::naive_inclusion_proof(i - start, &l[start..end]);
        prop_assert_eq!(verify_subtree_inclusion(i as u64, s, e, &l[i], &ip, &sub), Ok(()));
        prop_assert!(verify_subtree_inclusion(i as u64, s, e, &flip(&l[i], 3), &ip, &sub).is_err());
    }

    #[test]
    fn multiproofs_verify_exactly(seed in any::<u64>(), n in 1usize..=64, picks in prop::collection::btree_set(0usize..64, 1..8)) {
        let l = leaves(seed, n);
        let idx: Vec<u64> = picks.into_iter().filter(|&i| i < n).map(|i| i as u64).collect();
        prop_assume!(!idx.is_empty());
        let root = tree_root(&l);
        let sel: Vec<Hash> = idx.iter().map(|&i| l[i as usize]).collect();
        let proof = prove_multi(&l, &idx).unwrap();
        prop_assert_eq!(verify_multiproof(&idx, n as u64, &sel, &proof, &root), Ok(()));
        let mut longer = proof.clone();
        longer.push(root);
        prop_assert!(verify_multiproof(&idx, n as u64, &sel, &longer, &root).is_err());
        for (k, h) in proof.iter().enumerate() {
            let mut p = proof.clone();
            p[k] = flip(h, k % 256);
            prop_assert!(verify_multiproof(&idx, n as u64, &sel, &p, &root).is_err());
        }
        let mut bad = sel.clone();
        bad[0] = flip(&bad[0], 0);
        prop_assert!(verify_multiproof(&idx, n as u64, &bad, &proof, &root).is_err());
    }
}
