//! Issue 12 regressions, credential side: revocation fails closed, witnessed issuance hands out
//! bundles its own policy accepts, issuance refuses bad output before the log grows, roles
//! are kept apart, and revocation is idempotent.

use std::path::Path;
use std::process::Output;

mod witnessed;
use witnessed::{code, issuer_with_witness, ok, ok_owned, run, witnessed_issue};

mod util;
use util::copy_dir;

fn log_size(dir: &Path) -> u64 {
    let text = std::fs::read_to_string(dir.join("checkpoint")).expect("checkpoint");
    text.lines().nth(1).expect("size line").parse().expect("size")
}

/// Issuer `gmc` with log `log`, witness `w1`, policy `policy`, 40 credentials issued under the
/// policy with the local witness, and one revoked. Returns (valid id, revoked id).
fn witnessed_issuer(d: &Path) -> (String, String) {
    issuer_with_witness(d);
    ok(d, &["synth", "registrants", "--rows", "40", "--seed", "3", "--out", "reg.csv"]);
    ok_owned(d, &witnessed_issue("reg.csv", "bundles"));
    let ids: Vec<String> = std::fs::read_to_string(d.join("reg.csv"))
        .expect("csv")
        .lines()
        .skip(1)
        .filter(|l| l.split(',').nth(3).is_some_and(|u| u.is_empty() || u > "2030"))
        .filter(|l| l.split(',').nth(2).is_none_or(|f| f.is_empty() || f < "2025"))
        .map(|l| l.split(',').next().expect("id").to_owned())
        .collect();
    assert!(ids.len() >= 2, "need two currently valid credentials");
    ok(
        d,
        &[
            "revoke",
            "--log",
            "log",
            "--key",
            "gmc.key",
            "--id",
            &ids[1],
            "--witness-key",
            "w1.key",
            "--witness-state",
            "w1-state",
        ],
    );
    (ids[0].clone(), ids[1].clone())
}

#[test]
fn every_issued_bundle_verifies_under_the_issuers_witness_policy() {
    let t = tempfile::tempdir().expect("tempdir");
    let d = t.path();
    let (valid, revoked) = witnessed_issuer(d);
    let verify = |file: &str| -> Output {
        run(d, &["verify", file, "--policy", "policy", "--log", "log", "--at", "2026-06-01"])
    };
    let mut files: Vec<String> = std::fs::read_dir(d.join("bundles"))
        .expect("bundles")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json") && !n.starts_with('.'))
        .collect();
    files.sort();
    assert_eq!(files.len(), 40);
    assert_eq!(verify(&format!("bundles/{valid}.json")).status.code(), Some(0));
    let o = verify(&format!("bundles/{revoked}.json"));
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stdout).contains("REVOKED"));
    // A second batch, then the witness cosigns again: the first batch's credentials still
    // verify (the status proof need not carry the newest cosignature to prove the list current).
    ok(d, &["synth", "registrants", "--rows", "5", "--seed", "99", "--out", "reg2.csv"]);
    let csv2 = std::fs::read_to_string(d.join("reg2.csv")).expect("csv").replace("cred-", "second-");
    std::fs::write(d.join("reg2.csv"), csv2).expect("csv");
    ok_owned(d, &witnessed_issue("reg2.csv", "bundles2"));
    ok(
        d,
        &["witness", "cosign", "--key", "w1.key", "--log", "log", "--vkey", "gmc.pub", "--state", "w1-state"],
    );
    for f in files.iter().filter(|f| **f != format!("{revoked}.json")) {
        let o = verify(&format!("bundles/{f}"));
        let out = String::from_utf8_lossy(&o.stdout);
        // Some synthetic credentials are expired or not yet valid: those fail only at validity.
        assert!(
            o.status.code() == Some(0) || (out.contains("FAIL validity") && out.contains("ok   revocation")),
            "{f}: {out}\n{}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
}

#[test]
fn issue_under_a_policy_waits_for_witnesses_and_a_rerun_finishes() {
    let t = tempfile::tempdir().expect("tempdir");
    let d = t.path();
    issuer_with_witness(d);
    ok(d, &["synth", "registrants", "--rows", "10", "--seed", "5", "--out", "reg.csv"]);
    let issue = [
        "issue", "--log", "log", "--key", "gmc.key", "--input", "reg.csv", "--out", "b", "--policy", "policy",
    ];
    code(d, &issue, 3, "does not meet the witness policy");
    let bundles = || {
        std::fs::read_dir(d.join("b"))
            .expect("b")
            .filter_map(|e| e.ok())
            .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
            .count()
    };
    assert_eq!(bundles(), 0, "no bundle is handed out before the quorum is met");
    let size = log_size(&d.join("log"));
    // Re-running before the witness changes nothing and still waits.
    code(d, &issue, 3, "does not meet the witness policy");
    assert_eq!(log_size(&d.join("log")), size, "a re-run never appends the batch twice");
    ok(
        d,
        &["witness", "cosign", "--key", "w1.key", "--log", "log", "--vkey", "gmc.pub", "--state", "w1-state"],
    );
    code(d, &issue, 0, "issued 10 credentials");
    assert_eq!(bundles(), 10);
    assert_eq!(log_size(&d.join("log")), size);
    let first = std::fs::read_to_string(d.join("reg.csv")).expect("csv");
    let id = first.lines().nth(1).and_then(|l| l.split(',').next()).expect("id").to_owned();
    let b = format!("b/{id}.json");
    code(d, &["verify", &b, "--policy", "policy", "--log", "log", "--at", "2026-06-01"], 0, "witness-quorum");
    // Once finished, the same command is a no-op that says so.
    code(d, &issue, 0, "already issued");
    assert_eq!(log_size(&d.join("log")), size);
    // A deleted bundle is written again by the same command.
    std::fs::remove_file(d.join(&b)).expect("rm");
    code(d, &issue, 0, "already issued");
    assert!(d.join(&b).is_file());
    // The journal holds salts: private.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode =
            std::fs::metadata(d.join("b/.ledgerless-issue.json")).expect("journal").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

#[test]
fn revocation_fails_closed_when_the_log_cannot_be_read() {
    let t = tempfile::tempdir().expect("tempdir");
    let d = t.path();
    let (valid, revoked) = witnessed_issuer(d);
    let rev = format!("bundles/{revoked}.json");
    let val = format!("bundles/{valid}.json");
    let at = ["--at", "2026-06-01"];
    let v = |file: &str, extra: &[&str]| {
        let mut a = vec!["verify", file, "--policy", "policy"];
        a.extend_from_slice(&at);
        a.extend_from_slice(extra);
        a.into_iter().map(String::from).collect::<Vec<_>>()
    };
    let call = |a: Vec<String>, want: i32, has: &str| {
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        code(d, &a, want, has)
    };
    // Reachable log: revoked is revoked, valid is valid.
    call(v(&rev, &["--log", "log"]), 1, "revoked");
    // The answer says how current it is: when a witness last cosigned the log.
    call(v(&val, &["--log", "log"]), 0, "; log witnessed at 20");
    // Unreachable, missing, or another issuer's log: never VALID.
    for log in ["http://127.0.0.1:1/", "no-such-dir"] {
        let out = call(v(&rev, &["--log", log]), 1, "revocation");
        assert!(out.contains("NOT VERIFIED") && !out.contains("\nverified"), "{out}");
        assert!(out.contains("UNCHECKED"), "{out}");
        call(v(&val, &["--log", log]), 1, "could not check revocation");
    }
    ok(d, &["keygen", "--name", "other.example.org/register", "--out", "other"]);
    ok(d, &["log", "init", "otherlog", "--key", "other.key"]);
    ok(d, &["synth", "registrants", "--rows", "3", "--seed", "8", "--out", "o.csv"]);
    ok(d, &["issue", "--log", "otherlog", "--key", "other.key", "--input", "o.csv", "--out", "ob"]);
    // The valid credential against another issuer's log: the log's checkpoint is not its issuer's.
    call(v(&val, &["--log", "otherlog"]), 1, "revocation: the log's current checkpoint");
    // Any one status file removed: the step names what is missing.
    for f in ["status/revocation.json", "status/revocation.tlog-proof", "checkpoint"] {
        let copy = format!("log-without-{}", f.replace('/', "-"));
        copy_dir(&d.join("log"), &d.join(&copy));
        std::fs::remove_file(d.join(&copy).join(f)).expect("rm");
        let missing = format!("{copy}/{f} not found");
        call(v(&rev, &["--log", &copy]), 1, &missing);
        let out = call(v(&val, &["--log", &copy]), 1, &missing);
        assert!(out.contains("UNCHECKED revocation"), "{out}");
    }
    // Offline only when asked for, and it says so.
    let out = call(v(&rev, &["--offline"]), 0, "not checked");
    assert!(out.contains("verified offline"), "{out}");
    // A trust list with a relative log: resolved against the trust file, from any directory.
    std::fs::create_dir_all(d.join("site")).expect("site");
    copy_dir(&d.join("log"), &d.join("site/log"));
    let trust = serde_json::json!({"issuers": [{
        "name": "GMC", "vkey": std::fs::read_to_string(d.join("gmc.pub")).expect("pub").trim(),
        "log": "log", "policy": std::fs::read_to_string(d.join("policy")).expect("policy"),
    }]});
    std::fs::write(d.join("site/trust.json"), serde_json::to_vec(&trust).expect("json")).expect("trust");
    code(d, &["verify", &rev, "--trust", "site/trust.json", "--at", "2026-06-01"], 1, "revoked");
    code(
        &d.join("site"),
        &["verify", &format!("../{rev}"), "--trust", "trust.json", "--at", "2026-06-01"],
        1,
        "revoked",
    );
    code(d, &["verify", &val, "--trust", "site/trust.json", "--at", "2026-06-01"], 0, "not revoked");
    // The trust list's log unreachable: not verified.
    std::fs::remove_dir_all(d.join("site/log/status")).expect("rm");
    code(
        d,
        &["verify", &val, "--trust", "site/trust.json", "--at", "2026-06-01"],
        1,
        "could not check revocation",
    );
    // --json says "unchecked" for the step.
    let out = call(v(&val, &["--log", "no-such-dir", "--json"]), 1, "");
    let j: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(j["verified"], false);
    let steps = j["bundles"][0]["steps"].as_array().expect("steps");
    assert!(steps.iter().any(|s| s["check"] == "revocation" && s["outcome"] == "unchecked"), "{out}");
}

#[test]
fn keys_are_trusted_only_for_their_role() {
    let t = tempfile::tempdir().expect("tempdir");
    let d = t.path();
    let (valid, _) = witnessed_issuer(d);
    // The issuer's key listed as a *publisher* does not vouch for its credentials.
    let trust = serde_json::json!({"publishers": [{
        "name": "GMC", "vkey": std::fs::read_to_string(d.join("gmc.pub")).expect("pub").trim(),
    }]});
    std::fs::write(d.join("trust.json"), serde_json::to_vec(&trust).expect("json")).expect("trust");
    let b = format!("bundles/{valid}.json");
    code(
        d,
        &["verify", &b, "--trust", "trust.json", "--offline", "--at", "2026-06-01"],
        1,
        "not a trusted issuer",
    );
    // A release log is not a credential log.
    ok(d, &["keygen", "--name", "stats.example.org/releases", "--out", "pub"]);
    ok(d, &["log", "init", "publog", "--key", "pub.key"]);
    std::fs::write(d.join("entry.txt"), "a release manifest stands here\n").expect("entry");
    ok(d, &["log", "append", "publog", "--key", "pub.key", "entry.txt"]);
    code(
        d,
        &["issue", "--log", "publog", "--key", "pub.key", "--input", "reg.csv", "--out", "x"],
        2,
        "not a credential log",
    );
}

#[test]
fn issue_refuses_bad_output_and_oversized_rows_before_the_log_grows() {
    let t = tempfile::tempdir().expect("tempdir");
    let d = t.path();
    ok(d, &["keygen", "--name", "gmc.example.org/register", "--out", "gmc"]);
    ok(d, &["log", "init", "log", "--key", "gmc.key"]);
    ok(d, &["synth", "registrants", "--rows", "4", "--seed", "1", "--out", "reg.csv"]);
    std::fs::write(d.join("afile"), "x").expect("file");
    code(
        d,
        &["issue", "--log", "log", "--key", "gmc.key", "--input", "reg.csv", "--out", "afile"],
        2,
        "not a directory",
    );
    assert_eq!(log_size(&d.join("log")), 0);
    // A claim so large the bundle could never verify (8 MiB limit): 9 claims of 1 MiB.
    let mut csv = String::from("id,type");
    for i in 0..9 {
        csv.push_str(&format!(",c{i}"));
    }
    csv.push_str("\nbig,RegisterEntry");
    let mega = "x".repeat(1 << 20);
    for _ in 0..9 {
        csv.push(',');
        csv.push_str(&mega[..(1 << 20) - 10]);
    }
    csv.push('\n');
    std::fs::write(d.join("big.csv"), csv).expect("csv");
    code(
        d,
        &["issue", "--log", "log", "--key", "gmc.key", "--input", "big.csv", "--out", "bb"],
        2,
        "a verifier accepts",
    );
    assert_eq!(log_size(&d.join("log")), 0);
    // The id was not burned: the same id with a small claim is issued into the same log.
    std::fs::write(d.join("small.csv"), "id,type,c0\nbig,RegisterEntry,small\n").expect("csv");
    ok(d, &["issue", "--log", "log", "--key", "gmc.key", "--input", "small.csv", "--out", "bs"]);
    assert!(d.join("bs/big.json").is_file());
    // A normal issue of the same log works, and again is a no-op.
    ok(d, &["issue", "--log", "log", "--key", "gmc.key", "--input", "reg.csv", "--out", "b"]);
    code(
        d,
        &["issue", "--log", "log", "--key", "gmc.key", "--input", "reg.csv", "--out", "b"],
        0,
        "already issued",
    );
    // Another input into an OUT with a finished batch: its ids are new, so it is issued.
    // But an id already issued is refused, and nothing is appended.
    let size = log_size(&d.join("log"));
    code(
        d,
        &["issue", "--log", "log", "--key", "gmc.key", "--input", "reg.csv", "--out", "b2"],
        2,
        "never reused",
    );
    assert_eq!(log_size(&d.join("log")), size);
}

#[test]
fn revoking_twice_appends_once_and_keeps_the_reason_private() {
    let t = tempfile::tempdir().expect("tempdir");
    let d = t.path();
    let (_, revoked) = witnessed_issuer(d);
    let size = log_size(&d.join("log"));
    code(
        d,
        &["revoke", "--log", "log", "--key", "gmc.key", "--id", &revoked, "--reason", "second reason"],
        0,
        "already revoked",
    );
    assert_eq!(log_size(&d.join("log")), size);
    // The reason given again is recorded (a first run may have died before recording it).
    let record = std::fs::read_to_string(d.join("gmc.key.revocations")).expect("record");
    assert!(record.contains("second reason"), "{record}");
    code(d, &["revoke", "--log", "log", "--key", "gmc.key", "--id", "never-issued"], 2, "never issued");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(d.join("gmc.key.revocations")).expect("record").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

mod common;

#[test]
fn every_bundle_the_demo_issued_verifies_under_its_trust_list() {
    let Some(dist) = common::dist() else {
        common::skip_or_fail("dist/ is not built (trunk build --release)");
        return;
    };
    let t = tempfile::tempdir().expect("tempdir");
    let out = t.path().join("demo");
    common::build_demo(&dist, &out, "http://127.0.0.1:8080/");
    let mut files: Vec<String> = std::fs::read_dir(out.join("bundles"))
        .expect("bundles")
        .filter_map(|e| e.ok())
        .map(|e| format!("bundles/{}", e.file_name().to_string_lossy()))
        .filter(|n| n.ends_with(".json") && !n.contains("/."))
        .collect();
    files.sort();
    assert_eq!(files.len(), 300);
    // With revocation checked against the site's log (named, relatively, by trust.json).
    let mut args = vec!["verify", "--trust", "site/trust.json", "--json"];
    args.extend(files.iter().map(String::as_str));
    let o = run(&out, &args);
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let mut verdicts = std::collections::BTreeMap::<String, usize>::new();
    for r in j["bundles"].as_array().expect("bundles") {
        let steps = r["steps"].as_array().expect("steps");
        // Whatever the credential's dates or status, the proofs hold under the witness policy.
        for check in ["issuer", "checkpoint-signature", "witness-quorum", "inclusion", "claims"] {
            assert!(
                steps.iter().any(|s| s["check"] == check && s["outcome"] == "pass"),
                "{}: {check}: {r}",
                r["file"]
            );
        }
        let rev = steps.iter().find(|s| s["check"] == "revocation").expect("revocation step");
        let v = rev["outcome"].as_str().expect("outcome").to_owned();
        assert!(v == "pass" || rev["detail"].as_str().is_some_and(|d| d.starts_with("revoked")), "{r}");
        *verdicts.entry(v).or_default() += 1;
    }
    assert_eq!(verdicts.get("fail"), Some(&1), "exactly the one revoked credential: {verdicts:?}");
    assert_eq!(verdicts.get("pass"), Some(&299), "{verdicts:?}");
}

#[test]
fn a_credential_log_takes_only_issue_and_revoke_entries() {
    let t = tempfile::tempdir().expect("tempdir");
    let d = t.path();
    let (valid, _) = witnessed_issuer(d);
    let size = log_size(&d.join("log"));
    std::fs::write(d.join("note.txt"), "an unrelated entry\n").expect("note");
    code(d, &["log", "append", "log", "--key", "gmc.key", "note.txt"], 2, "is a credential log");
    assert_eq!(log_size(&d.join("log")), size);
    code(
        d,
        &[
            "verify",
            &format!("bundles/{valid}.json"),
            "--policy",
            "policy",
            "--log",
            "log",
            "--at",
            "2026-06-01",
        ],
        0,
        "not revoked",
    );
}

#[test]
fn ids_of_an_unfinished_batch_are_reserved_against_other_batches() {
    let t = tempfile::tempdir().expect("tempdir");
    let d = t.path();
    issuer_with_witness(d);
    std::fs::write(d.join("a.csv"), "id,type,name\nx1,RegisterEntry,A\nx2,RegisterEntry,B\n").expect("csv");
    std::fs::write(d.join("b.csv"), "id,type,name\nx2,RegisterEntry,C\n").expect("csv");
    // Batch A stops before its bundles (no witness yet): its ids are in the log.
    let a =
        ["issue", "--log", "log", "--key", "gmc.key", "--input", "a.csv", "--out", "a", "--policy", "policy"];
    code(d, &a, 3, "does not meet the witness policy");
    let size = log_size(&d.join("log"));
    // Batch B may not issue x2 again, into another OUT.
    code(d, &["issue", "--log", "log", "--key", "gmc.key", "--input", "b.csv", "--out", "b"], 2, "x2");
    assert_eq!(log_size(&d.join("log")), size);
    // A second `issue` into the same OUT while one runs is refused (OUT has its own lock).
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(d.join("a")).expect("out").permissions().mode();
        assert_eq!(mode & 0o777, 0o700, "OUT holds full bundles and salts");
    }
    ok(
        d,
        &["witness", "cosign", "--key", "w1.key", "--log", "log", "--vkey", "gmc.pub", "--state", "w1-state"],
    );
    code(d, &a, 0, "issued 2 credentials");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(d.join("a/x1.json")).expect("bundle").permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "a full bundle is private");
    }
    code(
        d,
        &["issue", "--log", "log", "--key", "gmc.key", "--input", "b.csv", "--out", "b"],
        2,
        "never reused",
    );
}
