//! The shipped example log in `examples/registry/`: a small register of licences to practise,
//! its signed checkpoints, a witness cosignature, proofs and a tlog-policy. Everything is
//! derived from fixed seeds, so `cargo run -p tests --example build_example` rebuilds the
//! files byte for byte, and a test checks the committed copies never drift.
//!
//! The seeds are public: these keys are for the example only and must never sign anything real.

use verifier::write::{
    SignerKey, cosign, format_checkpoint, format_note, format_policy, format_proof_hashes, format_tlog_proof,
    format_verifier_key, sign_note,
};
use verifier::{Checkpoint, KeyKind, TlogProof, leaf_hash, parse_note, parse_policy};

use crate::{naive_consistency_proof, naive_inclusion_proof, naive_root};

/// The log's origin and key name.
pub const ORIGIN: &str = "register.example.org/log";
/// The witness's key name.
pub const WITNESS: &str = "witness.example.net/w1";
/// The time the witness cosigned at (2026-11-01T00:00:00Z).
pub const COSIGNED_AT: u64 = 1_793_491_200;

/// The register's entries, one per registrant.
pub const ENTRIES: [&str; 6] = [
    r#"{"register":"medical","number":"7012345","name":"Dr Amara Okafor","status":"licensed","from":"2025-08-06"}"#,
    r#"{"register":"medical","number":"7023456","name":"Dr Tomasz Nowak","status":"licensed","from":"2024-02-01"}"#,
    r#"{"register":"nursing","number":"19A2345E","name":"Priya Raman RN","status":"registered","from":"2023-09-15"}"#,
    r#"{"register":"medical","number":"7034567","name":"Dr Sean Murphy","status":"suspended","from":"2026-03-10"}"#,
    r#"{"register":"medical","number":"7045678","name":"Dr Li Wei","status":"licensed","from":"2026-05-01"}"#,
    r#"{"register":"nursing","number":"21B9876C","name":"Grace Mensah RN","status":"registered","from":"2026-06-20"}"#,
];

/// The index of the entry the example proves.
pub const PROVEN_INDEX: usize = 2;

/// The log's signing key (fixed seed; example only).
///
/// # Panics
/// Never: the name is a valid key name.
pub fn log_key() -> SignerKey {
    SignerKey::from_seed(ORIGIN, KeyKind::Ed25519, &[0x4c; 32]).expect("valid name")
}

/// The witness's cosigning key (fixed seed; example only).
///
/// # Panics
/// Never: the name is a valid key name.
pub fn witness_key() -> SignerKey {
    SignerKey::from_seed(WITNESS, KeyKind::CosignatureV1, &[0x57; 32]).expect("valid name")
}

fn signed_checkpoint(size: usize, cosigned: bool) -> String {
    let leaves: Vec<_> = ENTRIES[..size].iter().map(|e| leaf_hash(e.as_bytes())).collect();
    let text = format_checkpoint(&Checkpoint {
        origin: ORIGIN.to_owned(),
        size: size as u64,
        root_hash: naive_root(&leaves),
        extensions: Vec::new(),
    });
    let signed = sign_note(&text, &[&log_key()]).expect("log key signs");
    if !cosigned {
        return signed;
    }
    let mut note = parse_note(signed.as_bytes()).expect("own note parses");
    note.signatures.push(cosign(&witness_key(), &text, COSIGNED_AT).expect("witness cosigns"));
    format_note(&note)
}

/// Builds every file of the example, as (file name, contents).
///
/// # Panics
/// Never on the fixed inputs above.
pub fn build() -> Vec<(&'static str, String)> {
    let leaves: Vec<_> = ENTRIES.iter().map(|e| leaf_hash(e.as_bytes())).collect();
    let checkpoint = signed_checkpoint(ENTRIES.len(), true);
    let policy_text = format!(
        "# Trust policy for the example register: its log, and one witness that must cosign.\n\
         log {}\nwitness w1 {}\nquorum w1\n",
        format_verifier_key(&log_key().verifier),
        format_verifier_key(&witness_key().verifier),
    );
    // Check our own policy text parses; format_policy would drop the comment.
    let _ = format_policy(&parse_policy(policy_text.as_bytes()).expect("example policy parses"));
    let proof = naive_inclusion_proof(PROVEN_INDEX, &leaves);
    let tlog_proof = format_tlog_proof(&TlogProof {
        extra: None,
        index: PROVEN_INDEX as u64,
        hashes: proof.clone(),
        checkpoint: checkpoint.clone(),
    });
    vec![
        ("log.pub", format!("{}\n", format_verifier_key(&log_key().verifier))),
        ("witness.pub", format!("{}\n", format_verifier_key(&witness_key().verifier))),
        ("policy", policy_text),
        ("checkpoint", checkpoint),
        ("checkpoint.4", signed_checkpoint(4, false)),
        ("entry-2.json", ENTRIES[PROVEN_INDEX].to_owned()),
        ("entry-2.proof", format_proof_hashes(&proof)),
        ("entry-2.tlog-proof", tlog_proof),
        ("consistency-4-6.proof", format_proof_hashes(&naive_consistency_proof(4, &leaves))),
    ]
}
