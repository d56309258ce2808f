//! The tessera test log (transparency-dev/tessera testdata/log @1811ae1a): all 16 signed
//! checkpoints, their roots recomputed from the tiles and entry bundles, inclusion of every
//! entry, and consistency between every pair of checkpoints with proofs computed from tiles.

use verifier::write::format_proof_hashes;
use verifier::{
    Hash, Trust, check_consistency, leaf_hash, parse_verifier_key, tree_root, verify_checkpoint,
    verify_consistency, verify_inclusion,
};

use crate::read;

/// Splits a C2SP entry bundle: big-endian uint16 length, then that many bytes, repeated.
fn entries(bundle: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut rest = bundle;
    while !rest.is_empty() {
        let n = usize::from(u16::from_be_bytes([rest[0], rest[1]]));
        out.push(rest[2..2 + n].to_vec());
        rest = &rest[2 + n..];
    }
    out
}

#[test]
fn tessera_log() {
    let dir = tests::vectors();
    let log = dir.join("tessera-testdata-log");
    let vkey = String::from_utf8(read(&log, "log.vkey")).expect("utf8");
    let key = parse_verifier_key(vkey.trim()).expect("log.vkey");
    let mut checkpoints = Vec::new();
    for n in 0..=15u64 {
        let signed = read(&log, &format!("checkpoint.{n}"));
        let v = verify_checkpoint(&signed, &key).unwrap_or_else(|e| panic!("checkpoint.{n}: {e}"));
        assert_eq!(v.checkpoint.size, n);
        assert_eq!(v.checkpoint.origin, "example.com/log/testdata");
        let leaves: Vec<Hash> = if n == 0 {
            Vec::new()
        } else {
            let tile = read(&log, &format!("tile/0/000.p/{n}"));
            assert_eq!(tile.len(), 32 * n as usize);
            let hashes: Vec<Hash> = tile.chunks(32).map(|c| Hash::from_slice(c).expect("32")).collect();
            let bundle = entries(&read(&log, &format!("tile/entries/000.p/{n}")));
            let from_entries: Vec<Hash> = bundle.iter().map(|e| leaf_hash(e)).collect();
            assert_eq!(from_entries, hashes, "entry bundle {n} matches hash tile");
            hashes
        };
        assert_eq!(tree_root(&leaves), v.checkpoint.root_hash, "root of checkpoint.{n} from tiles");
        for (i, leaf) in leaves.iter().enumerate() {
            let proof = tests::naive_inclusion_proof(i, &leaves);
            verify_inclusion(i as u64, n, leaf, &proof, &v.checkpoint.root_hash).expect("inclusion");
        }
        checkpoints.push((signed, v, leaves));
    }
    // The current checkpoint is one of the numbered ones.
    let current = read(&log, "checkpoint");
    assert!(checkpoints.iter().any(|(s, _, _)| *s == current));

    let trust = Trust::Key(key.clone());
    let mut pairs = 0;
    for (i, (old_signed, old, _)) in checkpoints.iter().enumerate() {
        for (new_signed, new, leaves) in &checkpoints[i..] {
            let (m, n) = (old.checkpoint.size, new.checkpoint.size);
            let proof = if m == 0 { Vec::new() } else { tests::naive_consistency_proof(m as usize, leaves) };
            if m > 0 {
                verify_consistency(m, n, &proof, &old.checkpoint.root_hash, &new.checkpoint.root_hash)
                    .unwrap_or_else(|e| panic!("{m} -> {n}: {e}"));
            }
            // The CLI-level check also accepts it, including from the empty checkpoint.
            let report =
                check_consistency(&trust, old_signed, new_signed, format_proof_hashes(&proof).as_bytes());
            assert!(report.verified, "{m} -> {n}: {report:?}");
            pairs += 1;
            // Swapping old and new must fail unless they are equal.
            if m != n {
                let report =
                    check_consistency(&trust, new_signed, old_signed, format_proof_hashes(&proof).as_bytes());
                assert!(!report.verified, "{n} -> {m} accepted");
            }
        }
    }
    assert_eq!(pairs, 16 * 17 / 2);
}

#[test]
fn tessera_checkpoint_mutations_rejected() {
    let dir = tests::vectors();
    let log = dir.join("tessera-testdata-log");
    let vkey = String::from_utf8(read(&log, "log.vkey")).expect("utf8");
    let key = parse_verifier_key(vkey.trim()).expect("log.vkey");
    let signed = read(&log, "checkpoint.7");
    for i in 0..signed.len() {
        for bit in 0..8 {
            let mut m = signed.clone();
            m[i] ^= 1 << bit;
            assert!(verify_checkpoint(&m, &key).is_err(), "byte {i} bit {bit} accepted");
        }
    }
}
