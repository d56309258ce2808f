//! A closed standard output (`ledgerless … | head -1`) is success: every command that prints
//! exits as it would have, without a panic or an error about the pipe.
#![allow(clippy::unwrap_used)] // test helpers: a panic is the test failing

use std::path::Path;
use std::process::{Command, Output, Stdio};

fn ledgerless(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ledgerless")).args(args).output().expect("run ledgerless")
}

/// Runs `ledgerless args` with its standard output a pipe whose reader has already gone.
fn with_closed_stdout(args: &[&str]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ledgerless"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run ledgerless");
    // The only reader of the pipe closes it: every write to it fails with EPIPE.
    drop(child.stdout.take());
    child.wait_with_output().expect("wait")
}

fn ok(o: &Output) {
    assert!(o.status.success(), "exit {:?}\n{}", o.status.code(), String::from_utf8_lossy(&o.stderr));
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Exit 0 and nothing on stderr about the pipe.
fn pipe_closed_is_success(args: &[&str]) {
    let o = with_closed_stdout(args);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{args:?}: {err}");
    assert!(!err.contains("panicked"), "{args:?} panicked: {err}");
    assert!(!err.to_lowercase().contains("broken pipe"), "{args:?} reported the pipe: {err}");
}

#[test]
fn a_closed_pipe_is_success() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let prefix = d.join("log");
    pipe_closed_is_success(&["keygen", "--name", "example.com/log", "--out", s(&prefix)]);
    let key = prefix.with_extension("key");
    let logdir = d.join("logdir");
    pipe_closed_is_success(&["log", "init", s(&logdir), "--key", s(&key)]);
    // Thousands of index/hash lines, long after the reader has gone.
    let lines: String = (0..20_000).map(|i| format!("entry {i}\n")).collect();
    std::fs::write(d.join("entries.txt"), lines).unwrap();
    pipe_closed_is_success(&[
        "log",
        "append",
        s(&logdir),
        "--key",
        s(&key),
        "--lines",
        s(&d.join("entries.txt")),
    ]);
    pipe_closed_is_success(&["log", "prove", s(&logdir), "--index", "7"]);
    pipe_closed_is_success(&["log", "proof", s(&logdir), "--index", "7"]);

    // A published release, verified: the report, the files, the recount, the verdict.
    let input = d.join("patients.csv");
    ok(&ledgerless(&["synth", "patients", "--rows", "10000", "--seed", "5", "--out", s(&input)]));
    let policy = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/patients/policy.toml");
    let rel = d.join("release");
    pipe_closed_is_success(&["anonymise", "--input", s(&input), "--policy", s(&policy), "--out", s(&rel)]);
    let publisher = d.join("publisher");
    ok(&ledgerless(&["keygen", "--name", "stats.example/releases", "--out", s(&publisher)]));
    let rlog = d.join("rlog");
    let pkey = publisher.with_extension("key");
    ok(&ledgerless(&["log", "init", s(&rlog), "--key", s(&pkey)]));
    ok(&ledgerless(&["publish", s(&rel), "--log", s(&rlog), "--key", s(&pkey)]));
    let pubkey = publisher.with_extension("pub");
    pipe_closed_is_success(&["verify", s(&rel), "--vkey", s(&pubkey), "--log", s(&rlog)]);
    pipe_closed_is_success(&["verify", s(&rel), "--vkey", s(&pubkey), "--log", s(&rlog), "--json"]);
    pipe_closed_is_success(&["prove-row", s(&rel), "--table", "microdata", "--row", "0"]);
}

/// Runs `ledgerless args` with its standard output `/dev/full` (every write fails with ENOSPC).
fn with_full_stdout(args: &[&str]) -> Output {
    let full = std::fs::OpenOptions::new().write(true).open("/dev/full").expect("open /dev/full");
    Command::new(env!("CARGO_BIN_EXE_ledgerless"))
        .args(args)
        .stdout(Stdio::from(full))
        .stderr(Stdio::piped())
        .output()
        .expect("run ledgerless")
}

/// Regression: only a closed pipe is success. A standard output that cannot be written (a full
/// disk) is an error, exit 2, even when everything else went well — `log append`'s final flush
/// and the verify commands' reports used to swallow it and exit 0.
#[cfg(target_os = "linux")]
#[test]
fn an_unwritable_stdout_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let prefix = d.join("log");
    ok(&ledgerless(&["keygen", "--name", "example.com/log", "--out", s(&prefix)]));
    let (key, vkey) = (prefix.with_extension("key"), prefix.with_extension("pub"));
    let logdir = d.join("logdir");
    ok(&ledgerless(&["log", "init", s(&logdir), "--key", s(&key)]));
    std::fs::write(d.join("few.txt"), "one\ntwo\n").unwrap();
    let checkpoint = logdir.join("checkpoint");
    for args in [
        vec!["log", "append", s(&logdir), "--key", s(&key), "--lines", s(&d.join("few.txt"))],
        vec!["verify-checkpoint", s(&checkpoint), "--vkey", s(&vkey)],
        vec!["verify-checkpoint", s(&checkpoint), "--vkey", s(&vkey), "--json"],
    ] {
        let o = with_full_stdout(&args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains("standard output"), "{args:?} must name what failed: {err}");
        if args[0] == "log" {
            // Committed: it must say so, or a re-run would append the entries again.
            assert!(err.contains("appended 2 entries") && err.contains("WERE appended"), "{err}");
        }
        assert!(!err.contains("panicked"), "{args:?} panicked: {err}");
    }
}
