//! Go sumdb/tlog goldens (golang/mod sumdb/tlog): the tree note format.
//!
//! Applies here: FormatTree/ParseTree (the checkpoint body). Not here: FormatRecord (a sumdb
//! record format ledgerless does not use) and the tile tables (the log writer's tests).

use verifier::write::{SignerKey, format_checkpoint, sign_note};
use verifier::{Checkpoint, CheckpointError, KeyKind, Trust, leaf_hash, parse_checkpoint, verify_checkpoint};

use crate::json;

#[test]
fn format_and_parse_tree() {
    let dir = tests::vectors();
    let v = json(&dir, "go-tlog/go-tlog-goldens.json");
    let t = &v["format_tree"];
    let golden = t["golden"].as_str().expect("golden");
    let want = Checkpoint {
        origin: "go.sum database tree".to_owned(),
        size: t["tree_size"].as_u64().expect("size"),
        root_hash: leaf_hash(b"hello world"),
        extensions: Vec::new(),
    };
    assert_eq!(format_checkpoint(&want), golden);
    assert_eq!(parse_checkpoint(golden).expect("golden parses"), want);
    let bad = t["bad"].as_array().expect("bad");
    // Go rejects a different origin because sumdb fixes it; for us it parses as another log's
    // checkpoint, and is then rejected by the origin/key-name check (tested in check tests).
    assert_ne!(parse_checkpoint(bad[0].as_str().expect("s")).expect("parses").origin, want.origin);
    for b in &bad[1..] {
        assert!(parse_checkpoint(b.as_str().expect("s")).is_err(), "{b}");
    }
}

/// Go's checksum database signs `go.sum database tree` under the key `sum.golang.org`. The
/// repository holds no checkpoint signed by the real key (known-vkeys.txt has only its vkey),
/// so the Go golden tree note is signed here by a test key of that name.
#[test]
fn sumdb_origin_is_not_the_key_name() {
    let dir = tests::vectors();
    let v = json(&dir, "go-tlog/go-tlog-goldens.json");
    let golden = v["format_tree"]["golden"].as_str().expect("golden");
    let key = SignerKey::from_seed("sum.golang.org", KeyKind::Ed25519, &[0x60; 32]).expect("key");
    let signed = sign_note(golden, &[&key]).expect("sign");
    let go = "go.sum database tree";
    // Strict default: refused, as before.
    let e = verify_checkpoint(signed.as_bytes(), &key.verifier).expect_err("strict default");
    assert!(matches!(e, CheckpointError::OriginMismatch { .. }), "{e:?}");
    let strict = Trust::Key(key.verifier.clone());
    assert_eq!(strict.verify_checkpoint(signed.as_bytes()).expect_err("strict"), e);
    // The trust names the origin: accepted.
    let trust = Trust::KeyWithOrigin { key: key.verifier.clone(), origin: go.to_owned() };
    let got = trust.verify_checkpoint(signed.as_bytes()).expect("explicit origin");
    assert_eq!(got.checkpoint.origin, go);
    assert_eq!(got.log_key, key.verifier.label());
    // Another origin named: refused, naming both.
    let wrong = Trust::KeyWithOrigin { key: key.verifier.clone(), origin: "go.sum database".to_owned() };
    let e = wrong.verify_checkpoint(signed.as_bytes()).expect_err("wrong origin").to_string();
    assert!(e.contains("\"go.sum database tree\"") && e.contains("\"go.sum database\""), "{e}");
}
