//! Go signed-note vectors (golang/mod sumdb/note @fe2ec04f) and the C2SP example.

use verifier::write::{parse_signer_key, sign_note};
use verifier::{NoteError, Verifiers, parse_note, parse_verifier_key, verify_note};

use crate::{json, read};

fn verifiers(names: &[&str], keys: &serde_json::Value) -> Result<Verifiers, NoteError> {
    let ks = names
        .iter()
        .map(|n| parse_verifier_key(keys[*n]["vkey"].as_str().expect("vkey")).expect("valid vkey"))
        .collect();
    Verifiers::new(ks)
}

#[test]
fn valid_notes_verify_and_resign_byte_for_byte() {
    let dir = tests::vectors();
    let v = json(&dir, "signed-note/signed-note-vectors.json");
    let keys = &v["keys"];
    for case in v["valid_notes"].as_array().expect("cases") {
        let file = case["file"].as_str().expect("file");
        let bytes = read(&dir, &format!("signed-note/{file}"));
        let names: Vec<&str> =
            case["verifiers"].as_array().expect("v").iter().map(|n| n.as_str().expect("n")).collect();
        let note = parse_note(&bytes).expect(file);
        let got = verify_note(&note, &verifiers(&names, keys).expect("keys")).expect(file);
        if let Some(t) = case.get("want_text") {
            assert_eq!(note.text, t.as_str().expect("text"), "{file}");
        }
        if let Some(w) = case.get("want_verified") {
            let want: Vec<&str> = w.as_array().expect("w").iter().map(|s| s.as_str().expect("s")).collect();
            assert_eq!(got.len(), want.len(), "{file}");
            for (g, w) in got.iter().zip(&want) {
                assert!(w.starts_with(&g.name), "{file}: {} vs {w}", g.name);
            }
        }
        if let Some(u) = case.get("want_unverified") {
            // Signatures by keys not in the list are ignored, not errors.
            for name in u.as_array().expect("u") {
                assert!(got.iter().all(|g| g.name != name.as_str().expect("n")));
                assert!(note.signatures.iter().any(|s| s.name == name.as_str().expect("n")));
            }
        }
    }
    // Ed25519 is deterministic: re-signing reproduces Go's note byte for byte (TestSign).
    let skey = parse_signer_key(keys["PeterNeumann"]["skey"].as_str().expect("skey")).expect("skey");
    let file = read(&dir, "signed-note/go-peterneumann.note");
    let note = parse_note(&file).expect("note");
    assert_eq!(sign_note(&note.text, &[&skey]).expect("sign").as_bytes(), &file[..]);
}

#[test]
fn must_reject_constructions() {
    let dir = tests::vectors();
    let v = json(&dir, "signed-note/signed-note-vectors.json");
    let keys = &v["keys"];
    let peter = verifiers(&["PeterNeumann"], keys).expect("keys");
    let both = verifiers(&["PeterNeumann", "EnochRoot"], keys).expect("keys");
    let file = String::from_utf8(read(&dir, "signed-note/go-peter-and-enoch.note")).expect("utf8");
    let (text, sigs) = file.split_once("\n\n").expect("split");
    let text = format!("{text}\n");
    let mut lines = sigs.lines();
    let peter_sig = format!("{}\n", lines.next().expect("peter"));
    let enoch_sig = format!("{}\n", lines.next().expect("enoch"));

    let open = |s: &str, vs: &Verifiers| parse_note(s.as_bytes()).and_then(|n| verify_note(&n, vs));

    // No known verifier.
    let e = open(&file, &Verifiers::new(vec![]).expect("empty")).unwrap_err();
    assert!(matches!(e, NoteError::NoTrustedSignature { .. }), "{e}");
    // 100 signatures are fine, 101 are malformed.
    assert!(open(&format!("{text}\n{}", peter_sig.repeat(100)), &peter).is_ok());
    let e = open(&format!("{text}\n{}", peter_sig.repeat(101)), &peter).unwrap_err();
    assert_eq!(e, NoteError::Malformed("more than 100 signatures"));
    // Corrupted base64 signature.
    let corrupt = format!("{text}\n{}ABCD{}", &peter_sig[..60], &peter_sig[60..]);
    let e = open(&corrupt, &peter).unwrap_err();
    assert!(
        matches!(e, NoteError::InvalidSignature { ref name, key_id: 0xc74f20a3 } if name == "PeterNeumann"),
        "{e}"
    );
    for (bad, why) in [
        (text.clone(), "text only"),
        (format!("{text}\n"), "no signatures"),
        (format!("{text}\n{}", &peter_sig[..peter_sig.len() - 1]), "no final newline"),
        (format!("\x01{text}\n{peter_sig}"), "control char"),
        (format!("{text}\n{}", peter_sig.replacen("PeterNeumann", "Bad Name", 1)), "space in name"),
        (format!("{text}\n{peter_sig}Unexpected line.\n"), "junk after signatures"),
    ] {
        assert!(matches!(open(&bad, &peter), Err(NoteError::Malformed(_))), "{why}");
    }
    let mut invalid_utf8 = vec![0xff];
    invalid_utf8.extend_from_slice(format!("{text}\n{peter_sig}").as_bytes());
    assert_eq!(parse_note(&invalid_utf8), Err(NoteError::Malformed("note is not UTF-8")));
    // Ambiguous verifier list.
    let e = verifiers(&["EnochRoot", "PeterNeumann", "EnochRoot"], keys).unwrap_err();
    assert_eq!(e.to_string(), "ambiguous key EnochRoot+af0cfe78: listed more than once");
    // A signature from a trusted key that fails rejects the whole note even if another verifies.
    let mut bad_enoch = enoch_sig.clone().into_bytes();
    let k = bad_enoch.len() - 20; // inside the Ed25519 signature, past the key ID
    bad_enoch[k] = if bad_enoch[k] == b'A' { b'B' } else { b'A' };
    let tampered = format!("{text}\n{peter_sig}{}", String::from_utf8(bad_enoch).expect("ascii"));
    assert!(matches!(open(&tampered, &both), Err(NoteError::InvalidSignature { .. })));
}

#[test]
fn bad_verifier_keys() {
    let dir = tests::vectors();
    let v = json(&dir, "signed-note/signed-note-vectors.json");
    for b in v["bad_vkeys"].as_array().expect("bad") {
        if let Some(k) = b.get("vkey") {
            assert!(parse_verifier_key(k.as_str().expect("k")).is_err(), "{}", b["why"]);
        }
    }
    // The C2SP example key verifies the C2SP example note.
    let k = parse_verifier_key(v["keys"]["example.com/foo"]["vkey"].as_str().expect("k")).expect("key");
    let note = parse_note(&read(&dir, "signed-note/c2sp-example-com-foo.note")).expect("note");
    verify_note(&note, &Verifiers::new(vec![k]).expect("ks")).expect("c2sp example verifies");
}

#[test]
fn every_byte_mutation_of_a_signed_note_is_rejected_or_unverified() {
    let dir = tests::vectors();
    let v = json(&dir, "signed-note/signed-note-vectors.json");
    let peter = verifiers(&["PeterNeumann"], &v["keys"]).expect("keys");
    let file = read(&dir, "signed-note/go-peterneumann.note");
    for i in 0..file.len() {
        for bit in 0..8 {
            let mut m = file.clone();
            m[i] ^= 1 << bit;
            let r = parse_note(&m).and_then(|n| verify_note(&n, &peter).map(|_| n));
            // A flipped bit may only survive where it cannot change what was signed: never.
            assert!(r.is_err(), "byte {i} bit {bit} still verifies");
        }
    }
}
