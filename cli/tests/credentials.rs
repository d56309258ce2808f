//! `ledgerless synth registrants`, `issue`, `verify BUNDLE...`, `disclose`, `share`, `revoke`
//! end to end, with exit codes and the failing step on stderr.

use std::path::Path;
use std::process::{Command, Output};

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ledgerless"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run ledgerless")
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let o = run(dir, args);
    assert_eq!(o.status.code(), Some(0), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).expect("utf8")
}

fn fails(dir: &Path, args: &[&str], code: i32, stderr_has: &str) -> String {
    let o = run(dir, args);
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(o.status.code(), Some(code), "{args:?}: {err}");
    assert!(err.contains(stderr_has), "{args:?}: want {stderr_has:?} in {err}");
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Rows of the synthetic CSV: (id, type, name, valid_until).
fn rows(csv: &str) -> Vec<(String, String, String, String)> {
    csv.lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[0].to_owned(), f[1].to_owned(), f[4].to_owned(), f[3].to_owned())
        })
        .collect()
}

/// The text of the QR code in `image`, read by Debian's zbarimg; `None` if zbarimg is not
/// installed.
fn zbarimg(image: &Path) -> Option<String> {
    let zbar = Path::new("/usr/bin/zbarimg");
    if !zbar.exists() {
        return None;
    }
    let o = Command::new(zbar).args(["--quiet", "--raw"]).arg(image).output().expect("run zbarimg");
    assert!(
        o.status.success(),
        "zbarimg could not read {}: {}",
        image.display(),
        String::from_utf8_lossy(&o.stderr)
    );
    Some(String::from_utf8(o.stdout).expect("utf8").trim_end().to_owned())
}

/// Skips a check with a printed reason, or fails under `CI=true` (as the browser tests do).
fn skip_or_fail(why: &str) {
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("cannot run: {why}");
    }
    eprintln!("SKIPPED (not under CI=true): {why}");
}

#[test]
fn issue_verify_disclose_share_revoke() {
    let t = tempfile::tempdir().expect("tempdir");
    let d = t.path();
    ok(d, &["keygen", "--name", "gmc.example.org/register", "--out", "gmc"]);
    ok(d, &["log", "init", "log", "--key", "gmc.key"]);
    ok(d, &["synth", "registrants", "--rows", "300", "--seed", "42", "--out", "reg.csv"]);
    let again = tempfile::tempdir().expect("tempdir");
    ok(again.path(), &["synth", "registrants", "--rows", "300", "--seed", "42", "--out", "reg.csv"]);
    assert_eq!(
        std::fs::read(d.join("reg.csv")).expect("csv"),
        std::fs::read(again.path().join("reg.csv")).expect("csv")
    );
    ok(d, &["issue", "--log", "log", "--key", "gmc.key", "--input", "reg.csv", "--out", "bundles"]);
    let csv = std::fs::read_to_string(d.join("reg.csv")).expect("csv");
    let rs = rows(&csv);
    let names: Vec<String> = std::fs::read_dir(d.join("bundles"))
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    // 300 bundles and the finished batch's journal (private, 0600), nothing half-written.
    assert_eq!(names.iter().filter(|n| n.ends_with(".json") && !n.starts_with('.')).count(), 300);
    let mut dotfiles: Vec<&String> = names.iter().filter(|n| n.starts_with('.')).collect();
    dotfiles.sort();
    assert_eq!(dotfiles, [".ledgerless-issue.json", ".lock"]);

    // A valid register entry, checked at a fixed time inside its window.
    let valid = |r: &&(String, String, String, String)| r.3.is_empty() || r.3.as_str() > "2027";
    let (id, _, name, _) =
        rs.iter().filter(valid).find(|r| r.1 == "RegisterEntry").expect("a register entry");
    let b = format!("bundles/{id}.json");
    let at = ["--at", "2026-11-21"];
    let out = ok(d, &[&["verify", &b, "--vkey", "gmc.pub", "--log", "log"][..], &at].concat());
    assert!(out.contains("VALID") && out.ends_with("verified\n"), "{out}");
    let json = ok(d, &[&["verify", &b, "--vkey", "gmc.pub", "--log", "log", "--json"][..], &at].concat());
    let v: serde_json::Value = serde_json::from_str(&json).expect("json");
    assert_eq!(v["bundles"][0]["summary"]["claims"]["name"], name.as_str());
    // Offline, the report says revocation was not checked.
    let out = ok(d, &[&["verify", &b, "--vkey", "gmc.pub"][..], &at].concat());
    assert!(out.contains("skip revocation") && out.contains("not checked"), "{out}");
    // Expired at a later time; untrusted with another key.
    fails(d, &["verify", &b, "--vkey", "gmc.pub", "--at", "2099-01-01"], 1, "validity: expired");
    ok(d, &["keygen", "--name", "gmc.example.org/register", "--out", "impostor"]);
    fails(
        d,
        &[&["verify", &b, "--vkey", "impostor.pub"][..], &at].concat(),
        1,
        "checkpoint-signature: no signature by",
    );

    // Disclose two claims: the name is gone, it still verifies; asking for a missing claim fails.
    ok(d, &["disclose", &b, "--claims", "profession,status", "--out", "small.json"]);
    let small = std::fs::read_to_string(d.join("small.json")).expect("small");
    assert!(!small.contains(name.as_str()), "the name leaked into the disclosed bundle");
    ok(d, &[&["verify", "small.json", "--vkey", "gmc.pub", "--log", "log"][..], &at].concat());
    fails(
        d,
        &["disclose", &b, "--claims", "shoe_size", "--out", "x.json"],
        2,
        "no claim named \"shoe_size\"",
    );

    // Share: a compact link carrying the bundle in the fragment, and a QR code holding it in
    // digits; both verify with `verify --link`, as does the older JSON form.
    let site = "https://verify.example.org/";
    let link = ok(d, &["share", "small.json", "--site", site, "--qr", "small.svg"]);
    assert!(link.starts_with("https://verify.example.org/#c1u="), "{link}");
    assert!(std::fs::read_to_string(d.join("small.svg")).expect("svg").starts_with("<?xml"));
    let verify_link = |l: &str| {
        let out =
            ok(d, &[&["verify", "--link", l.trim(), "--vkey", "gmc.pub", "--log", "log"][..], &at].concat());
        assert!(out.contains("link 1 — VALID") && out.ends_with("verified\n"), "{out}");
    };
    verify_link(&link);
    verify_link(&ok(d, &["share", "small.json", "--site", site, "--form", "json"]));
    // An independent decoder (zbar) reads the QR code `share --qr` wrote: the link with the
    // bundle in digits, which verifies.
    match zbarimg(&d.join("small.svg")) {
        Some(text) => {
            assert!(text.starts_with("https://verify.example.org/#c1="), "{text}");
            verify_link(&text);
        }
        None => skip_or_fail("zbarimg (Debian zbar-tools) is not installed"),
    }
    // Every bundle issued, and every disclosure of two claims, round-trips through the
    // compact form exactly.
    let mut paths: Vec<std::path::PathBuf> = names
        .iter()
        .filter(|n| n.ends_with(".json") && !n.starts_with('.'))
        .map(|n| d.join("bundles").join(n))
        .collect();
    paths.push(d.join("small.json"));
    for path in &paths {
        let b = verifier::Bundle::parse(&std::fs::read(path).expect("bundle")).expect("parses");
        let text = verifier::write::encode_compact_text(&b).expect("compact");
        assert_eq!(verifier::decode_compact_text(&text).expect("decodes"), b, "{}", path.display());
    }

    // A portfolio: the same person's credentials verify together; another person is flagged.
    let same: Vec<String> =
        rs.iter().filter(valid).filter(|r| r.2 == *name).map(|r| format!("bundles/{}.json", r.0)).collect();
    let other = rs.iter().filter(valid).find(|r| r.2 != *name).expect("another person");
    let mut args: Vec<&str> = vec!["verify", "--vkey", "gmc.pub", "--log", "log", "--at", "2026-11-21"];
    args.extend(same.iter().map(String::as_str));
    let out = ok(d, &args);
    assert!(out.contains(&format!("portfolio: {n} of {n} verified", n = same.len())), "{out}");
    let other_b = format!("bundles/{}.json", other.0);
    args.push(&other_b);
    let o = run(d, &args);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("do not all name the same person"), "{err}");

    // Revoke: that credential fails with "revoked"; another is unaffected; unknown ids refused.
    ok(
        d,
        &["revoke", "--log", "log", "--key", "gmc.key", "--id", id, "--reason", "erased from the register"],
    );
    fails(
        d,
        &[&["verify", &b, "--vkey", "gmc.pub", "--log", "log"][..], &at].concat(),
        1,
        "revocation: revoked",
    );
    let o = run(d, &[&["verify", &b, "--vkey", "gmc.pub", "--log", "log"][..], &at].concat());
    assert!(String::from_utf8_lossy(&o.stdout).contains("REVOKED"));
    ok(d, &[&["verify", &other_b, "--vkey", "gmc.pub", "--log", "log"][..], &at].concat());
    fails(d, &["revoke", "--log", "log", "--key", "gmc.key", "--id", "nobody"], 2, "never issued");
    assert!(
        std::fs::read_to_string(d.join("gmc.key.revocations"))
            .expect("record")
            .contains("erased from the register")
    );
    // The reason is not in anything the log serves.
    let served = String::from_utf8_lossy(&std::fs::read(d.join("log/status/revocation.json")).expect("list"))
        .into_owned();
    assert!(!served.contains("erased"));

    // Re-issuing an id, or overwriting a bundle, is refused before anything is written.
    let before = std::fs::read(d.join("log/checkpoint")).expect("checkpoint");
    fails(
        d,
        &["issue", "--log", "log", "--key", "gmc.key", "--input", "reg.csv", "--out", "bundles2"],
        2,
        "already issued",
    );
    assert_eq!(std::fs::read(d.join("log/checkpoint")).expect("checkpoint"), before);
    // A tampered bundle: one claim value changed.
    let tampered =
        std::fs::read_to_string(d.join(&b)).expect("bundle").replacen("registered", "Registered", 1);
    std::fs::write(d.join("tampered.json"), tampered).expect("write");
    fails(
        d,
        &[&["verify", "tampered.json", "--vkey", "gmc.pub"][..], &at].concat(),
        1,
        "claims: disclosed claims do not match",
    );
}

#[test]
fn portfolio_across_issuers_with_a_trust_list() {
    let t = tempfile::tempdir().expect("tempdir");
    let d = t.path();
    for (name, key) in [("gmc.example.org/register", "gmc"), ("rcp.example.org/exams", "rcp")] {
        ok(d, &["keygen", "--name", name, "--out", key]);
        ok(d, &["log", "init", &format!("{key}-log"), "--key", &format!("{key}.key")]);
    }
    std::fs::write(
        d.join("gmc.csv"),
        "id,type,valid_from,name,register_number\ng-1,RegisterEntry,2020-01-01,Dr Wing Wong,3523225\n",
    )
    .expect("csv");
    std::fs::write(d.join("rcp.csv"), "id,type,valid_from,name,qualification\nr-1,PostgraduateQualification,2019-06-01,Dr  wing WONG,MRCP(UK)\nr-2,PostgraduateQualification,2019-06-01,Dr Other Person,MRCP(UK)\n").expect("csv");
    ok(d, &["issue", "--log", "gmc-log", "--key", "gmc.key", "--input", "gmc.csv", "--out", "b"]);
    ok(d, &["issue", "--log", "rcp-log", "--key", "rcp.key", "--input", "rcp.csv", "--out", "b"]);
    let pubkey =
        |k: &str| std::fs::read_to_string(d.join(format!("{k}.pub"))).expect("pub").trim().to_owned();
    let trust = serde_json::json!({"issuers": [
        {"name": "General Medical Council (example)", "vkey": pubkey("gmc"), "log": d.join("gmc-log")},
        {"name": "Royal College of Physicians (example)", "vkey": pubkey("rcp"), "log": d.join("rcp-log")},
    ]});
    std::fs::write(d.join("trust.json"), trust.to_string()).expect("trust");
    let out = ok(d, &["verify", "b/g-1.json", "b/r-1.json", "--trust", "trust.json", "--at", "2026-11-21"]);
    assert!(out.contains("portfolio: 2 of 2 verified"), "{out}");
    assert!(out.contains("issued by Royal College of Physicians (example)"), "{out}");
    assert!(
        !out.contains("not checked"),
        "revocation should be checked through the trust list's logs: {out}"
    );
    // One subject despite spacing and case; a third bundle naming someone else is flagged.
    let o = run(
        d,
        &[
            "verify",
            "b/g-1.json",
            "b/r-1.json",
            "b/r-2.json",
            "--trust",
            "trust.json",
            "--at",
            "2026-11-21",
            "--json",
        ],
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["subjects"].as_object().expect("subjects").len(), 2);
    assert!(String::from_utf8_lossy(&o.stderr).contains("do not all name the same person"));
    // An issuer missing from the trust list is untrusted.
    let only_gmc = serde_json::json!({"issuers": [{"name": "GMC", "vkey": pubkey("gmc")}]});
    std::fs::write(d.join("gmc-only.json"), only_gmc.to_string()).expect("trust");
    let out = fails(
        d,
        &["verify", "b/r-1.json", "--trust", "gmc-only.json", "--at", "2026-11-21"],
        1,
        "issuer: rcp.example.org/exams is not a trusted issuer",
    );
    assert!(out.contains("UNTRUSTED ISSUER"), "{out}");
}
