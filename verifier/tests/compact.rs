//! Compact bundles (formats.md, "Compact bundles"): they round-trip exactly, verify with the
//! same steps and verdicts as their JSON form, every single-byte change is refused, the
//! decoder is bounded; and the sizes of docs/design/0012 are measured here:
//!
//! ```sh
//! cargo test -p verifier --test compact -- --nocapture sizes
//! ```

#![cfg(not(target_arch = "wasm32"))]

#[path = "common/bundles.rs"]
mod bundles;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use verifier::write::{encode_compact, encode_compact_text};
use verifier::{
    Bundle, BundleTrust, CompactError, Report, StatusCheck, Trust, bundle_json, bundles_in_link,
    check_bundle, decode_compact, decode_compact_text, decode_digits, encode_digits, parse_policy,
};

/// A time inside the bundles' validity window.
const AT: i64 = 1_790_000_000;
const SITE: &str = "https://verify.example.org/";
const THREE: &[&str] = &["name", "profession", "status"];

fn trust() -> BundleTrust {
    BundleTrust::Direct(Trust::Policy(parse_policy(bundles::policy_text().as_bytes()).expect("policy")))
}

fn verify(json: &[u8]) -> Report {
    check_bundle(json, &trust(), AT, StatusCheck::Offline).0
}

/// The checks of a bundle in its JSON form and rebuilt from its compact form agree, step by
/// step, and the rebuilt bundle is the same value.
fn same_verdicts(b: &Bundle) {
    let json = serde_json::to_vec_pretty(b).expect("json");
    let text = encode_compact_text(b).expect("compact");
    let back = decode_compact_text(&text).expect("decodes");
    assert_eq!(back, *b, "the compact form rebuilds the same bundle");
    assert_eq!(verify(&json), verify(&bundle_json(&back)), "same steps and verdicts");
}

#[test]
fn compact_bundles_round_trip_and_verify_the_same() {
    for (size, index) in [(1, 0), (2, 1), (5, 3), (1000, 517)] {
        for disclose in [None, Some(THREE), Some(&["role"][..]), Some(&[][..])] {
            let b = bundles::bundle(size, index, disclose);
            same_verdicts(&b);
            let r = verify(&bundle_json(&b));
            assert!(r.verified, "{size} {index} {disclose:?}: {r:?}");
        }
    }
    // Bundles that fail a check still round-trip and fail the same step: a changed claim
    // (the claims root is then stored), a checkpoint root that is not the proof's, an
    // expired credential, an index that is not in the tree.
    let good = bundles::bundle(1000, 517, Some(THREE));
    let mut tampered = good.clone();
    tampered.credential.credential_subject.insert("status".to_owned(), "struck off".to_owned());
    let mut wrong_root = good.clone();
    wrong_root.tlog_proof = wrong_root.tlog_proof.replacen(
        "\n\nissuer.example.org/log\n1000\n",
        "\n\nissuer.example.org/log\n999\n",
        1,
    );
    let mut moved = good.clone();
    moved.tlog_proof = moved.tlog_proof.replacen("index 517\n", "index 1517\n", 1);
    let mut dated = good.clone();
    dated.credential.valid_until = Some("2026-06-01T00:00:00Z".to_owned());
    let mut odd_date = good.clone();
    odd_date.credential.valid_from = Some("2026-01-01T00:00:00.000Z".to_owned());
    for bad in [tampered, wrong_root, moved, dated, odd_date] {
        same_verdicts(&bad);
        assert!(!verify(&bundle_json(&bad)).verified);
    }
    // The demo's tampered link fails at the claims step in both forms.
    let mut t = good;
    t.credential.credential_subject.insert("status".to_owned(), "licensed".to_owned());
    let r = verify(&bundle_json(
        &decode_compact_text(&encode_compact_text(&t).expect("compact")).expect("decodes"),
    ));
    assert!(
        r.steps.iter().any(|s| s.check == verifier::Check::Claims && s.outcome == verifier::Outcome::Fail),
        "{r:?}"
    );
}

#[test]
fn a_million_entry_log_round_trips() {
    let b = bundles::bundle(1 << 20, 777_777, Some(THREE));
    same_verdicts(&b);
    assert!(verify(&bundle_json(&b)).verified);
}

#[test]
fn what_the_compact_form_cannot_carry_is_refused() {
    let good = bundles::bundle(5, 3, Some(THREE));
    let refused = |b: &Bundle, why: &str| {
        let e = encode_compact(b).expect_err("refused");
        assert!(matches!(e, CompactError::NotRepresentable(_)), "{e:?}");
        assert!(e.to_string().contains(why), "{e} lacks {why:?}");
    };
    let mut extra = good.clone();
    extra.tlog_proof = extra.tlog_proof.replacen("index 3\n", "extra AAEC\nindex 3\n", 1);
    refused(&extra, "extra data");
    let mut salt = good.clone();
    salt.disclosure.claims[0].salt = "AAAAAAAAAAAAAAAAAAAAAB==".to_owned();
    refused(&salt, "salt");
    let mut context = good.clone();
    context.credential.context.push("https://example.org/more".to_owned());
    refused(&context, "@context");
    let mut names = good.clone();
    names.disclosure.claims[0].name = "nom".to_owned();
    refused(&names, "different claims");
    let mut index = good;
    index.credential.credential_status.status_list_index = "03".to_owned();
    refused(&index, "statusListIndex");
}

/// Every single-byte change of a compact bundle's binary form (its CBOR) and of its texts
/// (digits, base64url) is refused by the decoder or fails verification.
#[test]
fn every_single_byte_change_is_refused() {
    let b = bundles::bundle(1000, 517, Some(THREE));
    let binary = encode_compact(&b).expect("compact");
    let accepted = |bytes: &[u8]| match decode_compact(bytes) {
        Ok(back) => verify(&bundle_json(&back)).verified,
        Err(e) => {
            assert!(!e.to_string().is_empty());
            false
        }
    };
    assert!(accepted(&binary));
    let mut tried = 0;
    for pos in 0..binary.len() {
        // Flips of single bits and of whole bytes, and values that are CBOR heads.
        let flips = [0x01u8, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0xff].map(|d| binary[pos] ^ d);
        let heads = [0x00u8, 0x17, 0x18, 0x19, 0x40, 0x58, 0x60, 0x78, 0x80, 0xa0, 0xf6];
        for value in flips.into_iter().chain(heads) {
            if binary[pos] != value {
                let mut m = binary.clone();
                m[pos] = value;
                assert!(!accepted(&m), "byte {pos} = {value:#04x} accepted");
                tried += 1;
            }
        }
    }
    // Cut short or extended by a byte.
    assert!(!accepted(&binary[..binary.len() - 1]));
    assert!(!accepted(&[&binary[..], &[0]].concat()));
    // The digits: every digit replaced by three others.
    let text = encode_digits(&binary);
    for pos in 0..text.len() {
        let d = text.as_bytes()[pos] - b'0';
        for step in [1u8, 5, 9] {
            let mut m = text.clone().into_bytes();
            m[pos] = b'0' + (d + step) % 10;
            let m = String::from_utf8(m).expect("digits");
            assert!(!decode_digits(&m).is_ok_and(|bytes| accepted(&bytes)), "digit {pos} + {step} accepted");
            tried += 1;
        }
    }
    // The base64url text: every character replaced by three others.
    let b64 = URL_SAFE_NO_PAD.encode(&binary);
    for pos in 0..b64.len() {
        for c in ['A', 'f', '_'] {
            if b64.as_bytes()[pos] != c as u8 {
                let mut m = b64.clone().into_bytes();
                m[pos] = c as u8;
                let m = String::from_utf8(m).expect("ascii");
                let ok = verifier::decode_base64url(&m).is_ok_and(|bytes| accepted(&bytes));
                assert!(!ok, "base64url character {pos} = {c} accepted");
                tried += 1;
            }
        }
    }
    println!("{tried} single-byte changes refused");
    assert!(tried > 10_000, "{tried}");
}

fn deflate(data: &[u8]) -> Vec<u8> {
    use std::io::Write as _;
    let mut z = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    z.write_all(data).expect("deflate");
    z.finish().expect("deflate")
}

#[test]
fn decoding_is_bounded_and_strict() {
    let b = bundles::bundle(5, 3, Some(THREE));
    let cbor = encode_compact(&b).expect("compact");
    assert_eq!(decode_compact(&cbor).expect("reads"), b);
    let mut trailing = cbor.clone();
    trailing.push(0);
    assert!(decode_compact(&trailing).expect_err("trailing").to_string().contains("after the end"));
    assert!(decode_compact(&[]).is_err());
    assert_eq!(decode_compact(&vec![0xa0; verifier::MAX_COMPACT_SIZE + 1]), Err(CompactError::TooLarge));
    // A map announcing 2^32 entries, an array announcing 2^64 claims: refused before reading.
    assert!(decode_compact(&[0xba, 0xff, 0xff, 0xff, 0xff]).is_err());
    assert!(decode_compact(&[0xa1, 0x07, 0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]).is_err());
    // Indefinite lengths are not canonical.
    assert!(decode_compact(&[0xbf, 0xff]).is_err());
}

#[test]
fn digits_are_one_to_one() {
    for n in 0..=30usize {
        let bytes: Vec<u8> = (0..n).map(|i| (i as u8).wrapping_mul(97).wrapping_add(200)).collect();
        let text = encode_digits(&bytes);
        assert!(text.bytes().all(|c| c.is_ascii_digit()));
        assert_eq!(decode_digits(&text).expect("decodes"), bytes, "{n} bytes");
        assert_eq!(text.len(), n / 7 * 17 + [0, 3, 5, 8, 10, 13, 15][n % 7]);
    }
    assert_eq!(encode_digits(&[0xff; 7]), "72057594037927935");
    // A group too large for its bytes, lengths no byte count gives, other characters.
    for bad in ["256", "72057594037927936", "1", "1234", "12345678901234567890", "12a", "123 "] {
        assert!(decode_digits(bad).is_err(), "{bad}");
    }
    assert!(decode_digits(&"9".repeat(verifier::MAX_COMPACT_TEXT + 1)).is_err());
}

#[test]
fn links_carry_compact_and_json_bundles() {
    let b = bundles::bundle(5, 3, Some(THREE));
    let compact = format!("{SITE}#c1={}", encode_compact_text(&b).expect("compact"));
    let compact_b64 = format!("{SITE}#c1u={}", URL_SAFE_NO_PAD.encode(encode_compact(&b).expect("compact")));
    assert_eq!(bundles_in_link(&compact_b64), bundles_in_link(&compact));
    let json = serde_json::to_vec(&b).expect("json");
    let old = format!("{SITE}#bundle={}", URL_SAFE_NO_PAD.encode(&json));
    let got = bundles_in_link(&compact);
    assert_eq!(got.len(), 1);
    assert_eq!(Bundle::parse(got[0].as_ref().expect("compact")).expect("bundle"), b);
    assert_eq!(bundles_in_link(&old), vec![Ok(json.clone())]);
    let both = bundles_in_link(&format!("{compact}&x=1&bundle={}", URL_SAFE_NO_PAD.encode(&json)));
    assert_eq!(both.len(), 2);
    assert!(bundles_in_link(&format!("{SITE}#c1=123")).first().is_some_and(Result::is_err));
    assert!(bundles_in_link(&format!("{SITE}#c1u=AA==")).first().is_some_and(Result::is_err));
    assert!(bundles_in_link(&format!("{SITE}#bundle=***")).first().is_some_and(Result::is_err));
    assert!(bundles_in_link(SITE).is_empty());
}

// ---------------------------------------------------------------------------------------
// Measurements for docs/design/0012-compact-bundles.md.

fn qr_version(text: &str) -> String {
    match qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::L) {
        Ok(code) => match code.version() {
            qrcode::Version::Normal(v) => v.to_string(),
            qrcode::Version::Micro(v) => format!("M{v}"),
        },
        Err(_) => ">40".to_owned(),
    }
}

/// RFC 9285 base45 (for the measurement only).
fn base45(bytes: &[u8]) -> String {
    const A: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
    let mut out = String::new();
    for c in bytes.chunks(2) {
        let mut n =
            if c.len() == 2 { usize::from(c[0]) * 256 + usize::from(c[1]) } else { usize::from(c[0]) };
        for _ in 0..if c.len() == 2 { 3 } else { 2 } {
            out.push(char::from(A[n % 45]));
            n /= 45;
        }
    }
    out
}

#[test]
fn sizes() {
    println!(
        "| log size | disclosed | JSON link (chars, QR v) | CBOR bytes | deflated | digits link (chars, QR v) | base45 link (chars, QR v) | base64url link (chars, QR v) |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for (size, index, label) in [(21u64, 20, "21"), (1000, 517, "1,000"), (1 << 20, 777_777, "1,048,576")] {
        for (disclose, what) in [(Some(THREE), "3 of 14"), (None, "14 of 14")] {
            let b = bundles::bundle(size, index, disclose);
            let json = serde_json::to_vec(&b).expect("json");
            let json_link = format!("{SITE}#bundle={}", URL_SAFE_NO_PAD.encode(&json));
            let binary = encode_compact(&b).expect("compact");
            let cbor = &binary[..];
            let z = deflate(cbor);
            let digits = format!("{SITE}#c1={}", encode_digits(&binary));
            let b45 = format!("{SITE}#c1={}", base45(&binary));
            let b64 = format!("{SITE}#c1u={}", URL_SAFE_NO_PAD.encode(&binary));
            println!(
                "| {label} | {what} | {}, v{} | {} | {} | {}, v{} | {}, v{} | {}, v{} |",
                json_link.len(),
                qr_version(&json_link),
                cbor.len(),
                z.len(),
                digits.len(),
                qr_version(&digits),
                b45.len(),
                qr_version(&b45),
                b64.len(),
                qr_version(&b64),
            );
            let proof = verifier::parse_tlog_proof(b.tlog_proof.as_bytes()).expect("tlog-proof");
            let note = verifier::parse_note(proof.checkpoint.as_bytes()).expect("note");
            let sigs: usize = note.signatures.iter().map(|s| 4 + s.signature.len()).sum();
            let salts = 16 * b.disclosure.claims.len();
            let text: usize = b.credential.credential_subject.iter().map(|(k, v)| k.len() + v.len()).sum();
            println!(
                "|   | of which: inclusion proof {} B ({} hashes), claim multi-proof {} B, key IDs and signatures {sigs} B, witness name {} B, salts {salts} B, claim names and values {text} B | | | | | | |",
                32 * proof.hashes.len(),
                proof.hashes.len(),
                32 * b.disclosure.proof.len(),
                bundles::WITNESS.len(),
            );
        }
    }
}
