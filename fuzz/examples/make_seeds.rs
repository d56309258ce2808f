//! Writes seed inputs signed by the fixture keys into `<corpus>/<target>/fixture-*`.
//!
//! Usage: `cargo +nightly run --example make_seeds -- <corpus dir>` (seed.sh runs it).
//! A fuzzer cannot forge an Ed25519 signature, so without these seeds the code after a
//! successful signature check (origin, quorum, inclusion) would never run.

use std::fs;
use std::path::Path;

use ledgerless_fuzz::{ENTRY, LOG_ORIGIN, log_signer, policy_text, witness_signers};
use verifier::write::{
    cosign, format_checkpoint, format_note, format_proof_hashes, format_signer_key, format_tlog_proof,
    format_verifier_key, sign_note,
};
use verifier::{
    Checkpoint, Hash, TlogProof, Trust, check_tlog_proof, inclusion_proof_len, leaf_hash, parse_note,
    parse_policy, root_from_inclusion_proof, verify_checkpoint_with_policy,
};

fn write(dir: &Path, target: &str, name: &str, data: &[u8]) {
    let d = dir.join(target);
    fs::create_dir_all(&d).expect("create corpus directory");
    fs::write(d.join(format!("fixture-{name}")), data).expect("write seed");
}

/// A checkpoint note signed by the fixture log and cosigned by the witnesses `cosigners`
/// (indices into `witness_signers()`).
fn signed(body: &str, cosigners: &[usize]) -> String {
    let log = log_signer();
    let mut note = parse_note(sign_note(body, &[log]).expect("sign").as_bytes()).expect("parse");
    for &i in cosigners {
        note.signatures.push(cosign(&witness_signers()[i], body, 1_700_000_000 + i as u64).expect("cosign"));
    }
    format_note(&note)
}

fn main() {
    let dir = std::env::args().nth(1).expect("usage: make_seeds <corpus dir>");
    let dir = Path::new(&dir);

    // A tree of 5 entries with ENTRY at index 2; its other nodes are made-up hashes, and the
    // root is whatever they give.
    let (index, size) = (2u64, 5u64);
    let proof: Vec<Hash> =
        (0..inclusion_proof_len(index, size)).map(|i| leaf_hash(format!("node {i}").as_bytes())).collect();
    let root = root_from_inclusion_proof(index, size, &leaf_hash(ENTRY), &proof).expect("root");
    let checkpoint = Checkpoint { origin: LOG_ORIGIN.to_owned(), size, root_hash: root, extensions: vec![] };
    let body = format_checkpoint(&checkpoint);
    let with_ext =
        Checkpoint { extensions: vec!["ext one".to_owned(), "— two".to_owned()], ..checkpoint.clone() };
    let body_ext = format_checkpoint(&with_ext);

    write(dir, "checkpoint_parse", "body", body.as_bytes());
    write(dir, "checkpoint_parse", "body-ext", body_ext.as_bytes());

    let notes = [
        ("log-only", signed(&body, &[])),
        ("quorum", signed(&body, &[0, 1])),
        ("no-quorum", signed(&body, &[2])),
        ("all", signed(&body_ext, &[0, 1, 2])),
    ];
    // The seeds are only useful if they verify (or, for no-quorum, fail only the quorum).
    let policy = parse_policy(policy_text().as_bytes()).expect("fixture policy");
    assert!(verify_checkpoint_with_policy(notes[1].1.as_bytes(), &policy).is_ok());
    assert!(verify_checkpoint_with_policy(notes[2].1.as_bytes(), &policy).is_err());
    assert!(verify_checkpoint_with_policy(notes[3].1.as_bytes(), &policy).is_ok());
    for (name, note) in &notes {
        write(dir, "note_parse", name, note.as_bytes());
        write(dir, "signed_checkpoint", name, note.as_bytes());
    }

    for (name, extra, note) in
        [("log-only", None, &notes[0].1), ("quorum-extra", Some(b"extra".to_vec()), &notes[1].1)]
    {
        let p = TlogProof { extra, index, hashes: proof.clone(), checkpoint: note.clone() };
        let text = format_tlog_proof(&p);
        assert!(
            check_tlog_proof(&Trust::Key(log_signer().verifier.clone()), text.as_bytes(), ENTRY).verified
        );
        write(dir, "tlog_proof_parse", name, format_tlog_proof(&p).as_bytes());
    }

    write(dir, "proof_file_parse", "proof", format_proof_hashes(&proof).as_bytes());
    write(dir, "policy_parse", "policy", policy_text().as_bytes());
    // A CSV as `anonymise` writes it (first byte: where the fuzz check cuts the chunks).
    write(
        dir,
        "dataset_recount",
        "csv",
        b"\x07a,b,c,d\n1,2,x,9\n1,2,y,8\n*,*,z,7\n\"q,1\",2,x,6\n1,2,\"x\"\"y\",5",
    );

    let w = &witness_signers()[0];
    write(dir, "verifier_key_parse", "log-vkey", format_verifier_key(&log_signer().verifier).as_bytes());
    write(dir, "verifier_key_parse", "witness-vkey", format_verifier_key(&w.verifier).as_bytes());
    write(dir, "verifier_key_parse", "log-skey", format_signer_key(log_signer()).as_bytes());
    write(dir, "verifier_key_parse", "witness-skey", format_signer_key(w).as_bytes());

    // add-checkpoint bodies: from size 0 (cosigned on a fresh witness), and a stale one.
    for (name, old) in [("from-0", 0u64), ("stale", 3)] {
        let mut b = format!("old {old}\n").into_bytes();
        if old > 0 {
            b.extend_from_slice(format!("{}\n\n", Hash([1; 32]).to_base64()).as_bytes());
        } else {
            b.push(b'\n');
        }
        b.extend_from_slice(notes[0].1.as_bytes());
        write(dir, "witness_add_checkpoint", name, &b);
    }
    let list = format!(
        "# logs\n{}\n{} other origin\n",
        format_verifier_key(&log_signer().verifier),
        format_verifier_key(&log_signer().verifier)
    );
    write(dir, "witness_log_list", "list", list.as_bytes());

    // The distributed engine's parsers (fuzz/src/lib.rs `cluster_parse`: the first byte picks).
    write(dir, "cluster_parse", "url", b"\x00df://127.0.0.1:50050");
    write(
        dir,
        "cluster_parse",
        "executors",
        b"\x01[{\"id\":\"e1\",\"host\":\"127.0.0.1\",\"port\":50051,\"last_seen\":1}]",
    );
    write(
        dir,
        "cluster_parse",
        "jobs",
        b"\x02[{\"job_id\":\"a\",\"job_name\":\"n\",\"status\":\"Running\"}]",
    );
    write(dir, "cluster_parse", "header", b"\x03a b\x1fc,d\x00\"a b\",\"c,d\"\n\"1\",\"2\"\n");

    // A valid credential bundle: a one-entry log holding the credential.
    write_bundle_seed(dir);
}

fn write_bundle_seed(dir: &Path) {
    use std::collections::BTreeMap;
    use verifier::{
        BUNDLE_FORMAT, Bundle, BundleTrust, Credential, CredentialStatus, DisclosedClaim, Disclosure,
        VC_CONTEXT, check_bundle, claim_leaf, tree_root,
    };
    let claims: BTreeMap<String, String> = [("name", "Dr Example"), ("profession", "doctor")]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let salt = "AAAAAAAAAAAAAAAAAAAAAA==".to_owned();
    let leaves: Vec<Hash> = claims.iter().map(|(k, v)| claim_leaf(k, &salt, v).expect("leaf")).collect();
    let mut bundle = Bundle {
        format: BUNDLE_FORMAT.to_owned(),
        credential: Credential {
            context: vec![VC_CONTEXT.to_owned()],
            types: vec!["VerifiableCredential".to_owned(), "RegisterEntry".to_owned()],
            issuer: LOG_ORIGIN.to_owned(),
            valid_from: Some("2020-01-01T00:00:00Z".to_owned()),
            valid_until: None,
            credential_subject: claims.clone(),
            credential_status: CredentialStatus::revocation(0),
        },
        disclosure: Disclosure {
            claims_root: tree_root(&leaves),
            claims_count: 2,
            claims: claims
                .keys()
                .enumerate()
                .map(|(i, k)| DisclosedClaim { name: k.clone(), salt: salt.clone(), index: i as u64 })
                .collect(),
            proof: vec![],
        },
        tlog_proof: String::new(),
    };
    let entry = bundle.entry().expect("entry");
    let body = format_checkpoint(&Checkpoint {
        origin: LOG_ORIGIN.to_owned(),
        size: 1,
        root_hash: leaf_hash(&entry),
        extensions: vec![],
    });
    bundle.tlog_proof = format_tlog_proof(&TlogProof {
        extra: None,
        index: 0,
        hashes: vec![],
        checkpoint: signed(&body, &[]),
    });
    let bytes = serde_json::to_vec_pretty(&bundle).expect("json");
    let trust = BundleTrust::Direct(Trust::Key(log_signer().verifier.clone()));
    assert!(
        check_bundle(&bytes, &trust, 1_800_000_000, verifier::StatusCheck::Offline).0.verified,
        "bundle seed must verify"
    );
    write(dir, "bundle_parse", "bundle", &bytes);
    // The same bundle compact: binary, digits, and a link with each text.
    let binary = verifier::write::encode_compact(&bundle).expect("compact");
    let digits = verifier::encode_digits(&binary);
    write(dir, "compact_parse", "compact", &binary);
    write(dir, "compact_parse", "digits", digits.as_bytes());
    write(dir, "compact_parse", "link", format!("https://v.example/#c1={digits}").as_bytes());
}
