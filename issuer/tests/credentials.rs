//! The credential "must hold" properties: bundles verify; the log holds no personal data;
//! every field of a bundle is covered; other keys and issuers are refused; revocation is
//! exact; disclosure hides values; hostile claims are data.

// Test code: an unwrap that fails is a test failure with its message.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use serde_json::Value;
use verifier::write::{SignerKey, format_verifier_key};
use verifier::{
    Bundle, BundleTrust, KeyKind, Outcome, Report, Trust, TrustList, TrustedParty, check_bundle, parse_time,
};

const ISSUER: &str = "register.example.org/log";
const NOW: i64 = 1_795_000_000; // 2026-11-18

fn key() -> SignerKey {
    SignerKey::from_seed(ISSUER, KeyKind::Ed25519, &[0x11; 32]).unwrap()
}

fn csv() -> String {
    let mut s = String::from("id,type,valid_from,valid_until,name,register_number,profession,notes\n");
    s.push_str("cred-1,LicenceToPractise,2024-01-01,2029-01-01,Dr Amara Okafor,7012345,doctor,\n");
    s.push_str("cred-2,RegisterEntry,2023-09-15,,Priya Raman RN,19A2345E,nurse,\n");
    s.push_str("cred-3,MandatoryTraining,2020-01-01,2021-01-01,Dr Sean Murphy,7034567,doctor,\n");
    s.push_str("cred-4,OccupationalHealthClearance,2026-01-01,2030-01-01,Grace Mensah RN,21B9876C,nurse,\"<script>alert(1)</script>, \u{7}bell\"\n");
    s
}

struct Fixture {
    _t: tempfile::TempDir,
    log: std::path::PathBuf,
    out: std::path::PathBuf,
}

fn issue_fixture(extra_rows: &str) -> Fixture {
    let t = tempfile::tempdir().unwrap();
    let (log, out) = (t.path().join("log"), t.path().join("bundles"));
    drop(tlog::Log::init(&log, key()).unwrap());
    let mut l = issuer::open_log(&log, key(), &mut || {}).unwrap();
    let rows = issuer::read_rows(format!("{}{extra_rows}", csv()).as_bytes()).unwrap();
    let batch = issuer::Batch { rows, input: issuer::sha256_hex(csv().as_bytes()) };
    let done = issuer::issue(&mut l, &key(), batch, &out, NOW, issuer::Witnessing::default(), &mut |_, _| {});
    assert!(matches!(done.unwrap(), issuer::IssueOutcome::Done(_)));
    Fixture { _t: t, log, out }
}

fn trust() -> BundleTrust {
    BundleTrust::Direct(Trust::Key(key().verifier.clone()))
}

fn read(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap()
}

fn check(bundle: &[u8], log: Option<&Path>) -> Report {
    // A mutated bundle may not parse; it is then checked offline (and fails at "format").
    let status = log.and_then(|l| {
        let b = Bundle::parse(bundle).ok()?;
        Some(issuer::status_evidence(&tlog::DirFetch(l.to_owned()), &b).map_err(|e| e.to_string()))
    });
    let check = match &status {
        None => verifier::StatusCheck::Offline,
        Some(Ok(e)) => verifier::StatusCheck::Evidence(e),
        Some(Err(e)) => verifier::StatusCheck::Unavailable(e),
    };
    check_bundle(bundle, &trust(), NOW, check).0
}

fn failed(r: &Report) -> &str {
    r.failure().map_or("(verified)", |s| s.check.name())
}

#[test]
fn issued_bundles_verify_online_and_offline() {
    let f = issue_fixture("");
    for id in ["cred-1", "cred-2", "cred-4"] {
        let b = read(&f.out.join(format!("{id}.json")));
        let r = check(&b, Some(&f.log));
        assert!(r.verified, "{id}: {r:#?}");
        let offline = check(&b, None);
        assert!(offline.verified);
        let rev = offline.steps.iter().find(|s| s.check == verifier::Check::Revocation).unwrap();
        assert_eq!(rev.outcome, Outcome::Skip);
        assert!(rev.detail.contains("not checked"));
    }
    // cred-3 expired in 2021.
    let r = check(&read(&f.out.join("cred-3.json")), Some(&f.log));
    assert_eq!(failed(&r), "validity");
    assert_eq!(r.failure().unwrap().finding, Some(verifier::Finding::Expired), "{r:#?}");
    assert_eq!(r.verdict(), verifier::Verdict::Expired);
}

#[test]
fn the_log_holds_no_personal_data() {
    let f = issue_fixture("");
    let mut all = Vec::new();
    for e in walk(&f.log.join("tile/entries")) {
        all.extend(read(&e));
    }
    let text = String::from_utf8_lossy(&all);
    assert!(text.contains("ledgerless-credential/v1"));
    for secret in
        ["Okafor", "Amara", "7012345", "19A2345E", "Priya", "Murphy", "Grace", "cred-1", "doctor", "nurse"]
    {
        assert!(!text.contains(secret), "{secret} appears in the log's entries");
    }
    // Nor in anything else the log serves.
    for p in walk(&f.log) {
        let s = String::from_utf8_lossy(&read(&p)).into_owned();
        for secret in ["Okafor", "7012345", "cred-1"] {
            assert!(!s.contains(secret), "{secret} appears in {}", p.display());
        }
    }
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() { out.extend(walk(&p)) } else { out.push(p) }
    }
    out
}

/// Every way of changing one field of a JSON value: each string, number and bool changed,
/// each object key renamed or removed, each array element removed or duplicated.
fn mutations(v: &Value) -> Vec<Value> {
    let mut out = Vec::new();
    match v {
        Value::String(s) => {
            out.push(Value::String(format!("{s}x")));
            if !s.is_empty() {
                let mut c: Vec<char> = s.chars().collect();
                c[0] = if c[0] == 'A' { 'B' } else { 'A' };
                out.push(Value::String(c.into_iter().collect()));
            }
        }
        Value::Number(n) => {
            out.push(Value::from(n.as_u64().unwrap_or(0) + 1));
            out.push(Value::String(n.to_string()));
        }
        Value::Bool(b) => out.push(Value::Bool(!b)),
        Value::Null => out.push(Value::from(0)),
        Value::Array(a) => {
            for i in 0..a.len() {
                let mut r = a.clone();
                r.remove(i);
                out.push(Value::Array(r));
                let mut d = a.clone();
                d.insert(i, a[i].clone());
                out.push(Value::Array(d));
                for m in mutations(&a[i]) {
                    let mut c = a.clone();
                    c[i] = m;
                    out.push(Value::Array(c));
                }
            }
        }
        Value::Object(o) => {
            for (k, val) in o {
                let mut r = o.clone();
                r.remove(k);
                out.push(Value::Object(r));
                let mut renamed = o.clone();
                let moved = renamed.remove(k).unwrap();
                renamed.insert(format!("{k}_"), moved);
                out.push(Value::Object(renamed));
                for m in mutations(val) {
                    let mut c = o.clone();
                    c.insert(k.clone(), m);
                    out.push(Value::Object(c));
                }
            }
        }
    }
    out
}

#[test]
fn every_field_of_a_bundle_is_covered() {
    let f = issue_fixture("");
    for id in ["cred-1", "cred-4"] {
        let b: Value = serde_json::from_slice(&read(&f.out.join(format!("{id}.json")))).unwrap();
        // The disclosed variant too: its multi-proof is non-empty.
        let full = Bundle::parse(&serde_json::to_vec(&b).unwrap()).unwrap();
        let partial = issuer::disclose(&full, &["name".to_owned()]).unwrap();
        for v in [b, serde_json::to_value(&partial).unwrap()] {
            assert!(check(&serde_json::to_vec(&v).unwrap(), Some(&f.log)).verified);
            let ms = mutations(&v);
            assert!(ms.len() > 50, "{} mutations", ms.len());
            for (i, m) in ms.iter().enumerate() {
                let bytes = serde_json::to_vec(m).unwrap();
                let r = check(&bytes, Some(&f.log));
                assert!(!r.verified, "{id} mutation {i} still verifies: {m}");
            }
        }
    }
}

#[test]
fn other_keys_and_issuers_are_refused() {
    let f = issue_fixture("");
    let b = read(&f.out.join("cred-1.json"));
    // Same name, other bytes.
    let impostor = SignerKey::from_seed(ISSUER, KeyKind::Ed25519, &[0x22; 32]).unwrap();
    let r = check_bundle(
        &b,
        &BundleTrust::Direct(Trust::Key(impostor.verifier.clone())),
        NOW,
        verifier::StatusCheck::Offline,
    )
    .0;
    assert_eq!(failed(&r), "checkpoint-signature", "{r:#?}");
    assert!(r.failure().unwrap().detail.contains("no signature by register.example.org/log+"));
    // Another issuer's key.
    let other = SignerKey::from_seed("college.example.org/log", KeyKind::Ed25519, &[0x33; 32]).unwrap();
    let r = check_bundle(
        &b,
        &BundleTrust::Direct(Trust::Key(other.verifier.clone())),
        NOW,
        verifier::StatusCheck::Offline,
    )
    .0;
    assert_eq!(failed(&r), "issuer");
    // A trust list that does not list this issuer; then one that does.
    let list = |vkey: String| TrustList {
        issuers: vec![TrustedParty {
            name: "Royal College (example)".into(),
            vkey,
            log: None,
            policy: None,
            origin: None,
        }],
        publishers: vec![],
    };
    let r = check_bundle(
        &b,
        &BundleTrust::List(list(format_verifier_key(&other.verifier))),
        NOW,
        verifier::StatusCheck::Offline,
    )
    .0;
    assert_eq!(failed(&r), "issuer");
    let (r, s) = check_bundle(
        &b,
        &BundleTrust::List(list(format_verifier_key(&key().verifier))),
        NOW,
        verifier::StatusCheck::Offline,
    );
    assert!(r.verified);
    assert_eq!(s.unwrap().issuer_name, "Royal College (example)");
}

#[test]
fn revocation_is_exact() {
    let f = issue_fixture("");
    let mut l = issuer::open_log(&f.log, key(), &mut || {}).unwrap();
    let idx = match issuer::revoke(&mut l, &key(), "cred-2", NOW).unwrap() {
        issuer::Revoked::Now(i) => i,
        other => panic!("{other:?}"),
    };
    // Revoking again changes nothing.
    assert_eq!(issuer::revoke(&mut l, &key(), "cred-2", NOW).unwrap(), issuer::Revoked::Already(idx));
    drop(l);
    let r = check(&read(&f.out.join("cred-2.json")), Some(&f.log));
    assert_eq!(failed(&r), "revocation");
    assert_eq!(r.failure().unwrap().finding, Some(verifier::Finding::Revoked), "{r:#?}");
    assert_eq!(r.verdict(), verifier::Verdict::Revoked);
    for id in ["cred-1", "cred-4"] {
        let r = check(&read(&f.out.join(format!("{id}.json"))), Some(&f.log));
        assert!(r.verified, "{id} affected by revoking cred-2 (bit {idx}): {r:#?}");
    }
    let mut l = issuer::open_log(&f.log, key(), &mut || {}).unwrap();
    assert!(issuer::revoke(&mut l, &key(), "nobody", NOW).is_err());
    // A stale status list (an old list with a valid old proof) is not accepted as current.
    drop(l);
    let mut l = issuer::open_log(&f.log, key(), &mut || {}).unwrap();
    let before =
        (read(&f.log.join("status/revocation.json")), read(&f.log.join("status/revocation.tlog-proof")));
    issuer::revoke(&mut l, &key(), "cred-1", NOW).unwrap();
    drop(l);
    std::fs::write(f.log.join("status/revocation.json"), &before.0).unwrap();
    std::fs::write(f.log.join("status/revocation.tlog-proof"), &before.1).unwrap();
    let r = check(&read(&f.out.join("cred-1.json")), Some(&f.log));
    assert_eq!(failed(&r), "revocation");
    assert!(r.failure().unwrap().detail.contains("cannot tell the status list is current"), "{r:#?}");
}

#[test]
fn disclosure_hides_the_rest() {
    let f = issue_fixture("");
    let full = Bundle::parse(&read(&f.out.join("cred-1.json"))).unwrap();
    let d = issuer::disclose(&full, &["profession".to_owned(), "register_number".to_owned()]).unwrap();
    let bytes = serde_json::to_vec_pretty(&d).unwrap();
    assert!(check(&bytes, Some(&f.log)).verified);
    let text = String::from_utf8_lossy(&bytes);
    for hidden in ["Okafor", "Amara", "cred-1"] {
        assert!(!text.contains(hidden), "{hidden} still in the disclosed bundle");
    }
    // Hidden salts are gone too, and a partial bundle cannot be narrowed further.
    assert_eq!(d.disclosure.claims.len(), 2);
    assert!(issuer::disclose(&d, &["profession".to_owned()]).is_err());
    assert!(issuer::disclose(&full, &["shoe_size".to_owned()]).is_err());
}

#[test]
fn hostile_claims_are_data() {
    let big = "A".repeat(1 << 20);
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let rows = format!("h-1,Hostile,,,\"{big}\",1,x,\"{deep}\"\n");
    let f = issue_fixture(&rows);
    let b = read(&f.out.join("h-1.json"));
    assert!(check(&b, Some(&f.log)).verified);
    let parsed = Bundle::parse(&b).unwrap();
    assert_eq!(parsed.credential.credential_subject["notes"], deep);
    let b4 = Bundle::parse(&read(&f.out.join("cred-4.json"))).unwrap();
    assert!(b4.credential.credential_subject["notes"].contains("<script>"));
    // A claim over 1 MiB is refused at issuance, naming the cell.
    let too_big = format!("h-2,Hostile,,,\"{}A\",1,x,\n", big);
    let e = issuer::read_rows(format!("{}{too_big}", csv()).as_bytes()).unwrap_err().to_string();
    assert!(e.contains("row 6, column name"), "{e}");
    // Deeply nested bundle JSON is refused by the parser, not a stack overflow.
    let nested = format!("{}{}", "{\"a\":".repeat(100_000), "}".repeat(100_000));
    assert_eq!(failed(&check(nested.as_bytes(), None)), "format");
}

#[test]
fn bad_csv_is_refused_with_row_and_column() {
    for (csv, want) in [
        ("name\nx\n", "needs columns 'id' and 'type'"),
        ("id,type\na,T\na,T\n", "row 3, column id"),
        ("id,type\n../x,T\n", "row 2, column id"),
        ("id,type,valid_from\na,T,yesterday\n", "row 2, column valid_from"),
        ("id,type,valid_from,valid_until\na,T,2026-01-02,2026-01-01\n", "is after valid_until"),
        ("id,type\n", "no rows"),
    ] {
        let e = issuer::read_rows(csv.as_bytes()).unwrap_err().to_string();
        assert!(e.contains(want), "{csv:?}: {e}");
    }
    assert!(parse_time("2026-01-01T00:00:00Z").is_ok());
}

/// A batch interrupted before its entries are committed (the append stops as a crash would)
/// keeps its ids reserved: another batch cannot issue them; the same batch, re-run, finishes
/// with exactly one entry per credential and its status list last.
#[test]
fn an_interrupted_batch_reserves_its_ids_and_a_rerun_finishes_it() {
    let t = tempfile::tempdir().unwrap();
    let (log, out) = (t.path().join("log"), t.path().join("bundles"));
    drop(tlog::Log::init(&log, key()).unwrap());
    let rows = || issuer::read_rows(csv().as_bytes()).unwrap();
    let batch = || issuer::Batch { rows: rows(), input: issuer::sha256_hex(csv().as_bytes()) };
    let mut l = issuer::open_log(&log, key(), &mut || {}).unwrap();
    l.stop_after(tlog::Step::Synced);
    let e = issuer::issue(&mut l, &key(), batch(), &out, NOW, issuer::Witnessing::default(), &mut |_, _| {});
    assert!(e.is_err(), "the test hook stops the append");
    drop(l);
    assert_eq!(size(&log), 0, "nothing was committed");
    // Another batch with one of the same ids, into another OUT: refused, nothing appended.
    let other = "id,type,name\ncred-2,RegisterEntry,Someone Else\n";
    let mut l = issuer::open_log(&log, key(), &mut || {}).unwrap();
    let b = issuer::Batch {
        rows: issuer::read_rows(other.as_bytes()).unwrap(),
        input: issuer::sha256_hex(other.as_bytes()),
    };
    let e = issuer::issue(
        &mut l,
        &key(),
        b,
        &t.path().join("other"),
        NOW,
        issuer::Witnessing::default(),
        &mut |_, _| {},
    )
    .unwrap_err();
    assert!(e.to_string().contains("reserved by an unfinished issuance"), "{e}");
    assert_eq!(l.checkpoint().size, 0);
    // The same batch again: finished.
    let done =
        issuer::issue(&mut l, &key(), batch(), &out, NOW, issuer::Witnessing::default(), &mut |_, _| {})
            .unwrap();
    let issuer::IssueOutcome::Done(s) = done else { panic!("not done") };
    assert_eq!(s.issued as usize, rows().len());
    assert_eq!(
        l.checkpoint().size,
        rows().len() as u64 + 1,
        "one entry per credential, then the status list"
    );
    drop(l);
    for id in ["cred-1", "cred-2", "cred-4"] {
        let r = check(&read(&out.join(format!("{id}.json"))), Some(&log));
        assert!(r.verified, "{id}: {r:#?}");
    }
    assert!(
        !std::fs::read_to_string(log.join("status/pending")).unwrap_or_default().contains(' '),
        "no reservation left"
    );
}

fn size(log: &std::path::Path) -> u64 {
    std::fs::read_to_string(log.join("checkpoint")).unwrap().lines().nth(1).unwrap().parse().unwrap()
}

#[test]
fn a_rolled_back_or_forked_log_fails_revocation_with_a_typed_finding() {
    use verifier::{Finding, StatusCheck, StatusEvidence, Verdict};
    let f = issue_fixture("");
    let snapshot = |log: &Path| {
        (
            read(&log.join("checkpoint")),
            read(&log.join(verifier::STATUS_LIST_PATH)),
            read(&log.join(verifier::STATUS_PROOF_PATH)),
        )
    };
    let old = snapshot(&f.log);
    // A second batch grows the log.
    let out2 = f.log.parent().unwrap().join("bundles2");
    let mut l = issuer::open_log(&f.log, key(), &mut || {}).unwrap();
    let rows = issuer::read_rows(
        b"id,type,valid_from,valid_until,name\ncred-9,RegisterEntry,2024-01-01,,Dr Nine\n".as_slice(),
    )
    .unwrap();
    let batch = issuer::Batch { rows, input: issuer::sha256_hex(b"second") };
    let done =
        issuer::issue(&mut l, &key(), batch, &out2, NOW, issuer::Witnessing::default(), &mut |_, _| {});
    assert!(matches!(done.unwrap(), issuer::IssueOutcome::Done(_)));
    drop(l);
    let verify =
        |bundle: &[u8], e: &StatusEvidence| check_bundle(bundle, &trust(), NOW, StatusCheck::Evidence(e)).0;
    // The log shown is the old one, smaller than the new bundle's tree: a rollback.
    let rolled_back = StatusEvidence {
        latest_checkpoint: old.0,
        list: old.1,
        list_proof: old.2,
        consistency: Some(Vec::new()),
    };
    let r = verify(&read(&out2.join("cred-9.json")), &rolled_back);
    let fail = r.failure().unwrap();
    assert_eq!((failed(&r), fail.finding), ("revocation", Some(Finding::Rollback)), "{r:#?}");
    assert_eq!(r.verdict(), Verdict::Invalid);
    // The current log, with a consistency proof that does not join the old bundle's tree: a fork.
    let old_bundle = read(&f.out.join("cred-1.json"));
    let mut e = issuer::status_evidence(&tlog::DirFetch(f.log.clone()), &Bundle::parse(&old_bundle).unwrap())
        .unwrap();
    assert!(verify(&old_bundle, &e).verified);
    let proof = e.consistency.as_mut().unwrap();
    assert!(!proof.is_empty());
    proof[0] = verifier::leaf_hash(b"another history");
    let r = verify(&old_bundle, &e);
    assert_eq!((failed(&r), r.failure().unwrap().finding), ("revocation", Some(Finding::Fork)), "{r:#?}");
    assert_eq!(r.verdict(), Verdict::Invalid);
}

/// Issue 15: a verifier that cannot reach the issuer's log (offline) checks everything else
/// locally and says, typed, that revocation was not checked and when it last saw the log; the
/// verdict is never valid, and never reads as "not revoked", even for a credential the last
/// checkpoint seen shows revoked.
#[test]
fn an_unreachable_log_is_not_checked_and_says_when_it_was_last_seen() {
    let f = issue_fixture("");
    let seen = read(&f.log.join("checkpoint"));
    let size = verifier::parse_checkpoint(&verifier::parse_note(&seen).unwrap().text).unwrap().size;
    let offline = |id: &str, last_seen: Option<&[u8]>, seen_at: Option<i64>| {
        let b = read(&f.out.join(format!("{id}.json")));
        let why = "could not reach https://register.example.org/log/checkpoint";
        check_bundle(&b, &trust(), NOW, verifier::StatusCheck::Unreachable { why, last_seen, seen_at }).0
    };
    let r = offline("cred-1", Some(&seen), Some(NOW - 3600));
    assert!(!r.verified);
    assert_eq!(r.verdict(), verifier::Verdict::Unchecked);
    // Every local check ran and passed; revocation alone could not be checked.
    for s in &r.steps {
        let want = if s.check == verifier::Check::Revocation { Outcome::Unchecked } else { Outcome::Pass };
        assert!(s.outcome == want || s.check == verifier::Check::WitnessQuorum, "{s:?}");
    }
    let rev = r.failure().unwrap();
    assert_eq!((rev.check, rev.finding), (verifier::Check::Revocation, Some(verifier::Finding::Offline)));
    assert_eq!(
        rev.detail,
        format!(
            "not checked — offline (could not reach https://register.example.org/log/checkpoint); \
             issuer log last seen at 2026-11-18T10:06:40Z (size {size}); reconnect to check revocation"
        )
    );
    // Never seen; seen at an unknown time; a remembered checkpoint that does not verify.
    assert!(
        offline("cred-1", None, None).failure().unwrap().detail.contains("has not seen the issuer's log")
    );
    assert!(offline("cred-1", Some(&seen), None).failure().unwrap().detail.contains("at an unknown time"));
    let mut forged = seen.clone();
    forged[0] ^= 1;
    let d = offline("cred-1", Some(&forged), Some(NOW)).failure().unwrap().detail.clone();
    assert!(d.contains("does not verify and was ignored") && !d.contains("size"), "{d}");
    // Revoked after the checkpoint this verifier saw: offline it is "not checked", never
    // "not revoked", and not valid.
    let mut l = issuer::open_log(&f.log, key(), &mut || {}).unwrap();
    assert!(matches!(issuer::revoke(&mut l, &key(), "cred-2", NOW).unwrap(), issuer::Revoked::Now(_)));
    drop(l);
    let r = offline("cred-2", Some(&seen), Some(NOW));
    assert_eq!(r.verdict(), verifier::Verdict::Unchecked);
    assert!(r.steps.iter().all(|s| !s.detail.contains("not revoked")), "{r:#?}");
    assert_eq!(check(&read(&f.out.join("cred-2.json")), Some(&f.log)).verdict(), verifier::Verdict::Revoked);
}
