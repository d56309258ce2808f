//! The RFC 6962 reference tree (transparency-dev/merkle testonly, @417fb0c3): rs_merkle with
//! our hasher must build exactly the RFC's left-balanced tree.

use verifier::{Hash, leaf_hash, node_hash, tree_root, verify_consistency, verify_inclusion};

use crate::{hex_hash, json};

#[test]
fn reference_tree_roots_nodes_and_proofs() {
    let dir = tests::vectors();
    let v = json(&dir, "rfc6962/reference-tree-8-leaves.json");
    let leaves: Vec<Hash> = v["leaf_inputs_hex"]
        .as_array()
        .expect("leaves")
        .iter()
        .map(|h| leaf_hash(&tests::hex(h.as_str().expect("hex"))))
        .collect();

    // Roots of every prefix, built by rs_merkle (tree_root) and by the naive recursion.
    for (n, want) in v["root_hashes_by_size_hex"].as_array().expect("roots").iter().enumerate() {
        let want = hex_hash(want.as_str().expect("hex"));
        assert_eq!(tree_root(&leaves[..n]), want, "rs_merkle root of size {n}");
        assert_eq!(tests::naive_root(&leaves[..n]), want, "naive root of size {n}");
    }
    // Every stored node at every level.
    let levels = v["node_hashes_by_level_hex"].as_array().expect("levels");
    for (level, nodes) in levels.iter().enumerate() {
        for (i, want) in nodes.as_array().expect("nodes").iter().enumerate() {
            let width = 1usize << level;
            let got = tree_root(&leaves[i * width..(i + 1) * width]);
            assert_eq!(got, hex_hash(want.as_str().expect("hex")), "node level {level} index {i}");
        }
    }
    // Hasher vectors.
    for h in v["hasher_vectors"].as_array().expect("hasher") {
        let want = hex_hash(h["want"].as_str().expect("want"));
        let got = if let Some(l) = h.get("leaf_hex") {
            leaf_hash(&tests::hex(l.as_str().expect("hex")))
        } else if let Some(l) = h.get("leaf_ascii") {
            leaf_hash(l.as_str().expect("ascii").as_bytes())
        } else if let (Some(l), Some(r)) = (h.get("left_ascii"), h.get("right_ascii")) {
            // HashChildren over raw (non-32-byte) inputs: SHA-256(0x01 || l || r).
            use sha2::Digest as _;
            let mut buf = vec![1u8];
            buf.extend_from_slice(l.as_str().expect("l").as_bytes());
            buf.extend_from_slice(r.as_str().expect("r").as_bytes());
            Hash(sha2::Sha256::digest(&buf).into())
        } else {
            Hash::EMPTY_TREE
        };
        assert_eq!(got, want, "{}", h["desc"]);
    }
    // The transcribed inclusion and consistency proofs.
    for p in v["inclusion_proofs"].as_array().expect("incl") {
        let (m, n) = (p["leaf_index"].as_u64().expect("m"), p["tree_size"].as_u64().expect("n"));
        let proof: Vec<Hash> =
            p["proof"].as_array().expect("p").iter().map(|h| hex_hash(h.as_str().expect("h"))).collect();
        let root = tree_root(&leaves[..n as usize]);
        verify_inclusion(m, n, &leaves[m as usize], &proof, &root).expect("reference inclusion proof");
        assert_eq!(tests::naive_inclusion_proof(m as usize, &leaves[..n as usize]), proof);
    }
    for p in v["consistency_proofs"].as_array().expect("cons") {
        let (m, n) = (p["size1"].as_u64().expect("m"), p["size2"].as_u64().expect("n"));
        let proof: Vec<Hash> =
            p["proof"].as_array().expect("p").iter().map(|h| hex_hash(h.as_str().expect("h"))).collect();
        let (r1, r2) = (tree_root(&leaves[..m as usize]), tree_root(&leaves[..n as usize]));
        verify_consistency(m, n, &proof, &r1, &r2).expect("reference consistency proof");
        assert_eq!(tests::naive_consistency_proof(m as usize, &leaves[..n as usize]), proof);
    }
    // node_hash is the same function the hasher applies.
    assert_eq!(node_hash(&leaves[0], &leaves[1]), hex_hash(levels[1][0].as_str().expect("hex")));
}
