//! Ed25519 edge cases (novifinancial/ed25519-speccheck): we accept exactly what Go's
//! crypto/ed25519 accepts (docs/design/0003-ed25519-strictness.md), so a note verifies here
//! if and only if it verifies in Go's sumdb/note and in witnesses built on it.

use ed25519_dalek::VerifyingKey;
use verifier::{KeyKind, VerifierKey};

use crate::{json, read};

#[test]
fn speccheck_cases_match_go() {
    let dir = tests::vectors();
    let cases = json(&dir, "ed25519-speccheck/cases.json");
    let results = String::from_utf8(read(&dir, "ed25519-speccheck/results.md")).expect("utf8");
    let go: Vec<bool> = results
        .lines()
        .find(|l| l.starts_with("|Go "))
        .expect("Go row")
        .split('|')
        .skip(2)
        .filter(|c| !c.trim().is_empty())
        .map(|c| c.trim() == "V")
        .collect();
    let cases = cases.as_array().expect("cases");
    assert_eq!(go.len(), cases.len());
    for (i, (case, want)) in cases.iter().zip(&go).enumerate() {
        let pk: [u8; 32] = tests::hex(case["pub_key"].as_str().expect("pk")).try_into().expect("32");
        let msg = tests::hex(case["message"].as_str().expect("msg"));
        let sig = tests::hex(case["signature"].as_str().expect("sig"));
        let got = VerifyingKey::from_bytes(&pk)
            .ok()
            .and_then(|k| VerifierKey::new("speccheck", KeyKind::Ed25519, k).ok())
            .is_some_and(|k| k.verify_raw(&msg, &sig));
        assert_eq!(got, *want, "speccheck case {i}: got {got}, Go says {want}");
    }
}
