//! Real, verifying credential bundles made here: a register entry with 14 claims, its leaf at
//! `index` in an RFC 9162 tree of `size` leaves (the other leaves are stand-ins), the
//! checkpoint signed by a log key and cosigned by one witness. Used by the compact-bundle
//! tests natively and in wasm, and to measure QR versions for 1K- and 1M-entry logs.

#![allow(dead_code, unreachable_pub)]

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use verifier::write::{
    SignerKey, cosign, format_note, format_tlog_proof, format_verifier_key, prove_multi, sign_note,
};
use verifier::{
    BUNDLE_FORMAT, Bundle, Checkpoint, Credential, CredentialStatus, DisclosedClaim, Disclosure, Hash,
    KeyKind, TlogProof, VC_CONTEXT, claim_leaf, leaf_hash, node_hash, parse_note, root_from_inclusion_proof,
    tree_root,
};

/// The issuer's log origin (and its key's name).
pub const ORIGIN: &str = "issuer.example.org/log";
/// The witness's key name.
pub const WITNESS: &str = "witness.example.org/w1";

/// The 14 claims of a register entry (the columns `ledgerless synth registrants` writes).
pub fn claims() -> BTreeMap<String, String> {
    [
        ("id", "GMC-7081234"),
        ("name", "Alice Example"),
        ("date_of_birth", "1984-03-17"),
        ("register", "General Medical Council"),
        ("register_number", "7081234"),
        ("profession", "doctor"),
        ("specialty", "cardiology"),
        ("status", "registered"),
        ("qualification", "MBBS"),
        ("awarding_body", "University of London"),
        ("training_module", "advanced life support"),
        ("clearance", "enhanced"),
        ("employer", "St Example's Hospital NHS Trust"),
        ("role", "consultant"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

/// The log's and the witness's signing keys (fixed seeds).
pub fn keys() -> (SignerKey, SignerKey) {
    let log = SignerKey::from_seed(ORIGIN, KeyKind::Ed25519, &[7; 32]).expect("valid key name");
    let witness = SignerKey::from_seed(WITNESS, KeyKind::CosignatureV1, &[9; 32]).expect("valid key name");
    (log, witness)
}

/// A tlog-policy trusting the log and requiring the witness.
pub fn policy_text() -> String {
    let (log, witness) = keys();
    format!(
        "log {}\nwitness W {}\nquorum W\n",
        format_verifier_key(&log.verifier),
        format_verifier_key(&witness.verifier)
    )
}

/// MTH of `leaves` (RFC 9162 §2.1.1), recursively.
fn mth(leaves: &[Hash]) -> Hash {
    if leaves.len() <= 1 {
        return leaves.first().copied().unwrap_or(Hash::EMPTY_TREE);
    }
    let k = leaves.len().next_power_of_two() / 2;
    node_hash(&mth(&leaves[..k]), &mth(&leaves[k..]))
}

/// PATH(m, D[n]) of RFC 9162 §2.1.3.1.
fn path(m: usize, leaves: &[Hash]) -> Vec<Hash> {
    if leaves.len() <= 1 {
        return Vec::new();
    }
    let k = leaves.len().next_power_of_two() / 2;
    let (mut p, sibling) = if m < k {
        (path(m, &leaves[..k]), mth(&leaves[k..]))
    } else {
        (path(m - k, &leaves[k..]), mth(&leaves[..k]))
    };
    p.push(sibling);
    p
}

/// A bundle disclosing `disclose` (all claims when `None`), its entry at `index` of a log of
/// `size` entries, witnessed at `timestamp`.
pub fn bundle(size: u64, index: u64, disclose: Option<&[&str]>) -> Bundle {
    let (log, witness) = keys();
    let all = claims();
    // Random-looking 16-byte salts (as issuance draws them), derived so runs are repeatable.
    let salts: Vec<String> =
        (0..all.len()).map(|i| STANDARD.encode(&leaf_hash(&[b's', i as u8]).0[..16])).collect();
    let leaves: Vec<Hash> =
        all.iter().zip(&salts).map(|((n, v), s)| claim_leaf(n, s, v).expect("claim leaf")).collect();
    let claims_root = tree_root(&leaves);
    let shown: Vec<usize> = all
        .keys()
        .enumerate()
        .filter(|(_, n)| disclose.is_none_or(|d| d.contains(&n.as_str())))
        .map(|(i, _)| i)
        .collect();
    let indices: Vec<u64> = shown.iter().map(|i| *i as u64).collect();
    let proof = if shown.len() == all.len() || shown.is_empty() {
        Vec::new()
    } else {
        prove_multi(&leaves, &indices).expect("multi-proof")
    };
    let names: Vec<&String> = all.keys().collect();
    let mut b = Bundle {
        format: BUNDLE_FORMAT.to_owned(),
        credential: Credential {
            context: vec![VC_CONTEXT.to_owned()],
            types: vec!["VerifiableCredential".to_owned(), "RegisterEntry".to_owned()],
            issuer: ORIGIN.to_owned(),
            valid_from: Some("2026-01-01T00:00:00Z".to_owned()),
            valid_until: Some("2031-01-01T00:00:00Z".to_owned()),
            credential_subject: shown.iter().map(|i| (names[*i].clone(), all[names[*i]].clone())).collect(),
            credential_status: CredentialStatus::revocation(index),
        },
        disclosure: Disclosure {
            claims_root,
            claims_count: all.len() as u64,
            claims: shown
                .iter()
                .map(|i| DisclosedClaim {
                    name: names[*i].clone(),
                    salt: salts[*i].clone(),
                    index: *i as u64,
                })
                .collect(),
            proof,
        },
        tlog_proof: String::new(),
    };
    let leaf = leaf_hash(&b.entry().expect("entry"));
    let tree: Vec<Hash> =
        (0..size).map(|i| if i == index { leaf } else { leaf_hash(&i.to_be_bytes()) }).collect();
    let hashes = path(index as usize, &tree);
    let root = root_from_inclusion_proof(index, size, &leaf, &hashes).expect("inclusion proof");
    let text = verifier::write::format_checkpoint(&Checkpoint {
        origin: ORIGIN.to_owned(),
        size,
        root_hash: root,
        extensions: Vec::new(),
    });
    let signed = sign_note(&text, &[&log]).expect("log signs");
    let mut note = parse_note(signed.as_bytes()).expect("note parses");
    note.signatures.push(cosign(&witness, &text, 1_780_000_000).expect("witness cosigns"));
    b.tlog_proof =
        format_tlog_proof(&TlogProof { extra: None, index, hashes, checkpoint: format_note(&note) });
    b
}
