//! Helpers shared by the issuance tests: running the binary, and an issuer with a witness.

use std::path::Path;
use std::process::{Command, Output};

/// Runs `ledgerless ARGS` in `dir`.
pub(crate) fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ledgerless"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run ledgerless")
}

/// Runs and requires exit `want` with `has` on stdout or stderr; returns stdout.
#[track_caller]
pub(crate) fn code(dir: &Path, args: &[&str], want: i32, has: &str) -> String {
    let o = run(dir, args);
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert_eq!(o.status.code(), Some(want), "{args:?}:\n{out}\n{err}");
    assert!(err.contains(has) || out.contains(has), "{args:?}: want {has:?} in\n{out}\n{err}");
    out
}

/// Runs and requires success; returns stdout.
#[track_caller]
pub(crate) fn ok(dir: &Path, args: &[&str]) -> String {
    code(dir, args, 0, "")
}

/// In `d`: issuer key `gmc`, witness key `w1`, the tlog-policy `policy` requiring w1's
/// cosignature, and an empty credential log `log`.
pub(crate) fn issuer_with_witness(d: &Path) {
    ok(d, &["keygen", "--name", "gmc.example.org/register", "--out", "gmc"]);
    ok(d, &["keygen", "--name", "witness.example.net/w1", "--out", "w1", "--witness"]);
    let policy = format!(
        "log {}\nwitness w1 {}\nquorum w1\n",
        std::fs::read_to_string(d.join("gmc.pub")).expect("pub").trim(),
        std::fs::read_to_string(d.join("w1.pub")).expect("pub").trim()
    );
    std::fs::write(d.join("policy"), policy).expect("policy");
    ok(d, &["log", "init", "log", "--key", "gmc.key"]);
}

/// `issue` of `input` into `log`, bundles to `out`, under `policy` with the local witness `w1`.
pub(crate) fn witnessed_issue(input: &str, out: &str) -> Vec<String> {
    [
        "issue",
        "--log",
        "log",
        "--key",
        "gmc.key",
        "--input",
        input,
        "--out",
        out,
        "--policy",
        "policy",
        "--witness-key",
        "w1.key",
        "--witness-state",
        "w1-state",
    ]
    .map(String::from)
    .to_vec()
}

/// Runs `args` (owned) and requires success.
#[track_caller]
pub(crate) fn ok_owned(dir: &Path, args: &[String]) -> String {
    ok(dir, &args.iter().map(String::as_str).collect::<Vec<_>>())
}
