//! `publish` loses nothing: whatever the moment it is killed, running it again completes the
//! release (a verifying `manifest.bundle.json`) with its manifest in the log exactly once.
//! Each crash point is built on disk by hand; then `publish` is killed with SIGKILL at random
//! moments. `PUBLISH_CRASH_KILLS` (default 30) sizes the kill loop, as `issue_crash.rs` does.
#![allow(clippy::unwrap_used)] // test helpers: a panic is the test failing

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

mod util;
use util::{Rng, copy_dir};

fn ledgerless(d: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ledgerless")).args(args).current_dir(d).output().expect("run ledgerless")
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn ok(o: &Output) -> String {
    assert!(o.status.success(), "exit {:?}\n{}", o.status.code(), text(o));
    text(o)
}

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/cmd/fixtures")
}

/// A work folder with the publisher's key pair, an empty release log `log` and an unpublished
/// release (16 patients) at `rel`.
fn setup(d: &Path) {
    std::fs::create_dir_all(d.join("keys")).unwrap();
    for k in ["publisher.key", "publisher.pub"] {
        std::fs::copy(fixtures().join("keys").join(k), d.join("keys").join(k)).unwrap();
    }
    ok(&ledgerless(d, &["log", "init", "log", "--key", "keys/publisher.key"]));
    copy_dir(&fixtures().join("rel-unpublished"), &d.join("rel"));
}

fn publish(d: &Path, rel: &str, log: &str) -> Output {
    ledgerless(d, &["publish", rel, "--log", log, "--key", "keys/publisher.key"])
}

fn size(d: &Path, log: &str) -> u64 {
    let c = std::fs::read_to_string(d.join(log).join("checkpoint")).unwrap();
    c.lines().nth(1).and_then(|l| l.parse().ok()).unwrap()
}

fn verified(d: &Path, rel: &str) {
    let t = ok(&ledgerless(d, &["verify", rel, "--vkey", "keys/publisher.pub", "--log", "log"]));
    assert!(t.contains("RELEASE VERIFIED") && !t.contains("EXTRA"), "{rel}: {t}");
}

/// Makes `rel/manifest.json` a manifest written but never appended to `log`: published to a
/// scratch log under the same key, whose bundle is then dropped.
fn unappended(d: &Path, rel: &str) {
    let _ = std::fs::remove_dir_all(d.join("scratch"));
    ok(&ledgerless(d, &["log", "init", "scratch", "--key", "keys/publisher.key"]));
    ok(&publish(d, rel, "scratch"));
    std::fs::remove_file(d.join(rel).join("manifest.bundle.json")).unwrap();
}

/// Publishes `rel` to `log`, then drops its bundle: killed after the append, before the bundle.
/// Returns the entry's bytes (`manifest.json`).
fn appended_without_bundle(d: &Path) -> Vec<u8> {
    ok(&publish(d, "rel", "log"));
    std::fs::remove_file(d.join("rel/manifest.bundle.json")).unwrap();
    std::fs::read(d.join("rel/manifest.json")).unwrap()
}

/// Changes one published table of the release at `rel`.
fn alter_table(d: &Path, rel: &str) {
    std::fs::write(d.join(rel).join("tables/by_sex.csv"), "sex,count\nF,9\nM,8\nTotal,17\n").unwrap();
}

/// Killed after the append, before the bundle (and with a bundle's temporary file left).
#[test]
fn an_appended_manifest_without_a_bundle_is_completed() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    setup(d);
    let entry = appended_without_bundle(d);
    std::fs::write(d.join("rel/.manifest.bundle.json.999-0.tmp"), b"{\"torn").unwrap();
    let o = ok(&publish(d, "rel", "log"));
    assert!(o.contains("resumed: ") && o.contains("already appended as entry 0"), "{o}");
    assert!(o.contains("published rel"), "{o}");
    assert_eq!(size(d, "log"), 1, "not appended again");
    assert_eq!(std::fs::read(d.join("rel/manifest.json")).unwrap(), entry, "manifest.json unchanged");
    assert!(!d.join("rel/.manifest.bundle.json.999-0.tmp").exists(), "the leftover temporary is removed");
    verified(d, "rel");
    // Finished: a third run refuses.
    let o = publish(d, "rel", "log");
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("already published (manifest.bundle.json exists)"), "{}", text(&o));
}

/// Killed after manifest.json was written, before the append; and killed while writing it.
#[test]
fn a_written_but_unappended_manifest_is_appended_once() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    setup(d);
    unappended(d, "rel");
    let o = ok(&publish(d, "rel", "log"));
    assert!(o.contains("resumed: ") && o.contains("not yet appended"), "{o}");
    assert!(o.contains("as entry 0 of"), "{o}");
    assert_eq!(size(d, "log"), 1);
    verified(d, "rel");
    // A temporary manifest.json left by a kill while it was written is not a release file.
    copy_dir(&fixtures().join("rel-unpublished"), &d.join("rel2"));
    std::fs::write(d.join("rel2/.manifest.json.999-0.tmp"), b"{\"torn").unwrap();
    let o = ok(&publish(d, "rel2", "log"));
    assert!(!o.contains("resumed"), "{o}");
    assert_eq!(size(d, "log"), 2);
    verified(d, "rel2");
    let m = std::fs::read_to_string(d.join("rel2/manifest.json")).unwrap();
    assert!(!m.contains(".tmp"), "{m}");
}

/// A resumed publish whose files changed, or whose manifest names another log, appends nothing.
#[test]
fn a_resumed_publish_of_a_changed_release_or_another_log_is_refused() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    setup(d);
    unappended(d, "rel");
    let checkpoint = std::fs::read(d.join("log/checkpoint")).unwrap();
    alter_table(d, "rel");
    let o = publish(d, "rel", "log");
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("has changed since manifest.json was written")
            && text(&o).contains("tables/by_sex.csv: altered"),
        "{}",
        text(&o)
    );
    assert_eq!(std::fs::read(d.join("log/checkpoint")).unwrap(), checkpoint, "nothing appended");
    assert!(!d.join("rel/manifest.bundle.json").exists());
    // Claimed for another publisher's log.
    ok(&ledgerless(d, &["keygen", "--name", "other.example.org/releases", "--out", "keys/other"]));
    ok(&ledgerless(d, &["log", "init", "other-log", "--key", "keys/other.key"]));
    copy_dir(&fixtures().join("rel-unpublished"), &d.join("rel2"));
    unappended(d, "rel2");
    let o = ledgerless(d, &["publish", "rel2", "--log", "other-log", "--key", "keys/other.key"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("was written for publisher publisher.example.org/releases"), "{}", text(&o));
    assert_eq!(size(d, "other-log"), 0);
}

/// Regression: an older version claimed the release with an EMPTY manifest.json before the
/// append. Killed after the append, it left an empty file; the advice then was to remove it and
/// publish again, which put a second manifest in the log. Now the log's copy is adopted.
#[test]
fn an_empty_claim_adopts_the_manifest_the_log_already_holds() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    setup(d);
    let entry = appended_without_bundle(d);
    std::fs::write(d.join("rel/manifest.json"), b"").unwrap();
    let o = ok(&publish(d, "rel", "log"));
    assert!(o.contains("already appended as entry 0"), "{o}");
    assert_eq!(size(d, "log"), 1, "adopted, not appended again");
    assert_eq!(std::fs::read(d.join("rel/manifest.json")).unwrap(), entry, "the log's bytes");
    verified(d, "rel");
    // An empty claim whose run never appended (no manifest in the log matches these files):
    // published afresh, once.
    copy_dir(&fixtures().join("rel-unpublished"), &d.join("rel2"));
    alter_table(d, "rel2");
    std::fs::write(d.join("rel2/manifest.json"), b"").unwrap();
    ok(&publish(d, "rel2", "log"));
    assert_eq!(size(d, "log"), 2);
    verified(d, "rel2");
}

/// Regression: a resumed publish of a changed release whose manifest is already in the log
/// said "nothing appended … or remove manifest.json", which would publish a second manifest.
#[test]
fn a_changed_release_whose_manifest_is_in_the_log_says_so() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    setup(d);
    appended_without_bundle(d);
    alter_table(d, "rel");
    let o = publish(d, "rel", "log");
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let t = text(&o);
    assert!(t.contains("already entry 0 of the log") && !t.contains("nothing appended"), "{t}");
    assert_eq!(size(d, "log"), 1);
}

/// Two publishes of one release directory never interleave, whatever their logs: the release
/// directory is locked for the whole run (a run to another log used to delete the live run's
/// temporary bundle).
#[test]
fn a_publish_waits_while_another_holds_the_release() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    setup(d);
    let held = std::fs::File::open(d.join("rel")).unwrap();
    held.lock().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_ledgerless"))
        .args(["publish", "rel", "--log", "log", "--key", "keys/publisher.key"])
        .current_dir(d)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    assert!(child.try_wait().unwrap().is_none(), "publish must wait for the release's lock");
    assert!(!d.join("rel/manifest.json").exists(), "nothing written while waiting");
    drop(held);
    let o = child.wait_with_output().unwrap();
    let out = ok(&o);
    assert!(out.contains("published rel"), "{out}");
    verified(d, "rel");
}

#[test]
fn publish_killed_at_random_moments_is_completed_by_a_rerun() {
    let kills: usize = std::env::var("PUBLISH_CRASH_KILLS").ok().and_then(|v| v.parse().ok()).unwrap_or(30);
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    setup(d);
    // One whole run, timed: the kill moments are spread over it.
    let start = Instant::now();
    ok(&publish(d, "rel", "log"));
    let full = start.elapsed().max(Duration::from_millis(20));
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut killed = 0;
    let mut outcomes = std::collections::BTreeMap::new();
    for i in 0..kills {
        let rel = format!("r{i}");
        copy_dir(&fixtures().join("rel-unpublished"), &d.join(&rel));
        let delay = Duration::from_micros(rng.next() % (full.as_micros() as u64 * 11 / 10).max(1));
        let mut child = Command::new(env!("CARGO_BIN_EXE_ledgerless"))
            .args(["publish", &rel, "--log", "log", "--key", "keys/publisher.key"])
            .current_dir(d)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap();
            killed += 1;
        }
        let _ = child.wait();
        // The same command again: done, whether or not the first run got there.
        let o = publish(d, &rel, "log");
        assert!(
            o.status.success() || text(&o).contains("already published (manifest.bundle.json exists)"),
            "kill {i}: {}",
            text(&o)
        );
        let t = text(&o);
        let outcome = if !o.status.success() {
            "already published"
        } else if t.contains("not yet appended") {
            "resumed, appended"
        } else if t.contains("already appended") {
            "resumed, already appended"
        } else {
            "published afresh"
        };
        *outcomes.entry(outcome).or_insert(0) += 1;
        verified(d, &rel);
        assert_eq!(size(d, "log"), i as u64 + 2, "kill {i}: each release in the log exactly once");
    }
    eprintln!("{kills} runs, {killed} killed (one whole publish: {full:?}); re-runs: {outcomes:?}");
}
