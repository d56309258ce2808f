//! The verifier's conformance subset, run in headless Chromium so the browser path is proven
//! rather than assumed:
//!
//! ```sh
//! CHROMEDRIVER=/usr/bin/chromedriver cargo test -p verifier --target wasm32-unknown-unknown
//! ```
//!
//! * RFC 6962 reference tree (8 leaves): roots of sizes 0..=8, every inclusion and consistency
//!   proof of it (computed naively here from RFC 9162 §2.1.3.1 / §2.1.4.1) verifies, and
//!   single-bit mutations are rejected;
//! * Go's signed-note vectors: verification, byte-for-byte deterministic re-signing, rejects;
//! * the tessera test log: every checkpoint 0..=15 verifies, its root matches the tiles and
//!   entries, proofs between them verify, and mutated checkpoints are rejected;
//! * a tlog-policy witness quorum with cosignatures made here.
//!
//! The vectors are the repository's `tests/vectors/` (see its README.md), compiled in with
//! `include_str!`/`include_bytes!`: a missing file fails the build, naming it.

#![cfg(target_arch = "wasm32")]

use verifier::write::{SignerKey, cosign, format_checkpoint, format_note, format_verifier_key, sign_note};
use verifier::{
    Checkpoint, CheckpointError, KeyKind, leaf_hash, parse_note, parse_policy, verify_checkpoint,
    verify_checkpoint_with_policy,
};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

#[path = "common/bundles.rs"]
mod bundles;

/// Compact bundles in the browser: a bundle and its compact form (either text) rebuild the
/// same bundle and get the same steps and verdicts, valid and tampered alike; a changed byte
/// is refused.
#[wasm_bindgen_test]
fn compact_bundles_verify_as_their_json_form() {
    use verifier::write::encode_compact;
    use verifier::{BundleTrust, StatusCheck, Trust, bundle_json, check_bundle, decode_compact_text};
    let trust = BundleTrust::Direct(Trust::Policy(
        parse_policy(bundles::policy_text().as_bytes()).expect("policy parses"),
    ));
    let at = 1_790_000_000;
    let good = bundles::bundle(1000, 517, Some(&["name", "profession", "status"]));
    let mut tampered = good.clone();
    tampered.credential.credential_subject.insert("status".to_owned(), "struck off".to_owned());
    for (b, valid) in [(good, true), (bundles::bundle(21, 20, None), true), (tampered, false)] {
        let binary = encode_compact(&b).expect("compact");
        let back = decode_compact_text(&verifier::encode_digits(&binary)).expect("decodes");
        assert_eq!(back, b);
        let json = check_bundle(&serde_json::to_vec(&b).expect("json"), &trust, at, StatusCheck::Offline).0;
        let compact = check_bundle(&bundle_json(&back), &trust, at, StatusCheck::Offline).0;
        assert_eq!(json, compact);
        assert_eq!(compact.verified, valid, "{compact:?}");
        // One changed byte (a claim's salt, a signature byte): refused or not verified.
        for pos in [binary.len() / 3, binary.len() - 10] {
            let mut m = binary.clone();
            m[pos] ^= 0x20;
            let ok = verifier::decode_compact(&m)
                .is_ok_and(|b| check_bundle(&bundle_json(&b), &trust, at, StatusCheck::Offline).0.verified);
            assert!(!ok, "byte {pos} changed and still verified");
        }
    }
}

/// A witness quorum ("2 of A, B, C") over a checkpoint signed and cosigned here.
#[wasm_bindgen_test]
fn policy_quorum_with_cosignatures() {
    let origin = "example.com/wasm-log";
    let log = SignerKey::from_seed(origin, KeyKind::Ed25519, &[1; 32]).expect("valid key name");
    let witness = |name: &str, seed: u8| {
        SignerKey::from_seed(name, KeyKind::CosignatureV1, &[seed; 32]).expect("valid key name")
    };
    let (a, b, c) = (witness("w.example/a", 2), witness("w.example/b", 3), witness("w.example/c", 4));
    let stranger = witness("w.example/stranger", 5);
    let policy = format!(
        "log {}\nwitness A {}\nwitness B {}\nwitness C {}\ngroup G 2 A B C\nquorum G\n",
        format_verifier_key(&log.verifier),
        format_verifier_key(&a.verifier),
        format_verifier_key(&b.verifier),
        format_verifier_key(&c.verifier),
    );
    let policy = parse_policy(policy.as_bytes()).expect("policy parses");

    let text = format_checkpoint(&Checkpoint {
        origin: origin.to_owned(),
        size: 7,
        root_hash: leaf_hash(b"not really a root"),
        extensions: Vec::new(),
    });
    let signed = sign_note(&text, &[&log]).expect("log signs");
    let mut note = parse_note(signed.as_bytes()).expect("signed note parses");
    let ts = 1_700_000_000;
    let with = |note: &verifier::Note, signers: &[&SignerKey]| {
        let mut n = note.clone();
        for s in signers {
            n.signatures.push(cosign(s, &text, ts).expect("witness cosigns"));
        }
        format_note(&n)
    };

    // No cosignature, one, or one plus a stranger's: quorum not met.
    let not_enough: [&[&SignerKey]; 3] = [&[], &[&a], &[&a, &stranger]];
    for cosigners in not_enough {
        let got = verify_checkpoint_with_policy(with(&note, cosigners).as_bytes(), &policy);
        assert!(matches!(got, Err(CheckpointError::QuorumNotMet { .. })), "{got:?}");
    }
    // Two of three: met, and both cosignatures are reported with their timestamp.
    let ok =
        verify_checkpoint_with_policy(with(&note, &[&a, &c]).as_bytes(), &policy).expect("2 of 3 cosigned");
    assert_eq!(ok.checkpoint.size, 7);
    assert_eq!(ok.log_key, log.verifier.label());
    assert_eq!(ok.cosignatures.len(), 2);
    assert!(ok.cosignatures.iter().all(|v| v.timestamp == Some(ts)));
    // The same note also verifies against the log key alone.
    verify_checkpoint(with(&note, &[&a, &c]).as_bytes(), &log.verifier).expect("log signature verifies");

    // A cosignature over another timestamp does not verify: the whole note is rejected.
    note.signatures.push(cosign(&a, &text, ts).expect("witness cosigns"));
    note.signatures.push(cosign(&b, &text, ts).expect("witness cosigns"));
    note.signatures[2].signature[7] ^= 1;
    let got = verify_checkpoint_with_policy(format_note(&note).as_bytes(), &policy);
    assert!(matches!(got, Err(CheckpointError::BadSignature { .. })), "{got:?}");

    // Cosignatures without the log's signature are not enough.
    let unsigned = verifier::Note { text: text.clone(), signatures: Vec::new() };
    let only_witnesses = with(&unsigned, &[&a, &b, &c]);
    let got = verify_checkpoint_with_policy(only_witnesses.as_bytes(), &policy);
    assert!(matches!(got, Err(CheckpointError::NoTrustedSignature { .. })), "{got:?}");
}

mod vectors {
    use verifier::write::{SignerKey, parse_signer_key, sign_note};
    use verifier::{
        CheckpointError, Hash, KeyKind, NoteError, ProofError, Verifiers, leaf_hash, node_hash, parse_note,
        parse_verifier_key, tree_root, verify_checkpoint, verify_consistency, verify_inclusion, verify_note,
    };
    use wasm_bindgen_test::wasm_bindgen_test;

    const REFERENCE_TREE: &str = include_str!("../../tests/vectors/rfc6962/reference-tree-8-leaves.json");

    fn hex(s: &str) -> Vec<u8> {
        assert!(s.len().is_multiple_of(2), "odd-length hex {s:?}");
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex digits")).collect()
    }

    fn hex_hash(s: &str) -> Hash {
        Hash::from_slice(&hex(s)).expect("32-byte hash")
    }

    fn json_strings(v: &serde_json::Value) -> Vec<&str> {
        v.as_array().expect("a JSON array").iter().map(|s| s.as_str().expect("a JSON string")).collect()
    }

    /// The largest power of two smaller than `n` (RFC 9162 §2.1.1's k), for n > 1.
    fn split(n: usize) -> usize {
        1 << (usize::BITS - 1 - (n - 1).leading_zeros())
    }

    /// MTH, written out from RFC 9162 §2.1.1 (independent of `tree_root`'s rs_merkle).
    fn mth(d: &[Hash]) -> Hash {
        match d.len() {
            0 => Hash::EMPTY_TREE,
            1 => d[0],
            n => node_hash(&mth(&d[..split(n)]), &mth(&d[split(n)..])),
        }
    }

    /// PATH(m, D[n]), RFC 9162 §2.1.3.1.
    fn path(m: usize, d: &[Hash]) -> Vec<Hash> {
        if d.len() <= 1 {
            return Vec::new();
        }
        let k = split(d.len());
        let (mut p, sibling) =
            if m < k { (path(m, &d[..k]), &d[k..]) } else { (path(m - k, &d[k..]), &d[..k]) };
        p.push(mth(sibling));
        p
    }

    /// SUBPROOF(m, D[n], b), RFC 9162 §2.1.4.1; PROOF(m, D[n]) is SUBPROOF(m, D[n], true).
    fn subproof(m: usize, d: &[Hash], b: bool) -> Vec<Hash> {
        if m == d.len() {
            return if b { Vec::new() } else { vec![mth(d)] };
        }
        let k = split(d.len());
        let (mut p, sibling) = if m <= k {
            (subproof(m, &d[..k], b), &d[k..])
        } else {
            (subproof(m - k, &d[k..], false), &d[..k])
        };
        p.push(mth(sibling));
        p
    }

    /// 32 single-bit mutations of `h`: one bit in each byte, the bit position rotating.
    fn bit_flips(h: &Hash) -> impl Iterator<Item = Hash> + '_ {
        (0..32).map(move |i| {
            let mut m = *h;
            m.0[i] ^= 1 << (i % 8);
            m
        })
    }

    /// Checks every inclusion proof in the tree of `leaves`, rejecting single-bit mutations
    /// of the proof, leaf and root, and wrong lengths and indices.
    fn check_all_inclusion_proofs(leaves: &[Hash], roots: &[Hash], mutate: bool) {
        for size in 1..=leaves.len() {
            let (tree, root) = (&leaves[..size], &roots[size]);
            let n = size as u64;
            for (index, leaf) in tree.iter().enumerate() {
                let i = index as u64;
                let proof = path(index, tree);
                assert_eq!(verify_inclusion(i, n, leaf, &proof, root), Ok(()), "leaf {index} of {size}");
                if !mutate {
                    continue;
                }
                for (j, h) in proof.iter().enumerate() {
                    for m in bit_flips(h) {
                        let mut bad = proof.clone();
                        bad[j] = m;
                        assert_eq!(
                            verify_inclusion(i, n, leaf, &bad, root),
                            Err(ProofError::RootMismatch { size: n })
                        );
                    }
                }
                for m in bit_flips(leaf) {
                    assert_eq!(
                        verify_inclusion(i, n, &m, &proof, root),
                        Err(ProofError::RootMismatch { size: n })
                    );
                }
                for m in bit_flips(root) {
                    assert_eq!(
                        verify_inclusion(i, n, leaf, &proof, &m),
                        Err(ProofError::RootMismatch { size: n })
                    );
                }
                let mut longer = proof.clone();
                longer.push(*leaf);
                assert!(matches!(
                    verify_inclusion(i, n, leaf, &longer, root),
                    Err(ProofError::WrongLength { .. })
                ));
                if let Some((_, shorter)) = proof.split_last() {
                    assert!(matches!(
                        verify_inclusion(i, n, leaf, shorter, root),
                        Err(ProofError::WrongLength { .. })
                    ));
                }
                assert_eq!(
                    verify_inclusion(n, n, leaf, &proof, root),
                    Err(ProofError::IndexOutOfRange { index: n, size: n })
                );
                // The same leaf and proof at the neighbouring position must not verify.
                if i ^ 1 < n {
                    assert!(
                        verify_inclusion(i ^ 1, n, leaf, &proof, root).is_err(),
                        "leaf {index} of {size} moved"
                    );
                }
            }
        }
    }

    /// Checks every consistency proof between trees of `leaves`, rejecting single-bit
    /// mutations of the proof and both roots, and malformed sizes.
    fn check_all_consistency_proofs(leaves: &[Hash], roots: &[Hash], mutate: bool) {
        for size2 in 1..=leaves.len() {
            for size1 in 1..=size2 {
                let proof = subproof(size1, &leaves[..size2], true);
                let (m, n) = (size1 as u64, size2 as u64);
                let (root1, root2) = (&roots[size1], &roots[size2]);
                assert_eq!(verify_consistency(m, n, &proof, root1, root2), Ok(()), "{size1} -> {size2}");
                assert_eq!(
                    verify_consistency(0, n, &[], &Hash::EMPTY_TREE, root2),
                    Err(ProofError::EmptyOldTree)
                );
                if m < n {
                    assert_eq!(
                        verify_consistency(n, m, &proof, root2, root1),
                        Err(ProofError::SizeOrder { old: n, new: m })
                    );
                }
                if !mutate {
                    continue;
                }
                for (j, h) in proof.iter().enumerate() {
                    for bad_hash in bit_flips(h) {
                        let mut bad = proof.clone();
                        bad[j] = bad_hash;
                        assert!(
                            matches!(
                                verify_consistency(m, n, &bad, root1, root2),
                                Err(ProofError::RootMismatch { .. })
                            ),
                            "{size1} -> {size2}, hash {j} mutated"
                        );
                    }
                }
                for bad_root in bit_flips(root1) {
                    assert!(matches!(
                        verify_consistency(m, n, &proof, &bad_root, root2),
                        Err(ProofError::RootMismatch { .. })
                    ));
                }
                for bad_root in bit_flips(root2) {
                    assert_eq!(
                        verify_consistency(m, n, &proof, root1, &bad_root),
                        Err(ProofError::RootMismatch { size: n })
                    );
                }
                let mut longer = proof.clone();
                longer.push(*root1);
                assert!(matches!(
                    verify_consistency(m, n, &longer, root1, root2),
                    Err(ProofError::WrongLength { .. })
                ));
                if let Some((_, shorter)) = proof.split_last() {
                    assert!(matches!(
                        verify_consistency(m, n, shorter, root1, root2),
                        Err(ProofError::WrongLength { .. })
                    ));
                }
            }
        }
    }

    struct ReferenceTree {
        leaves: Vec<Hash>,
        roots: Vec<Hash>,
        json: serde_json::Value,
    }

    fn reference_tree() -> ReferenceTree {
        let json: serde_json::Value = serde_json::from_str(REFERENCE_TREE).expect("valid JSON");
        let leaves = json_strings(&json["leaf_inputs_hex"]).into_iter().map(|s| leaf_hash(&hex(s))).collect();
        let roots = json_strings(&json["root_hashes_by_size_hex"]).into_iter().map(hex_hash).collect();
        ReferenceTree { leaves, roots, json }
    }

    #[wasm_bindgen_test]
    fn rfc6962_reference_tree_roots() {
        let t = reference_tree();
        assert_eq!(t.leaves.len(), 8);
        assert_eq!(t.roots.len(), 9);
        for size in 0..=8 {
            assert_eq!(tree_root(&t.leaves[..size]), t.roots[size], "tree_root of size {size}");
            assert_eq!(mth(&t.leaves[..size]), t.roots[size], "MTH of size {size}");
        }
        // Hasher vectors: the empty leaf and "L123456".
        assert_eq!(leaf_hash(b""), t.roots[1]);
        assert_eq!(
            leaf_hash(b"L123456"),
            hex_hash("395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56")
        );
    }

    #[wasm_bindgen_test]
    fn rfc6962_reference_tree_inclusion_proofs() {
        let t = reference_tree();
        // The naive PATH reproduces the vector file's proofs.
        for v in t.json["inclusion_proofs"].as_array().expect("array") {
            let index = v["leaf_index"].as_u64().expect("index");
            let size = v["tree_size"].as_u64().expect("size");
            let want: Vec<Hash> = json_strings(&v["proof"]).into_iter().map(hex_hash).collect();
            let (i, n) = (index as usize, size as usize);
            assert_eq!(path(i, &t.leaves[..n]), want, "PATH({index}, {size})");
            assert_eq!(verify_inclusion(index, size, &t.leaves[i], &want, &t.roots[n]), Ok(()));
        }
        check_all_inclusion_proofs(&t.leaves, &t.roots, true);
    }

    #[wasm_bindgen_test]
    fn rfc6962_reference_tree_consistency_proofs() {
        let t = reference_tree();
        for v in t.json["consistency_proofs"].as_array().expect("array") {
            let size1 = v["size1"].as_u64().expect("size1");
            let size2 = v["size2"].as_u64().expect("size2");
            let want: Vec<Hash> = json_strings(&v["proof"]).into_iter().map(hex_hash).collect();
            let (m, n) = (size1 as usize, size2 as usize);
            assert_eq!(subproof(m, &t.leaves[..n], true), want, "PROOF({size1}, {size2})");
            assert_eq!(verify_consistency(size1, size2, &want, &t.roots[m], &t.roots[n]), Ok(()));
        }
        check_all_consistency_proofs(&t.leaves, &t.roots, true);
    }

    const PETER_VKEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    const PETER_SKEY: &str = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
    const ENOCH_VKEY: &str = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
    const PETER_NOTE: &str = include_str!("../../tests/vectors/signed-note/go-peterneumann.note");
    const PETER_AND_ENOCH_NOTE: &str =
        include_str!("../../tests/vectors/signed-note/go-peter-and-enoch.note");
    const NOTE_TEXT: &str = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";

    fn verifiers(vkeys: &[&str]) -> Verifiers {
        Verifiers::new(vkeys.iter().map(|k| parse_verifier_key(k).expect("vkey parses")).collect())
            .expect("unambiguous keys")
    }

    #[wasm_bindgen_test]
    fn go_signed_note_verifies_and_resigns_byte_for_byte() {
        let note = parse_note(PETER_NOTE.as_bytes()).expect("note parses");
        assert_eq!(note.text, NOTE_TEXT);
        let got = verify_note(&note, &verifiers(&[PETER_VKEY])).expect("signature verifies");
        assert_eq!(got.len(), 1);
        assert_eq!((got[0].name.as_str(), got[0].key_id), ("PeterNeumann", 0xc74f_20a3));

        let skey = parse_signer_key(PETER_SKEY).expect("private key parses");
        assert_eq!(sign_note(&note.text, &[&skey]).expect("signs"), PETER_NOTE);

        // Two signers: each verifies when trusted; unknown signers are ignored.
        let both = parse_note(PETER_AND_ENOCH_NOTE.as_bytes()).expect("note parses");
        assert_eq!(verify_note(&both, &verifiers(&[PETER_VKEY])).expect("Peter verifies").len(), 1);
        let got = verify_note(&both, &verifiers(&[PETER_VKEY, ENOCH_VKEY])).expect("both verify");
        let names: Vec<&str> = got.iter().map(|v| v.name.as_str()).collect();
        assert_eq!(names, ["PeterNeumann", "EnochRoot"]);
        assert!(matches!(verify_note(&both, &verifiers(&[])), Err(NoteError::NoTrustedSignature { .. })));
    }

    #[wasm_bindgen_test]
    fn go_signed_note_rejects() {
        let trusted = verifiers(&[PETER_VKEY]);
        let sig_line = &PETER_NOTE[NOTE_TEXT.len() + 1..];
        let check = |msg: &[u8], want_invalid_signature: bool| {
            let got = parse_note(msg).and_then(|n| verify_note(&n, &trusted));
            if want_invalid_signature {
                assert!(matches!(got, Err(NoteError::InvalidSignature { .. })), "{got:?}");
            } else {
                assert!(matches!(got, Err(NoteError::Malformed(_))), "{got:?}");
            }
        };
        // Altered text, one bit at a time (ASCII stays ASCII, so the note still parses).
        for i in 0..NOTE_TEXT.len() - 1 {
            let mut m = PETER_NOTE.as_bytes().to_vec();
            m[i] ^= 0x20;
            if m[i] >= 0x20 && m[i] < 0x7f && m[i] != b'\n' {
                check(&m, true);
            }
        }
        // Corrupted signature base64 (Go's TestOpen): insert "ABCD" at offset 60 of the line.
        let corrupted = format!("{NOTE_TEXT}\n{}ABCD{}", &sig_line[..60], &sig_line[60..]);
        check(corrupted.as_bytes(), true);
        // Malformed: 101 signatures, no blank line, no signatures, no final newline, control
        // character, invalid UTF-8, a key name with a space, a trailing non-signature line.
        check(format!("{NOTE_TEXT}\n{}", sig_line.repeat(101)).as_bytes(), false);
        check(NOTE_TEXT.as_bytes(), false);
        check(format!("{NOTE_TEXT}\n").as_bytes(), false);
        check(format!("{NOTE_TEXT}\n{}", &sig_line[..sig_line.len() - 1]).as_bytes(), false);
        check(format!("\x01{PETER_NOTE}").as_bytes(), false);
        check(&[&[0xff], PETER_NOTE.as_bytes()].concat(), false);
        let spaced = sig_line.replacen("PeterNeumann", "Bad Name", 1);
        check(format!("{NOTE_TEXT}\n{spaced}").as_bytes(), false);
        check(format!("{PETER_NOTE}Unexpected line.\n").as_bytes(), false);
        // Ambiguous verifier list.
        let k = parse_verifier_key(PETER_VKEY).expect("parses");
        assert!(matches!(Verifiers::new(vec![k.clone(), k]), Err(NoteError::AmbiguousKey { .. })));
    }

    const TESSERA_VKEY: &str = include_str!("../../tests/vectors/tessera-testdata-log/log.vkey");
    /// The 15 leaf hashes of the full level-0 tile, 32 bytes each.
    const TESSERA_TILE: &[u8] = include_bytes!("../../tests/vectors/tessera-testdata-log/tile/0/000.p/15");
    /// The 15 entries, each a big-endian u16 length and the bytes.
    const TESSERA_ENTRIES: &[u8] =
        include_bytes!("../../tests/vectors/tessera-testdata-log/tile/entries/000.p/15");

    macro_rules! checkpoints {
        ($($n:literal)*) => {
            [$(include_bytes!(concat!("../../tests/vectors/tessera-testdata-log/checkpoint.", $n)).as_slice()),*]
        };
    }
    const TESSERA_CHECKPOINTS: [&[u8]; 16] =
        checkpoints!("0" "1" "2" "3" "4" "5" "6" "7" "8" "9" "10" "11" "12" "13" "14" "15");

    fn tessera_leaves() -> Vec<Hash> {
        let leaves: Vec<Hash> =
            TESSERA_TILE.chunks(32).map(|c| Hash::from_slice(c).expect("32 bytes")).collect();
        let mut entries = Vec::new();
        let mut rest = TESSERA_ENTRIES;
        while let [hi, lo, tail @ ..] = rest {
            let len = usize::from(u16::from_be_bytes([*hi, *lo]));
            entries.push(&tail[..len]);
            rest = &tail[len..];
        }
        assert_eq!(entries.first(), Some(&&b"one"[..]));
        assert_eq!(entries.len(), 15);
        assert_eq!(leaves.len(), 15);
        for (e, l) in entries.iter().zip(&leaves) {
            assert_eq!(leaf_hash(e), *l, "leaf hash of {:?}", String::from_utf8_lossy(e));
        }
        leaves
    }

    #[wasm_bindgen_test]
    fn tessera_checkpoints_verify_and_match_the_tiles() {
        let key = parse_verifier_key(TESSERA_VKEY).expect("log key parses");
        let leaves = tessera_leaves();
        let mut roots = Vec::new();
        for (n, signed) in TESSERA_CHECKPOINTS.iter().enumerate() {
            let v = verify_checkpoint(signed, &key).unwrap_or_else(|e| panic!("checkpoint.{n}: {e}"));
            assert_eq!(v.checkpoint.origin, "example.com/log/testdata");
            assert_eq!(v.checkpoint.size, n as u64);
            assert_eq!(v.checkpoint.root_hash, tree_root(&leaves[..n]), "checkpoint.{n} root");
            roots.push(v.checkpoint.root_hash);
        }
        assert_eq!(roots[0], Hash::EMPTY_TREE);
        // Every entry is in every checkpoint that covers it, and every checkpoint extends
        // every earlier one (proofs computed from the tiles).
        check_all_inclusion_proofs(&leaves, &roots, false);
        check_all_consistency_proofs(&leaves, &roots, false);
    }

    #[wasm_bindgen_test]
    fn tessera_mutated_checkpoints_are_rejected() {
        let key = parse_verifier_key(TESSERA_VKEY).expect("log key parses");
        for (n, signed) in TESSERA_CHECKPOINTS.iter().enumerate() {
            let text_len = signed.windows(2).position(|w| w == b"\n\n").expect("blank line") + 1;
            // Flip one bit of each body byte (keeping it printable and not a newline).
            for i in 0..text_len {
                let mut m = signed.to_vec();
                m[i] ^= 0x01;
                if m[i] < 0x20 || m[i] == 0x7f || signed[i] == b'\n' {
                    continue;
                }
                let got = verify_checkpoint(&m, &key);
                assert!(
                    matches!(
                        got,
                        Err(CheckpointError::BadSignature { .. } | CheckpointError::NoTrustedSignature { .. })
                    ),
                    "checkpoint.{n} byte {i}: {got:?}"
                );
            }
            // A changed character in the signature.
            let mut m = signed.to_vec();
            let last = m.len() - 10;
            m[last] = if m[last] == b'A' { b'B' } else { b'A' };
            let got = verify_checkpoint(&m, &key);
            assert!(matches!(got, Err(CheckpointError::BadSignature { .. })), "checkpoint.{n}: {got:?}");
        }
        // Another key with the log's name (so another key ID): no trusted signature.
        let other =
            SignerKey::from_seed("example.com/log/testdata", KeyKind::Ed25519, &[9; 32]).expect("valid name");
        let got = verify_checkpoint(TESSERA_CHECKPOINTS[3], &other.verifier);
        assert!(matches!(got, Err(CheckpointError::NoTrustedSignature { .. })), "{got:?}");
    }
}
