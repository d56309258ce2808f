//! `publish`, `verify RELEASEDIR`, `prove-row` and row-proof verification: every changed byte,
//! renamed, dropped or added file is caught and named; untrusted publishers and manifests not in
//! the log are refused.
#![allow(clippy::unwrap_used)] // test helpers: a panic is the test failing

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod util;
use util::copy_dir;

fn ledgerless(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ledgerless")).args(args).output().expect("run ledgerless")
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn ok(o: &Output) {
    assert!(o.status.success(), "exit {:?}\n{}", o.status.code(), text(o));
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A published release of 10,000 synthetic patients; returns (release dir, log dir, vkey).
fn published(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let input = dir.join("patients.csv");
    ok(&ledgerless(&["synth", "patients", "--rows", "10000", "--seed", "5", "--out", s(&input)]));
    let policy = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/patients/policy.toml");
    let rel = dir.join("release");
    ok(&ledgerless(&["anonymise", "--input", s(&input), "--policy", s(&policy), "--out", s(&rel), "-q"]));
    let prefix = dir.join("publisher");
    ok(&ledgerless(&["keygen", "--name", "stats.example.nhs.uk/releases", "--out", s(&prefix)]));
    let log = dir.join("log");
    ok(&ledgerless(&["log", "init", s(&log), "--key", s(&prefix.with_extension("key"))]));
    ok(&ledgerless(&["publish", s(&rel), "--log", s(&log), "--key", s(&prefix.with_extension("key"))]));
    (rel, log, prefix.with_extension("pub"))
}

#[test]
fn tampering_is_caught_and_named() {
    let tmp = tempfile::tempdir().unwrap();
    let (rel, log, vkey) = published(tmp.path());
    let verify = |dir: &Path| ledgerless(&["verify", s(dir), "--vkey", s(&vkey), "--log", s(&log)]);
    let o = verify(&rel);
    ok(&o);
    assert!(
        text(&o).contains("RELEASE VERIFIED") && text(&o).contains("microdata.parquet: verified"),
        "{}",
        text(&o)
    );
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(rel.join("manifest.json")).unwrap()).unwrap();
    let files: Vec<String> = manifest["relatedResource"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().into())
        .collect();
    assert_eq!(files.len(), 6, "{files:?}");
    // One changed byte in every file, at its start, middle and end.
    for (i, f) in files.iter().enumerate() {
        let bytes = std::fs::read(rel.join(f)).unwrap();
        for at in [0, bytes.len() / 2, bytes.len() - 1] {
            let copy = tmp.path().join(format!("t-{i}-{at}"));
            copy_dir(&rel, &copy);
            let mut b = bytes.clone();
            b[at] ^= 0x01;
            std::fs::write(copy.join(f), &b).unwrap();
            let o = verify(&copy);
            assert_eq!(o.status.code(), Some(1), "{f} byte {at}: {}", text(&o));
            assert!(text(&o).contains(&format!("{f}: altered")), "{f} byte {at}: {}", text(&o));
            std::fs::remove_dir_all(&copy).unwrap();
        }
    }
    // Renamed, dropped and added files.
    let copy = tmp.path().join("renamed");
    copy_dir(&rel, &copy);
    std::fs::rename(copy.join("microdata.csv"), copy.join("microdata-v2.csv")).unwrap();
    let o = verify(&copy);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o).contains("microdata.csv: missing") && text(&o).contains("microdata-v2.csv: extra"),
        "{}",
        text(&o)
    );
    let copy = tmp.path().join("dropped");
    copy_dir(&rel, &copy);
    std::fs::remove_file(copy.join("tables/admissions_by_region_age_sex.csv")).unwrap();
    let o = verify(&copy);
    assert!(text(&o).contains("tables/admissions_by_region_age_sex.csv: missing"), "{}", text(&o));
    let copy = tmp.path().join("added");
    copy_dir(&rel, &copy);
    std::fs::write(copy.join("tables/extra.csv"), "a,count\nx,10\n").unwrap();
    let o = verify(&copy);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("tables/extra.csv: extra"), "{}", text(&o));
}

#[test]
fn untrusted_or_unlogged_releases_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let (rel, _log, vkey) = published(tmp.path());
    // Another key with the same name.
    let other = tmp.path().join("other");
    ok(&ledgerless(&["keygen", "--name", "stats.example.nhs.uk/releases", "--out", s(&other)]));
    let o = ledgerless(&["verify", s(&rel), "--vkey", s(&other.with_extension("pub"))]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("FAIL checkpoint-signature"), "{}", text(&o));
    // A trust list naming the key only as a credential issuer, not a publisher.
    let vk = std::fs::read_to_string(&vkey).unwrap();
    let as_issuer = tmp.path().join("issuers.json");
    std::fs::write(
        &as_issuer,
        serde_json::json!({"issuers": [{"name": "Stats", "vkey": vk.trim()}]}).to_string(),
    )
    .unwrap();
    let o = ledgerless(&["verify", s(&rel), "--trust", s(&as_issuer)]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("is not a trusted publisher"), "{}", text(&o));
    let as_publisher = tmp.path().join("publishers.json");
    std::fs::write(
        &as_publisher,
        serde_json::json!({"publishers": [{"name": "NHS Statistics", "vkey": vk.trim()}]}).to_string(),
    )
    .unwrap();
    let o = ledgerless(&["verify", s(&rel), "--trust", s(&as_publisher)]);
    ok(&o);
    assert!(text(&o).contains("NHS Statistics"), "{}", text(&o));
    // A manifest edited after publishing (claims k = 50): not the entry in the log.
    let copy = tmp.path().join("edited");
    copy_dir(&rel, &copy);
    let b = std::fs::read_to_string(copy.join("manifest.bundle.json")).unwrap();
    let edited = b.replacen("\"achievedK\": 10", "\"achievedK\": 50", 1);
    assert_ne!(b, edited);
    std::fs::write(copy.join("manifest.bundle.json"), edited).unwrap();
    let o = ledgerless(&["verify", s(&copy), "--vkey", s(&vkey)]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("FAIL inclusion"), "{}", text(&o));
    // An unpublished directory is a usage error.
    let o = ledgerless(&["verify", s(tmp.path()), "--vkey", s(&vkey)]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    // Publishing twice is refused.
    let o = ledgerless(&[
        "publish",
        s(&rel),
        "--log",
        s(&tmp.path().join("log")),
        "--key",
        s(&tmp.path().join("publisher.key")),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("already published"), "{}", text(&o));
    // A file whose name a browser would read as something else (here `%2e%2e`) is refused.
    let odd = tmp.path().join("odd");
    copy_dir(&rel, &odd);
    std::fs::remove_file(odd.join("manifest.json")).unwrap();
    std::fs::remove_file(odd.join("manifest.bundle.json")).unwrap();
    std::fs::write(odd.join("tables/%2e%2e.csv"), "a\n1\n").unwrap();
    let o = ledgerless(&[
        "publish",
        s(&odd),
        "--log",
        s(&tmp.path().join("log")),
        "--key",
        s(&tmp.path().join("publisher.key")),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("rename it"), "{}", text(&o));
    assert!(!odd.join("manifest.json").exists(), "nothing written");
}

#[test]
fn row_proofs_verify_on_their_own_and_reject_edits() {
    let tmp = tempfile::tempdir().unwrap();
    let (rel, _log, vkey) = published(tmp.path());
    let proof = tmp.path().join("row.json");
    ok(&ledgerless(&[
        "prove-row",
        s(&rel),
        "--table",
        "admissions_by_region_age_sex",
        "--row",
        "4",
        "--out",
        s(&proof),
    ]));
    // On its own: the release directory is not needed.
    let moved = tmp.path().join("elsewhere.json");
    std::fs::rename(&proof, &moved).unwrap();
    std::fs::remove_dir_all(&rel).unwrap();
    let o = ledgerless(&["verify", s(&moved), "--vkey", s(&vkey)]);
    ok(&o);
    assert!(text(&o).contains("ok   row") && text(&o).contains("row 4"), "{}", text(&o));
    let original = std::fs::read_to_string(&moved).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&original).unwrap();
    // A changed figure, another row number, a row from another file: all refused at `row`.
    let count = v["values"].as_array().unwrap().len() - 1;
    for edit in 0..3 {
        let mut w = v.clone();
        match edit {
            0 => w["values"][count] = serde_json::json!("99999"),
            1 => w["row"] = serde_json::json!(5),
            _ => w["file"] = serde_json::json!("tables/admissions_by_ethnicity_diagnosis.csv"),
        }
        let f = tmp.path().join(format!("edit-{edit}.json"));
        std::fs::write(&f, w.to_string()).unwrap();
        let o = ledgerless(&["verify", s(&f), "--vkey", s(&vkey)]);
        assert_eq!(o.status.code(), Some(1), "edit {edit}: {}", text(&o));
        assert!(text(&o).contains("FAIL row"), "edit {edit}: {}", text(&o));
    }
    // A row past the end is refused when proving.
    v["row"] = serde_json::json!(0);
    let o = ledgerless(&["prove-row", s(tmp.path()), "--table", "x", "--row", "0"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
}

/// Serves `dir` on loopback with `ledgerless serve`; killed on drop.
struct Served(std::process::Child, String);
impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(dir: &Path) -> Served {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = Command::new(env!("CARGO_BIN_EXE_ledgerless"))
        .arg("serve")
        .arg(dir)
        .args(["--addr", &format!("127.0.0.1:{port}")])
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    Served(child, format!("http://127.0.0.1:{port}"))
}

#[test]
fn the_publishers_log_is_checked_over_http_and_a_fork_is_caught() {
    let tmp = tempfile::tempdir().unwrap();
    let (rel, log, vkey) = published(tmp.path());
    let key = tmp.path().join("publisher.key");
    // The log grows after the release was published (later entries).
    let later = tmp.path().join("later.txt");
    std::fs::write(&later, (0..40).map(|i| format!("later release {i}\n")).collect::<String>()).unwrap();
    ok(&ledgerless(&["log", "append", s(&log), "--key", s(&key), "--lines", "-q", s(&later)]));
    let served = serve(&log);
    let o = ledgerless(&["verify", s(&rel), "--vkey", s(&vkey), "--log", &served.1]);
    ok(&o);
    assert!(text(&o).contains("log: grown from size 1 to 41 without rewriting history"), "{}", text(&o));

    // A fork: another log under the same key, whose history does not contain the release's
    // checkpoint (same size reached with different entries).
    let fork = tmp.path().join("fork");
    ok(&ledgerless(&["log", "init", s(&fork), "--key", s(&key)]));
    std::fs::write(&later, (0..41).map(|i| format!("forked {i}\n")).collect::<String>()).unwrap();
    ok(&ledgerless(&["log", "append", s(&fork), "--key", s(&key), "--lines", "-q", s(&later)]));
    let forked = serve(&fork);
    let o = ledgerless(&["verify", s(&rel), "--vkey", s(&vkey), "--log", &forked.1]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("log history"), "{}", text(&o));
    // An unreachable log is reported, not skipped.
    drop(forked);
    let o = ledgerless(&["verify", s(&rel), "--vkey", s(&vkey), "--log", "http://127.0.0.1:9/"]);
    assert_ne!(o.status.code(), Some(0), "{}", text(&o));
}

/// A release made by `anonymise` (10,000 patients), not yet published; (release, log, key).
fn unpublished(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let input = dir.join("patients.csv");
    ok(&ledgerless(&["synth", "patients", "--rows", "10000", "--seed", "5", "--out", s(&input)]));
    let policy = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/patients/policy.toml");
    let rel = dir.join("release");
    ok(&ledgerless(&["anonymise", "--input", s(&input), "--policy", s(&policy), "--out", s(&rel), "-q"]));
    let prefix = dir.join("publisher");
    ok(&ledgerless(&["keygen", "--name", "stats.example.nhs.uk/releases", "--out", s(&prefix)]));
    let log = dir.join("log");
    ok(&ledgerless(&["log", "init", s(&log), "--key", s(&prefix.with_extension("key"))]));
    (rel, log, prefix.with_extension("key"))
}

#[test]
fn publish_recounts_and_refuses_a_report_the_data_does_not_bear_out() {
    let tmp = tempfile::tempdir().unwrap();
    let (rel, log, key) = unpublished(tmp.path());
    let report_text = std::fs::read_to_string(rel.join("report.json")).unwrap();
    let report: serde_json::Value = serde_json::from_str(&report_text).unwrap();
    let k = report["result"]["achieved_k"].as_u64().unwrap();
    let l = report["result"]["achieved_l"][0]["distinct_l"].as_u64().unwrap();
    let suppressed = report["result"]["records_suppressed"].as_u64().unwrap();
    let checkpoint = std::fs::read(log.join("checkpoint")).unwrap();
    let edits: [(&str, Edit<serde_json::Value>); 4] = [
        ("k = 50", Box::new(|r| r["result"]["achieved_k"] = serde_json::json!(50))),
        ("l = ", Box::new(move |r| r["result"]["achieved_l"][0]["distinct_l"] = serde_json::json!(l + 3))),
        (
            "suppressed",
            Box::new(move |r| r["result"]["records_suppressed"] = serde_json::json!(suppressed + 1)),
        ),
        ("rows", Box::new(|r| r["input"]["rows"] = serde_json::json!(9999))),
    ];
    assert_ne!(k, 50);
    for (want, edit) in &edits {
        let mut r = report.clone();
        edit(&mut r);
        std::fs::write(rel.join("report.json"), serde_json::to_string_pretty(&r).unwrap()).unwrap();
        let o = ledgerless(&["publish", s(&rel), "--log", s(&log), "--key", s(&key)]);
        assert_eq!(o.status.code(), Some(2), "{want}: {}", text(&o));
        assert!(
            text(&o).contains("report.json")
                && text(&o).contains("refusing to publish")
                && text(&o).contains(want),
            "{want}: {}",
            text(&o)
        );
        assert!(!rel.join("manifest.json").exists() && !rel.join("manifest.bundle.json").exists(), "{want}");
        assert_eq!(std::fs::read(log.join("checkpoint")).unwrap(), checkpoint, "{want}: nothing appended");
    }
    // The true report publishes, and verify's recount confirms it.
    std::fs::write(rel.join("report.json"), &report_text).unwrap();
    ok(&ledgerless(&["publish", s(&rel), "--log", s(&log), "--key", s(&key)]));
    let o = ledgerless(&["verify", s(&rel), "--vkey", s(&key.with_extension("pub"))]);
    ok(&o);
    assert!(
        text(&o).contains(&format!("the smallest has {k} rows"))
            && text(&o).contains("as claimed")
            && text(&o).contains("RELEASE VERIFIED"),
        "{}",
        text(&o)
    );
}

/// Appends `manifest` to the log itself (as a lying publisher would, bypassing `publish`) and
/// writes the release's manifest.json and manifest.bundle.json for it.
fn sign_manifest(rel: &Path, log: &Path, key: &Path, manifest: &verifier::Manifest) {
    let entry = manifest.entry().unwrap();
    let entry_file = rel.parent().unwrap().join("entry.json");
    std::fs::write(&entry_file, &entry).unwrap();
    ok(&ledgerless(&["log", "append", s(log), "--key", s(key), "-q", s(&entry_file)]));
    let size: u64 =
        std::fs::read_to_string(log.join("checkpoint")).unwrap().lines().nth(1).unwrap().parse().unwrap();
    let proof_file = rel.parent().unwrap().join("entry.tlog-proof");
    let _ = std::fs::remove_file(&proof_file);
    ok(&ledgerless(&["log", "proof", s(log), "--index", &(size - 1).to_string(), "--out", s(&proof_file)]));
    let bundle = serde_json::json!({
        "format": verifier::RELEASE_BUNDLE_FORMAT,
        "manifest": manifest,
        "tlogProof": std::fs::read_to_string(&proof_file).unwrap(),
    });
    std::fs::write(rel.join("manifest.json"), &entry).unwrap();
    std::fs::write(rel.join("manifest.bundle.json"), serde_json::to_vec_pretty(&bundle).unwrap()).unwrap();
}

#[test]
fn verify_recounts_and_refuses_a_signed_manifest_claiming_more_than_the_data() {
    let tmp = tempfile::tempdir().unwrap();
    let (rel, log, vkey) = published(tmp.path());
    let key = tmp.path().join("publisher.key");
    let bundle: serde_json::Value =
        serde_json::from_slice(&std::fs::read(rel.join("manifest.bundle.json")).unwrap()).unwrap();
    let honest: verifier::Manifest = serde_json::from_value(bundle["manifest"].clone()).unwrap();
    let k = honest.privacy.achieved_k;
    let lies: [(&str, Edit<verifier::Privacy>); 4] = [
        ("claim is k = 50", Box::new(|p| p.achieved_k = 50)),
        ("claim is l = ", Box::new(|p| p.achieved_l[0].1 += 3)),
        ("suppressed", Box::new(|p| p.suppressed += 1)),
        ("smaller than the policy's k = 10000", Box::new(|p| p.k = 10_000)),
    ];
    for (i, (want, lie)) in lies.iter().enumerate() {
        let copy = tmp.path().join(format!("lie-{i}"));
        copy_dir(&rel, &copy);
        let mut m = honest.clone();
        lie(&mut m.privacy);
        sign_manifest(&copy, &log, &key, &m);
        let o = ledgerless(&["verify", s(&copy), "--vkey", s(&vkey), "--log", s(&log)]);
        assert_eq!(o.status.code(), Some(1), "{want}: {}", text(&o));
        let t = text(&o);
        assert!(
            t.contains("recount: FAIL") && t.contains(want) && t.contains("RELEASE NOT VERIFIED"),
            "{want}: {t}"
        );
        assert!(t.contains("microdata.csv: verified"), "the files are the published ones: {t}");
        assert!(!t.contains(&format!("the smallest has {k} rows")) || t.contains("FAIL"), "{t}");
        let j = ledgerless(&["verify", s(&copy), "--vkey", s(&vkey), "--json"]);
        assert_eq!(j.status.code(), Some(1));
        let v: serde_json::Value = serde_json::from_slice(&j.stdout).unwrap();
        assert_eq!(v["verified"], false);
        assert_eq!(v["recount"]["confirmed"], false, "{v:#}");
    }
    // The honest manifest, re-signed the same way, verifies: the recount is what differs.
    let copy = tmp.path().join("honest");
    copy_dir(&rel, &copy);
    sign_manifest(&copy, &log, &key, &honest);
    ok(&ledgerless(&["verify", s(&copy), "--vkey", s(&vkey), "--log", s(&log)]));
    // An altered microdata file: not verified (altered, and the recount differs).
    let copy = tmp.path().join("altered");
    copy_dir(&rel, &copy);
    let csv = std::fs::read_to_string(copy.join("microdata.csv")).unwrap();
    let mut lines: Vec<&str> = csv.lines().collect();
    lines.truncate(lines.len() - 1);
    std::fs::write(copy.join("microdata.csv"), lines.join("\n") + "\n").unwrap();
    let o = ledgerless(&["verify", s(&copy), "--vkey", s(&vkey)]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("microdata.csv: altered") && text(&o).contains("recount: FAIL"),
        "{}",
        text(&o)
    );
}

#[test]
fn publish_refuses_a_credential_log() {
    let tmp = tempfile::tempdir().unwrap();
    let (rel, _log, _key) = unpublished(tmp.path());
    let issuer = tmp.path().join("issuer");
    ok(&ledgerless(&["keygen", "--name", "register.example.org/log", "--out", s(&issuer)]));
    let creds = tmp.path().join("creds");
    ok(&ledgerless(&["log", "init", s(&creds), "--key", s(&issuer.with_extension("key"))]));
    let registrants = tmp.path().join("registrants.csv");
    ok(&ledgerless(&["synth", "registrants", "--rows", "3", "--seed", "1", "--out", s(&registrants)]));
    ok(&ledgerless(&[
        "issue",
        "--log",
        s(&creds),
        "--key",
        s(&issuer.with_extension("key")),
        "--input",
        s(&registrants),
        "--out",
        s(&tmp.path().join("bundles")),
    ]));
    let checkpoint = std::fs::read(creds.join("checkpoint")).unwrap();
    let publish =
        || ledgerless(&["publish", s(&rel), "--log", s(&creds), "--key", s(&issuer.with_extension("key"))]);
    let o = publish();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains(s(&creds)) && text(&o).contains("is a credential log"), "{}", text(&o));
    assert_eq!(std::fs::read(creds.join("checkpoint")).unwrap(), checkpoint, "nothing appended");
    assert!(!rel.join("manifest.json").exists());
    // Without its status/ directory the log is still known by its last entry, a status list.
    std::fs::rename(creds.join("status"), tmp.path().join("status-moved")).unwrap();
    let o = publish();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("is a credential log") && text(&o).contains("status-list"), "{}", text(&o));
    assert_eq!(std::fs::read(creds.join("checkpoint")).unwrap(), checkpoint, "nothing appended");
}

#[test]
fn prove_row_names_its_input_and_never_overwrites_without_force() {
    let tmp = tempfile::tempdir().unwrap();
    let (rel, _log, _vkey) = published(tmp.path());
    let out = tmp.path().join("row.json");
    std::fs::write(&out, "keep me").unwrap();
    let prove = |extra: &[&str]| {
        let mut a = vec!["prove-row", s(&rel), "--table", "microdata", "--row", "1", "--out", s(&out)];
        a.extend_from_slice(extra);
        ledgerless(&a)
    };
    let o = prove(&[]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("already exists") && text(&o).contains("--force"), "{}", text(&o));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "keep me");
    ok(&prove(&["--force"]));
    assert!(std::fs::read_to_string(&out).unwrap().contains("ledgerless-row-proof"));
    // An unpublished release is the command's input, and named so.
    let o = ledgerless(&["prove-row", s(tmp.path()), "--table", "microdata", "--row", "0"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("input ") && !text(&o).contains("output "), "{}", text(&o));
}

/// One named way to make a document lie.
type Edit<T> = Box<dyn Fn(&mut T)>;

fn ledgerless_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ledgerless"))
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run ledgerless")
}

/// Issue 12 ("a check the caller asked for either passes or the result is not valid"): the
/// publisher's log named in trust.json is read without --log, relative to the trust file's
/// folder; if it cannot be read the release is NOT VERIFIED naming the log, never "verified
/// offline". Only --offline skips it, and says so.
#[test]
fn the_publishers_log_named_by_the_trust_list_is_checked_or_the_release_is_not_verified() {
    let tmp = tempfile::tempdir().unwrap();
    let (rel, log, vkey) = published(tmp.path());
    let site = tmp.path().join("site");
    copy_dir(&log, &site.join("releases/log"));
    let vk = std::fs::read_to_string(&vkey).unwrap();
    let trust_with = |log: &str| {
        let t =
            serde_json::json!({"publishers": [{"name": "NHS Statistics", "vkey": vk.trim(), "log": log}]});
        std::fs::write(site.join("trust.json"), t.to_string()).unwrap();
    };
    trust_with("releases/log");
    let rel_s = s(&rel);
    // The same command from the trust file's folder and from its parent: the log is found
    // next to the trust file both times, and checked.
    for (cwd, trust) in [(tmp.path(), "site/trust.json"), (site.as_path(), "trust.json")] {
        let o = ledgerless_in(cwd, &["verify", rel_s, "--trust", trust]);
        ok(&o);
        assert!(text(&o).contains("  log: ") && !text(&o).contains("not checked"), "{}", text(&o));
        assert!(text(&o).contains("RELEASE VERIFIED"), "{}", text(&o));
    }
    // --offline reads no log, and says so.
    let o = ledgerless_in(tmp.path(), &["verify", rel_s, "--trust", "site/trust.json", "--offline"]);
    ok(&o);
    assert!(text(&o).contains("log: not checked (--offline)"), "{}", text(&o));
    // The named log missing, or unreachable: NOT VERIFIED, exit 1, naming the log.
    std::fs::rename(site.join("releases/log"), site.join("releases/gone")).unwrap();
    let o = ledgerless_in(tmp.path(), &["verify", rel_s, "--trust", "site/trust.json"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("RELEASE NOT VERIFIED"), "{}", text(&o));
    assert!(text(&o).contains("publisher's log (") && text(&o).contains("named by --trust"), "{}", text(&o));
    assert!(!text(&o).contains("verified offline"), "{}", text(&o));
    let o = ledgerless_in(tmp.path(), &["verify", rel_s, "--trust", "site/trust.json", "--json"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["verified"], false);
    assert!(v["problems"][0].as_str().unwrap().contains("publisher's log"), "{v}");
    trust_with("http://127.0.0.1:9/log");
    let o = ledgerless_in(tmp.path(), &["verify", rel_s, "--trust", "site/trust.json"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("http://127.0.0.1:9/log, named by --trust"), "{}", text(&o));
    let o = ledgerless_in(tmp.path(), &["verify", rel_s, "--trust", "site/trust.json", "--offline"]);
    ok(&o);
    // A trust list naming no log for the publisher: verified offline, and it says so.
    let t = serde_json::json!({"publishers": [{"name": "NHS Statistics", "vkey": vk.trim()}]});
    std::fs::write(site.join("trust.json"), t.to_string()).unwrap();
    let o = ledgerless_in(tmp.path(), &["verify", rel_s, "--trust", "site/trust.json"]);
    ok(&o);
    assert!(text(&o).contains("log: not checked (no --log"), "{}", text(&o));
}

/// A row proof or a .tlog-proof is verified without reading any log: --log with one is
/// refused (exit 2), never silently dropped.
#[test]
fn log_is_refused_where_it_would_not_be_checked() {
    let tmp = tempfile::tempdir().unwrap();
    let (rel, log, vkey) = published(tmp.path());
    let row = tmp.path().join("row.json");
    ok(&ledgerless(&["prove-row", s(&rel), "--table", "microdata", "--row", "0", "--out", s(&row)]));
    ok(&ledgerless(&["verify", s(&row), "--vkey", s(&vkey)]));
    let o = ledgerless(&["verify", s(&row), "--vkey", s(&vkey), "--log", s(&log)]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("--log applies to credential bundles and release directories"), "{}", text(&o));
    let proof = tmp.path().join("entry.tlog-proof");
    ok(&ledgerless(&["log", "proof", s(&log), "--index", "0", "--out", s(&proof)]));
    let entry = tmp.path().join("entry");
    std::fs::write(&entry, std::fs::read(rel.join("manifest.json")).unwrap()).unwrap();
    ok(&ledgerless(&["verify", s(&proof), "--entry", s(&entry), "--vkey", s(&vkey)]));
    let o = ledgerless(&["verify", s(&proof), "--entry", s(&entry), "--vkey", s(&vkey), "--log", s(&log)]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("--log applies to credential bundles and release directories"), "{}", text(&o));
}
