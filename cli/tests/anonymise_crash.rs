//! `anonymise --force` loses nothing: killed with SIGKILL at any moment while it replaces a
//! release, RELEASEDIR holds the old release or the whole new one, never nothing or a part; and
//! running the same command again completes the replacement and leaves no staging directory.
//! `ANONYMISE_CRASH_KILLS` (default 30) sizes the run.
#![allow(clippy::unwrap_used)] // test helpers: a panic is the test failing

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

mod util;
use util::{Rng, env_or};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/cmd/fixtures")
}

fn anonymise(d: &Path, policy: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ledgerless"));
    c.args(["anonymise", "--input", "patients.csv", "--policy", policy, "--out", "rel", "--force", "-q"])
        .current_dir(d);
    c
}

fn ok(o: &Output) {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// The policy text the release at `rel` was made with (its report names it).
fn made_with(d: &Path) -> String {
    let report = std::fs::read(d.join("rel/report.json")).expect("RELEASEDIR holds a whole release");
    let v: serde_json::Value = serde_json::from_slice(&report).expect("a whole report.json");
    v.pointer("/policy/text").and_then(|t| t.as_str()).expect("policy text").to_owned()
}

#[test]
fn a_forced_anonymise_killed_at_any_moment_leaves_the_old_or_the_new_release() {
    let kills = env_or("ANONYMISE_CRASH_KILLS", 30);
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    std::fs::copy(fixtures().join("patients.csv"), d.join("patients.csv")).unwrap();
    // Two policies that differ only by a comment: each release says which one made it.
    let policy = std::fs::read_to_string(fixtures().join("anon-policy.toml")).unwrap();
    std::fs::write(d.join("a.toml"), format!("# release A\n{policy}")).unwrap();
    std::fs::write(d.join("b.toml"), format!("# release B\n{policy}")).unwrap();
    let (a, b) = (
        std::fs::read_to_string(d.join("a.toml")).unwrap(),
        std::fs::read_to_string(d.join("b.toml")).unwrap(),
    );
    ok(&anonymise(d, "a.toml").output().unwrap());
    let start = Instant::now();
    ok(&anonymise(d, "b.toml").output().unwrap());
    let full = start.elapsed().max(Duration::from_millis(20));
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let mut killed = 0;
    for i in 0..kills {
        let (old, new) = if i % 2 == 0 { (&b, "a.toml") } else { (&a, "b.toml") };
        let mut child = anonymise(d, new).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
        std::thread::sleep(Duration::from_micros(rng.next() % (full.as_micros() as u64 * 11 / 10).max(1)));
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap();
            killed += 1;
        }
        let _ = child.wait();
        let found = made_with(d);
        let new_text = std::fs::read_to_string(d.join(new)).unwrap();
        assert!(found == *old || found == new_text, "kill {i}: RELEASEDIR holds neither release");
        // The same command again completes the replacement and leaves nothing behind.
        ok(&anonymise(d, new).output().unwrap());
        assert_eq!(made_with(d), new_text, "kill {i}: the re-run did not finish the job");
        let left: Vec<String> = std::fs::read_dir(d)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(".rel."))
            .collect();
        assert!(left.is_empty(), "kill {i}: left behind {left:?}");
    }
    eprintln!("{kills} runs, {killed} killed");
}
