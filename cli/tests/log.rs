//! `ledgerless keygen`, `log ...`, `audit` and `witness cosign` end to end, including the
//! crash test: the writer killed with SIGKILL at 100 random moments never leaves a log that
//! `audit` rejects, and the next append always works.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_ledgerless"))
}

fn run(dir: &Path, args: &[&str]) -> Output {
    bin().args(args).current_dir(dir).output().expect("run ledgerless")
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let o = run(dir, args);
    assert_eq!(o.status.code(), Some(0), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).expect("utf8")
}

fn fails(dir: &Path, args: &[&str], code: i32, stderr_has: &str) {
    let o = run(dir, args);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(code), "{args:?}: {err}");
    assert!(err.contains(stderr_has), "{args:?}: want {stderr_has:?} in {err}");
}

fn setup() -> (tempfile::TempDir, PathBuf) {
    let t = tempfile::tempdir().expect("tempdir");
    let d = t.path().to_owned();
    ok(&d, &["keygen", "--name", "register.example.org/log", "--out", "issuer"]);
    ok(&d, &["keygen", "--name", "witness.example.net/w1", "--out", "w1", "--witness"]);
    ok(&d, &["log", "init", "logdir", "--key", "issuer.key"]);
    (t, d)
}

fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    fn walk(p: &Path, base: &Path, out: &mut Vec<(String, Vec<u8>)>) {
        for e in std::fs::read_dir(p).expect("read_dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                walk(&p, base, out);
            } else {
                out.push((
                    p.strip_prefix(base).expect("base").display().to_string(),
                    std::fs::read(&p).expect("read"),
                ));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

#[test]
fn keygen_init_append_prove_verify_audit_witness() {
    let (_t, d) = setup();
    fails(
        &d,
        &["keygen", "--name", "register.example.org/log", "--out", "issuer"],
        2,
        "refusing to overwrite",
    );
    fails(&d, &["keygen", "--name", "bad name", "--out", "bad"], 2, "not valid");
    let lines: String = (0..600).map(|i| format!("registrant {i}\n")).collect();
    std::fs::write(d.join("lines.txt"), lines).expect("write");
    let out = ok(&d, &["log", "append", "logdir", "--key", "issuer.key", "--lines", "lines.txt"]);
    let first: Vec<&str> = out.lines().next().expect("line").split(' ').collect();
    assert_eq!(first[0], "0");
    assert_eq!(first[1], verifier::leaf_hash(b"registrant 0").to_base64());
    assert_eq!(out.lines().count(), 600);
    std::fs::write(d.join("one.txt"), b"a whole file is one entry").expect("write");
    ok(&d, &["log", "append", "logdir", "--key", "issuer.key", "one.txt"]);
    std::fs::copy(d.join("logdir/checkpoint"), d.join("old.checkpoint")).expect("copy");

    let proof = ok(&d, &["log", "prove", "logdir", "--index", "600"]);
    std::fs::write(d.join("p"), proof).expect("write");
    ok(
        &d,
        &[
            "verify-inclusion",
            "--vkey",
            "issuer.pub",
            "--checkpoint",
            "logdir/checkpoint",
            "--entry",
            "one.txt",
            "--index",
            "600",
            "--proof",
            "p",
        ],
    );
    ok(&d, &["log", "proof", "logdir", "--index", "600", "--out", "one.tlog-proof"]);
    ok(&d, &["verify", "one.tlog-proof", "--entry", "one.txt", "--vkey", "issuer.pub"]);

    let more: String = (600..1000).map(|i| format!("registrant {i}\n")).collect();
    std::fs::write(d.join("more.txt"), more).expect("write");
    ok(&d, &["log", "append", "logdir", "--key", "issuer.key", "--lines", "-q", "more.txt"]);
    let c = ok(&d, &["log", "consistency", "logdir", "--from", "601"]);
    std::fs::write(d.join("c"), c).expect("write");
    ok(
        &d,
        &[
            "verify-consistency",
            "--vkey",
            "issuer.pub",
            "--old",
            "old.checkpoint",
            "--new",
            "logdir/checkpoint",
            "--proof",
            "c",
        ],
    );
    let a = ok(&d, &["audit", "logdir", "--vkey", "issuer.pub"]);
    assert!(a.starts_with("ok: 1001 entries"), "{a}");

    // Witness: cosign, then a policy requiring it verifies.
    ok(
        &d,
        &[
            "witness",
            "cosign",
            "--key",
            "w1.key",
            "--log",
            "logdir",
            "--vkey",
            "issuer.pub",
            "--state",
            "wstate",
        ],
    );
    let policy = format!(
        "log {}witness w1 {}quorum w1\n",
        std::fs::read_to_string(d.join("issuer.pub")).expect("pub"),
        std::fs::read_to_string(d.join("w1.pub")).expect("pub")
    );
    std::fs::write(d.join("policy"), policy).expect("write");
    ok(&d, &["verify-checkpoint", "logdir/checkpoint", "--policy", "policy"]);
    let a = ok(&d, &["audit", "logdir", "--policy", "policy"]);
    assert!(a.contains("cosigned by witness.example.net/w1+"), "{a}");
}

#[test]
fn bad_input_is_refused_and_changes_nothing() {
    let (_t, d) = setup();
    std::fs::write(d.join("e.txt"), b"entry").expect("write");
    ok(&d, &["log", "append", "logdir", "--key", "issuer.key", "e.txt", "e.txt", "e.txt"]);
    let before = tree(&d.join("logdir"));
    // Foreign key with the same name.
    ok(&d, &["keygen", "--name", "register.example.org/log", "--out", "impostor"]);
    fails(
        &d,
        &["log", "append", "logdir", "--key", "impostor.key", "e.txt"],
        2,
        "is register.example.org/log+",
    );
    // Missing key, a witness key, a malformed key.
    fails(&d, &["log", "append", "logdir", "--key", "missing.key", "e.txt"], 2, "couldn't read");
    fails(&d, &["log", "append", "logdir", "--key", "w1.key", "e.txt"], 2, "witness (cosignature) key");
    std::fs::write(d.join("junk.key"), b"PRIVATE+KEY+nonsense").expect("write");
    fails(&d, &["log", "append", "logdir", "--key", "junk.key", "e.txt"], 2, "junk.key");
    // An entry over 65,535 bytes: refused before anything is written.
    std::fs::write(d.join("big"), vec![b'x'; 65_536]).expect("write");
    fails(&d, &["log", "append", "logdir", "--key", "issuer.key", "e.txt", "big"], 2, "at most 65,535 bytes");
    // Unreadable LOGDIR and a file that is missing.
    fails(&d, &["log", "append", "nolog", "--key", "issuer.key", "e.txt"], 2, "is not a log");
    fails(&d, &["log", "append", "logdir", "--key", "issuer.key", "missing.txt"], 2, "missing.txt");
    // An index past the end.
    fails(&d, &["log", "prove", "logdir", "--index", "3"], 2, "past the end");
    fails(&d, &["log", "proof", "logdir", "--index", "99"], 2, "past the end");
    fails(
        &d,
        &["log", "consistency", "logdir", "--from", "2", "--to", "9"],
        2,
        "beyond the log's current size",
    );
    assert_eq!(tree(&d.join("logdir")), before, "a refused command modified the log");

    // A truncated checkpoint and a corrupt tile: refused, and audit says where.
    let cp = d.join("logdir/checkpoint");
    let good = std::fs::read(&cp).expect("read");
    std::fs::write(&cp, &good[..good.len() / 2]).expect("write");
    fails(&d, &["log", "append", "logdir", "--key", "issuer.key", "e.txt"], 2, "checkpoint");
    fails(&d, &["audit", "logdir", "--vkey", "issuer.pub"], 1, "checkpoint");
    std::fs::write(&cp, &good).expect("write");
    let tile = d.join("logdir/tile/0/000.p/3");
    let mut t = std::fs::read(&tile).expect("tile");
    t[33] ^= 0x40;
    std::fs::write(&tile, &t).expect("write");
    fails(&d, &["log", "append", "logdir", "--key", "issuer.key", "e.txt"], 2, "corrupt");
    fails(
        &d,
        &["audit", "logdir", "--vkey", "issuer.pub"],
        1,
        "entry 1 (#1 of tile/entries/000.p/3) hashes to",
    );
}

#[test]
fn witness_refuses_a_fork_with_evidence() {
    let (_t, d) = setup();
    std::fs::write(d.join("a.txt"), b"genuine").expect("write");
    ok(&d, &["log", "append", "logdir", "--key", "issuer.key", "a.txt"]);
    ok(
        &d,
        &[
            "witness",
            "cosign",
            "--key",
            "w1.key",
            "--log",
            "logdir",
            "--vkey",
            "issuer.pub",
            "--state",
            "wstate",
        ],
    );
    // The same key signs a different history in another directory.
    ok(&d, &["log", "init", "forked", "--key", "issuer.key"]);
    std::fs::write(d.join("b.txt"), b"forged").expect("write");
    ok(&d, &["log", "append", "forked", "--key", "issuer.key", "b.txt", "b.txt"]);
    let o = run(
        &d,
        &[
            "witness",
            "cosign",
            "--key",
            "w1.key",
            "--log",
            "forked",
            "--vkey",
            "issuer.pub",
            "--state",
            "wstate",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("refusing to cosign") || err.contains("fork"), "{err}");
    assert!(err.contains("evidence:") && err.contains("previously cosigned:"), "{err}");
}

/// A tiny deterministic generator for kill times.
fn next(seed: &mut u64) -> u64 {
    *seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
    *seed >> 33
}

#[test]
fn kill_9_at_random_moments_never_breaks_the_log() {
    let (_t, d) = setup();
    let batch = 2_000u64;
    let lines: String = (0..batch).map(|i| format!("crash-test entry {i:08}\n")).collect();
    std::fs::write(d.join("batch.txt"), lines).expect("write");
    // How long one append takes, to spread the kills over it.
    let t = Instant::now();
    ok(&d, &["log", "append", "logdir", "--key", "issuer.key", "--lines", "-q", "batch.txt"]);
    let span = t.elapsed().as_micros().max(1000) as u64;
    let vkey =
        verifier::parse_verifier_key(std::fs::read_to_string(d.join("issuer.pub")).expect("pub").trim())
            .expect("vkey");
    let trust = verifier::Trust::Key(vkey);
    let key = tlog::read_signer_key(&d.join("issuer.key")).expect("key");
    let fetch = tlog::DirFetch(d.join("logdir"));
    let mut size = batch;
    let (mut seed, mut old_sizes, mut new_sizes) = (7u64, 0, 0);
    for trial in 0..100 {
        let mut child = bin()
            .args(["log", "append", "logdir", "--key", "issuer.key", "--lines", "-q", "batch.txt"])
            .current_dir(&d)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        std::thread::sleep(Duration::from_micros(next(&mut seed) % (span * 5 / 4)));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        // What readers see right after the crash: the old or the new size, and it audits.
        let r = tlog::audit(&fetch, &trust, &mut |_, _| {})
            .unwrap_or_else(|e| panic!("trial {trial}: audit rejects the log after kill -9: {e}"));
        let seen = r.checkpoint.size;
        assert!(
            seen == size || seen == size + batch,
            "trial {trial}: size {seen}, want {size} or {}",
            size + batch
        );
        // Opening the log for writing recovers: a checkpoint that was signed and staged when
        // the writer died is published (its tiles are durable), never replaced by another.
        drop(
            tlog::Log::open(&d.join("logdir"), key.clone(), tlog::LockMode::Fail, &mut || {})
                .expect("reopen"),
        );
        let r = tlog::audit(&fetch, &trust, &mut |_, _| {})
            .unwrap_or_else(|e| panic!("trial {trial}: audit rejects the recovered log: {e}"));
        let got = r.checkpoint.size;
        assert!(got >= seen, "trial {trial}: recovery went back from {seen} to {got}");
        assert!(
            got == size || got == size + batch,
            "trial {trial}: size {got}, want {size} or {}",
            size + batch
        );
        if got == size {
            old_sizes += 1
        } else {
            new_sizes += 1
        }
        size = got;
    }
    // The next append works, and the whole log still audits.
    ok(&d, &["log", "append", "logdir", "--key", "issuer.key", "--lines", "-q", "batch.txt"]);
    let r = tlog::audit(&fetch, &trust, &mut |_, _| {}).expect("final audit");
    assert_eq!(r.checkpoint.size, size + batch);
    eprintln!("kill -9 trials: 100 ({old_sizes} left the old size, {new_sizes} the new one)");
    assert!(old_sizes > 0 && new_sizes > 0, "kills should land both before and after the commit");
}

#[test]
fn concurrent_appenders_are_serialised() {
    let (_t, d) = setup();
    let lines: String = (0..20_000).map(|i| format!("concurrent {i}\n")).collect();
    std::fs::write(d.join("many.txt"), lines).expect("write");
    let spawn = |extra: &[&str]| {
        bin()
            .args(["log", "append", "logdir", "--key", "issuer.key", "--lines", "-q", "many.txt"])
            .args(extra)
            .current_dir(&d)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn")
    };
    let (a, b) = (spawn(&[]), spawn(&[]));
    let (a, b) = (a.wait_with_output().expect("a"), b.wait_with_output().expect("b"));
    assert!(a.status.success() && b.status.success(), "{a:?} {b:?}");
    let a = ok(&d, &["audit", "logdir", "--vkey", "issuer.pub"]);
    assert!(a.starts_with("ok: 40000 entries"), "{a}");
    // With --no-wait, a second appender fails clearly while the first holds the lock.
    let first = spawn(&[]);
    let started = Instant::now();
    let mut saw_lock = false;
    while started.elapsed() < Duration::from_secs(20) {
        let o = run(
            &d,
            &["log", "append", "logdir", "--key", "issuer.key", "--no-wait", "--lines", "-q", "many.txt"],
        );
        if o.status.code() == Some(2) {
            let err = String::from_utf8_lossy(&o.stderr);
            assert!(err.contains("another process is appending"), "{err}");
            saw_lock = true;
            break;
        }
    }
    assert!(first.wait_with_output().expect("first").status.success());
    assert!(saw_lock, "never observed the lock held");
}

/// Serves `dir` on loopback with Python's static file server, if python3 is installed.
fn serve(dir: &Path) -> Option<(std::process::Child, String)> {
    let port = std::net::TcpListener::bind("127.0.0.1:0").ok()?.local_addr().ok()?.port();
    let child = Command::new("python3")
        .args(["-m", "http.server", &port.to_string(), "--bind", "127.0.0.1", "--directory"])
        .arg(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let url = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Some((child, url));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

#[test]
fn audit_and_witness_over_http() {
    let (_t, d) = setup();
    let lines: String = (0..700).map(|i| format!("served {i}\n")).collect();
    std::fs::write(d.join("l.txt"), lines).expect("write");
    ok(&d, &["log", "append", "logdir", "--key", "issuer.key", "--lines", "-q", "l.txt"]);
    let Some((mut server, url)) = serve(&d.join("logdir")) else {
        eprintln!("skipped: python3 -m http.server is not available to serve the log");
        return;
    };
    let a = ok(&d, &["audit", &url, "--vkey", "issuer.pub"]);
    assert!(a.starts_with(&format!("ok: 700 entries of {url}")), "{a}");
    let note = ok(
        &d,
        &["witness", "cosign", "--key", "w1.key", "--log", &url, "--vkey", "issuer.pub", "--state", "ws"],
    );
    assert!(note.contains("witness.example.net/w1 "), "{note}");
    // A tampered tile is caught over HTTP too.
    let tile = d.join("logdir/tile/0/002.p/188");
    let mut t = std::fs::read(&tile).expect("tile");
    t[0] ^= 1;
    std::fs::write(&tile, &t).expect("write");
    fails(&d, &["audit", &url, "--vkey", "issuer.pub"], 1, "tile/0/002.p/188");
    let _ = server.kill();
    let _ = server.wait();
    fails(&d, &["audit", &url, "--vkey", "issuer.pub"], 2, "GET");
}

#[test]
fn audit_reads_the_tessera_test_log() {
    let log = tests::vector("tessera-testdata-log");
    let o = bin().args(["audit"]).arg(&log).arg("--vkey").arg(log.join("log.vkey")).output().expect("run");
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("ok: 15 entries"));
}
