//! `ledgerless witness serve` (C2SP tlog-witness over HTTP) as a process on loopback, with
//! `ledgerless log witness`, `issue --policy` and `revoke --policy` as its clients: a witness
//! that is down, restarted, hammered with hostile requests, and killed with SIGKILL mid-stream
//! (`WITNESS_CRASH_KILLS`, default 20, sizes that run); `log witness` itself killed mid-run
//! (`LOG_WITNESS_KILLS`, default 20).
#![allow(clippy::unwrap_used)]

use std::io::{BufRead as _, Read as _, Write as _};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tlog::{DirFetch, LockMode, Log};
use verifier::KeyKind;
use verifier::write::{SignerKey, format_verifier_key};
use witness::AddCheckpointRequest;

mod util;
use util::{Rng, env_or};
// The rest of `witnessed` serves the issuance tests.
#[allow(dead_code)]
mod witnessed;
use witnessed::{code, ok};

/// A `witness serve` process and the address it printed.
struct Server {
    child: Child,
    addr: SocketAddr,
    stderr: std::sync::Arc<std::sync::Mutex<String>>,
}

impl Server {
    /// Starts `witness serve` in `d` with key `w1.key`, state `state`, log list `logs` on a
    /// free port, and waits for its "listening" line.
    fn start(d: &Path) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_ledgerless"))
            .args(["witness", "serve", "--key", "w1.key", "--state", "state", "--addr", "127.0.0.1:0"])
            .args(["--log-list", "logs"])
            .current_dir(d)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = std::io::BufReader::new(child.stderr.take().unwrap()).lines();
        let first = lines.next().unwrap().unwrap();
        let addr = first
            .split("http://")
            .nth(1)
            .and_then(|s| s.split('/').next())
            .unwrap_or_else(|| panic!("no address in {first:?}"))
            .parse()
            .unwrap();
        let stderr = std::sync::Arc::new(std::sync::Mutex::new(first));
        let sink = stderr.clone();
        std::thread::spawn(move || {
            for l in lines.map_while(Result::ok) {
                sink.lock().unwrap().push_str(&l);
            }
        });
        Server { child, addr, stderr }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// In `d`: log key `log` (origin example.org/log), witness key `w1`, the log list `logs`, and a
/// log `log` of `n` entries.
fn setup(d: &Path, n: u64) {
    ok(d, &["keygen", "--name", "example.org/log", "--out", "log"]);
    ok(d, &["keygen", "--name", "witness.example.net/w1", "--out", "w1", "--witness"]);
    std::fs::copy(d.join("log.pub"), d.join("logs")).unwrap();
    ok(d, &["log", "init", "log", "--key", "log.key"]);
    append(d, n);
}

fn append(d: &Path, n: u64) {
    let lines: String = (0..n).map(|i| format!("entry {i} {:?}\n", Instant::now())).collect();
    std::fs::write(d.join("entries"), lines).unwrap();
    ok(d, &["log", "append", "log", "--key", "log.key", "--lines", "--quiet", "entries"]);
}

fn policy(d: &Path, url: &str) {
    let text = format!(
        "log {}\nwitness w1 {} {url}\nquorum w1\n",
        std::fs::read_to_string(d.join("log.pub")).unwrap().trim(),
        std::fs::read_to_string(d.join("w1.pub")).unwrap().trim()
    );
    std::fs::write(d.join("policy"), text).unwrap();
}

#[test]
fn log_witness_over_http_with_the_witness_down_and_restarted() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    setup(d, 40);
    let s = Server::start(d);
    policy(d, &s.url());
    let out = ok(d, &["log", "witness", "log", "--policy", "policy"]);
    assert!(out.contains("witnessed: example.org/log size 40"), "{out}");
    ok(d, &["verify-checkpoint", "log/checkpoint", "--policy", "policy"]);

    // Down: exit 3, the witness named with why; the checkpoint does not meet the policy.
    let url = s.url();
    s.kill();
    append(d, 5);
    code(
        d,
        &["log", "witness", "log", "--policy", "policy", "--timeout", "3"],
        3,
        "w1: did not cosign: unreachable",
    );
    code(d, &["verify-checkpoint", "log/checkpoint", "--policy", "policy"], 1, "quorum");

    // Restarted (another port): it kept size 40, so a client starting from 0 is told 40 (409)
    // and retries from it.
    let s = Server::start(d);
    assert_ne!(s.url(), url);
    policy(d, &s.url());
    std::fs::remove_file(d.join("log").join(witness::SIZES_FILE)).unwrap();
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let body = AddCheckpointRequest {
        old_size: 0,
        proof: vec![],
        checkpoint: std::fs::read(d.join("log/checkpoint")).unwrap(),
    };
    let mut r = agent.post(format!("{}/add-checkpoint", s.url())).send(&body.to_bytes()[..]).unwrap();
    assert_eq!(r.status().as_u16(), 409);
    assert_eq!(r.body_mut().read_to_string().unwrap(), "40\n");
    ok(d, &["log", "witness", "log", "--policy", "policy"]);
    ok(d, &["verify-checkpoint", "log/checkpoint", "--policy", "policy"]);

    // A second server on the same state directory is refused.
    let o = Command::new(env!("CARGO_BIN_EXE_ledgerless"))
        .args([
            "witness",
            "serve",
            "--key",
            "w1.key",
            "--state",
            "state",
            "--addr",
            "127.0.0.1:0",
            "--log-list",
            "logs",
        ])
        .current_dir(d)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("another witness is running"));
}

/// `witness cosign` on a state directory a running `witness serve` holds says it is waiting,
/// and cosigns once the server is gone.
#[test]
fn witness_cosign_says_it_waits_for_a_serving_witness() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    setup(d, 5);
    let s = Server::start(d);
    let mut child = Command::new(env!("CARGO_BIN_EXE_ledgerless"))
        .args([
            "witness", "cosign", "--key", "w1.key", "--log", "log", "--vkey", "log.pub", "--state", "state",
        ])
        .current_dir(d)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut text = String::new();
        let mut byte = [0u8; 1];
        while stderr.read(&mut byte).is_ok_and(|n| n == 1) {
            text.push(char::from(byte[0]));
            if byte[0] == b'\n' {
                let _ = tx.send(std::mem::take(&mut text));
            }
        }
    });
    let first = rx.recv_timeout(Duration::from_secs(20));
    assert!(
        first.as_ref().is_ok_and(|l| l.starts_with("waiting for another witness process using state")),
        "{first:?}"
    );
    assert!(child.try_wait().unwrap().is_none(), "it waits");
    s.kill();
    let status = child.wait().unwrap();
    let rest: String = rx.iter().collect();
    assert!(status.success() && rest.contains("cosigned example.org/log size 5"), "{status}: {rest}");
}

#[test]
fn issue_and_revoke_gather_cosignatures_over_http() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    ok(d, &["keygen", "--name", "gmc.example.org/register", "--out", "log"]);
    ok(d, &["keygen", "--name", "witness.example.net/w1", "--out", "w1", "--witness"]);
    std::fs::copy(d.join("log.pub"), d.join("logs")).unwrap();
    ok(d, &["log", "init", "log", "--key", "log.key"]);
    ok(d, &["synth", "registrants", "--rows", "20", "--seed", "7", "--out", "reg.csv"]);
    let s = Server::start(d);
    policy(d, &s.url());
    ok(
        d,
        &[
            "issue", "--log", "log", "--key", "log.key", "--input", "reg.csv", "--out", "bundles",
            "--policy", "policy",
        ],
    );
    let csv = std::fs::read_to_string(d.join("reg.csv")).unwrap();
    let id = csv.lines().nth(1).unwrap().split(',').next().unwrap().to_owned();
    let bundle = format!("bundles/{id}.json");
    ok(d, &["verify", &bundle, "--policy", "policy", "--log", "log"]);
    ok(d, &["revoke", "--log", "log", "--key", "log.key", "--id", &id, "--policy", "policy"]);
    ok(d, &["verify-checkpoint", "log/checkpoint", "--policy", "policy"]);
    // The witness down: the revocation is committed, but not witnessed (exit 3, named).
    s.kill();
    let id2 = csv.lines().nth(2).unwrap().split(',').next().unwrap().to_owned();
    code(
        d,
        &["revoke", "--log", "log", "--key", "log.key", "--id", &id2, "--policy", "policy"],
        3,
        "w1: unreachable",
    );
    ok(d, &["synth", "registrants", "--rows", "3", "--seed", "8", "--out", "more.csv"]);
    let more = std::fs::read_to_string(d.join("more.csv")).unwrap().replace("cred-", "more-");
    std::fs::write(d.join("more.csv"), more).unwrap();
    code(
        d,
        &[
            "issue", "--log", "log", "--key", "log.key", "--input", "more.csv", "--out", "b2", "--policy",
            "policy",
        ],
        3,
        "w1: unreachable",
    );
    // Back up: the same command finishes.
    let s = Server::start(d);
    policy(d, &s.url());
    ok(
        d,
        &[
            "issue", "--log", "log", "--key", "log.key", "--input", "more.csv", "--out", "b2", "--policy",
            "policy",
        ],
    );
}

/// A log of the test's own, grown one step at a time: the signed checkpoint of every size.
fn history(dir: &Path, key: &SignerKey, tag: &str, sizes: u64) -> Vec<Vec<u8>> {
    drop(Log::init(dir, key.clone()).unwrap());
    let mut steps = vec![std::fs::read(dir.join("checkpoint")).unwrap()];
    for s in 1..=sizes {
        let mut log = Log::open(dir, key.clone(), LockMode::Wait, &mut || {}).unwrap();
        log.append(std::iter::once(Ok(format!("{tag}{s}").into_bytes())), &mut |_, _| {}).unwrap();
        steps.push(std::fs::read(dir.join("checkpoint")).unwrap());
    }
    steps
}

fn request(dir: &Path, steps: &[Vec<u8>], old: u64, size: u64) -> Vec<u8> {
    let proof = if old == 0 || old >= size {
        vec![]
    } else {
        tlog::prove_consistency(&DirFetch(dir.to_owned()), old, Some(size)).unwrap()
    };
    AddCheckpointRequest { old_size: old, proof, checkpoint: steps[size as usize].clone() }.to_bytes()
}

/// Sends raw bytes, reads the answer to the end; the status code, or 0 if none came.
fn raw(addr: SocketAddr, bytes: &[u8], shutdown_write: bool) -> u16 {
    let Ok(mut s) = std::net::TcpStream::connect(addr) else { return 0 };
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    if s.write_all(bytes).is_err() {
        return 0;
    }
    if shutdown_write {
        let _ = s.shutdown(std::net::Shutdown::Write);
    }
    let mut answer = Vec::new();
    let _ = s.read_to_end(&mut answer);
    let head = String::from_utf8_lossy(&answer[..answer.len().min(12)]).into_owned();
    head.strip_prefix("HTTP/1.1 ").and_then(|c| c.get(..3)).and_then(|c| c.parse().ok()).unwrap_or(0)
}

fn post(path: &str, body: &[u8]) -> Vec<u8> {
    let mut r = format!(
        "POST {path} HTTP/1.1\r\nHost: w\r\nConnection: close\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    r.extend_from_slice(body);
    r
}

#[test]
fn a_thousand_hostile_requests_get_4xx_and_the_witness_stays_up() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    setup(d, 1);
    let key = SignerKey::from_seed("example.org/hostile", KeyKind::Ed25519, &[4; 32]).unwrap();
    let stranger = SignerKey::from_seed("stranger.example/log", KeyKind::Ed25519, &[5; 32]).unwrap();
    std::fs::write(d.join("logs"), format_verifier_key(&key.verifier) + "\n").unwrap();
    let steps = history(&d.join("h"), &key, "e", 8);
    let strange = history(&d.join("s"), &stranger, "e", 2);
    let s = Server::start(d);
    let good = request(&d.join("h"), &steps, 0, 5);
    assert_eq!(raw(s.addr, &post("/add-checkpoint", &good), false), 200);

    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let mut counts = std::collections::BTreeMap::<(&str, u16), u32>::new();
    let start = Instant::now();
    for i in 0..1000u32 {
        let r = rng.next();
        let (kind, want, got) = match i % 12 {
            0 => (
                "oversized",
                413,
                raw(
                    s.addr,
                    b"POST /add-checkpoint HTTP/1.1\r\nHost: w\r\nContent-Length: 1000000000\r\n\r\n",
                    false,
                ),
            ),
            1 => (
                "malformed note",
                400,
                raw(
                    s.addr,
                    &post(
                        "/add-checkpoint",
                        b"old 5\n\nexample.org/hostile\n5\nnot-a-hash\n\n\xe2\x80\x94 x AAAA\n",
                    ),
                    false,
                ),
            ),
            2 => {
                let m = ["GET", "PUT", "DELETE", "PATCH"][(r % 4) as usize];
                ("wrong method", 405, raw(s.addr, format!("{m} /add-checkpoint HTTP/1.1\r\nHost: w\r\nConnection: close\r\nContent-Length: 0\r\n\r\n").as_bytes(), false))
            }
            3 => {
                let p = ["/", "/add-checkpoint/x", "/sign-subtree", "/../state", "/add-checkpoint%00"]
                    [(r % 5) as usize];
                ("wrong path", 404, raw(s.addr, &post(p, &good), false))
            }
            4 => {
                let mut b = b"old 5\n".to_vec();
                b.extend_from_slice(["!!!!not base64!!!\n", "AAAA\n", "====\n"][(r % 3) as usize].as_bytes());
                b.extend_from_slice(b"\n");
                b.extend_from_slice(&steps[6]);
                ("bad base64", 400, raw(s.addr, &post("/add-checkpoint", &b), false))
            }
            5 => {
                let old = ["99999999999999999999999", "18446744073709551615", "007"][(r % 3) as usize];
                let mut b = format!("old {old}\n\n").into_bytes();
                b.extend_from_slice(&steps[6]);
                ("huge size", 400, raw(s.addr, &post("/add-checkpoint", &b), false))
            }
            6 => (
                "unknown origin",
                404,
                raw(s.addr, &post("/add-checkpoint", &request(&d.join("s"), &strange, 0, 2)), false),
            ),
            7 => {
                let cut = (r % good.len() as u64) as usize;
                ("truncated body", 400, raw(s.addr, &post("/add-checkpoint", &good[..cut]), false))
            }
            8 => {
                // Declares more than it sends, then closes its side.
                let cut = (r % good.len() as u64) as usize;
                let mut req = format!(
                    "POST /add-checkpoint HTTP/1.1\r\nHost: w\r\nContent-Length: {}\r\n\r\n",
                    good.len()
                )
                .into_bytes();
                req.extend_from_slice(&good[..cut]);
                ("body cut short", 400, raw(s.addr, &req, true))
            }
            9 => {
                let junk: Vec<u8> = (0..(r % 2000 + 1)).map(|_| (rng.next() & 0xff) as u8).collect();
                ("random bytes", 400, raw(s.addr, &junk, true))
            }
            10 => {
                let junk: Vec<u8> = (0..(r % 4000)).map(|_| (rng.next() & 0xff) as u8).collect();
                ("random body", 400, raw(s.addr, &post("/add-checkpoint", &junk), false))
            }
            _ => {
                let mut forged = request(&d.join("h"), &steps, 5, 6);
                let at = forged.len() - 3;
                forged[at] = if forged[at] == b'A' { b'B' } else { b'A' };
                ("forged signature", 403, raw(s.addr, &post("/add-checkpoint", &forged), false))
            }
        };
        *counts.entry((kind, got)).or_default() += 1;
        assert_eq!(got, want, "request {i} ({kind})");
    }
    let took = start.elapsed();
    eprintln!("1000 hostile requests in {took:?}: {counts:?}");
    // Still up, still right: the next good request is cosigned from size 5.
    assert_eq!(raw(s.addr, &post("/add-checkpoint", &request(&d.join("h"), &steps, 5, 8)), false), 200);
    assert!(s.child.try_wait_ok());
    assert!(!s.stderr.lock().unwrap().contains("panicked"), "{}", s.stderr.lock().unwrap());
}

trait Alive {
    fn try_wait_ok(&self) -> bool;
}

impl Alive for Child {
    fn try_wait_ok(&self) -> bool {
        // A shared reference cannot wait; /proc tells whether the process is still there.
        PathBuf::from(format!("/proc/{}", self.id())).exists()
    }
}

#[test]
fn killed_at_random_moments_it_never_forgets_a_cosignature_nor_cosigns_a_fork() {
    let kills = env_or("WITNESS_CRASH_KILLS", 20);
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    setup(d, 1);
    let key = SignerKey::from_seed("example.org/crash", KeyKind::Ed25519, &[6; 32]).unwrap();
    std::fs::write(d.join("logs"), format_verifier_key(&key.verifier) + "\n").unwrap();
    let total = 400;
    let (hd, fd) = (d.join("h"), d.join("f"));
    let steps = history(&hd, &key, "e", total);
    let fork = history(&fd, &key, "x", total);
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(5)))
        .build()
        .into();
    let send = |s: &Server, body: Vec<u8>| -> Option<(u16, String)> {
        let mut r = agent.post(format!("{}/add-checkpoint", s.url())).send(&body[..]).ok()?;
        Some((r.status().as_u16(), r.body_mut().read_to_string().ok()?))
    };
    let probe = |s: &Server| -> u64 {
        match send(s, request(&hd, &steps, total, total)).unwrap() {
            (409, body) => body.trim().parse().unwrap(),
            (200, _) => total,
            (c, body) => panic!("{c} {body}"),
        }
    };
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut acknowledged = 0u64; // the largest size a 200 was received for
    let mut next = 1u64;
    let mut cosigned_in_total = 0;
    let mut rounds = 0;
    // Kills that landed after the state was written but before the client read the 200.
    let mut ahead = 0;
    for round in 0..kills {
        rounds += 1;
        if next > total {
            break;
        }
        let s = Server::start(d);
        // The witness's size after the restart (asked with an old size it cannot have unless it
        // is done): at least the last acknowledged.
        let size = probe(&s);
        assert!(
            size >= acknowledged,
            "round {round}: the witness forgot a cosignature: {size} < {acknowledged}"
        );
        if size > acknowledged {
            ahead += 1;
        }
        // Never a fork: the other history at its size and beyond is refused.
        if size > 0 {
            assert_eq!(send(&s, request(&fd, &fork, size, size)).unwrap().0, 422);
            assert_eq!(send(&s, request(&fd, &fork, size, total)).unwrap().0, 422);
        }
        next = next.max(size + 1);
        // A stream of good calls on a thread, killed at a random moment: after a random number
        // of acknowledged calls (whatever this machine's speed) and a random 0-4 ms more, so the
        // kill lands anywhere in a call, fsync and rename included.
        let remaining = total.saturating_sub(size);
        let rounds_left = kills - round;
        let kill_at =
            rng.next() % (2 * remaining / rounds_left).min(remaining.saturating_sub(rounds_left)).max(1);
        let extra = Duration::from_micros(rng.next() % 4000);
        let count = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let stream = {
            let (hd, steps, url, count) = (hd.clone(), steps.clone(), s.url(), count.clone());
            let agent = agent.clone();
            std::thread::spawn(move || {
                let mut acked = Vec::new();
                let mut old = size;
                for n in (old + 1).min(total)..=total {
                    let body = request(&hd, &steps, old, n);
                    match agent.post(format!("{url}/add-checkpoint")).send(&body[..]) {
                        Ok(r) if r.status().as_u16() == 200 => {
                            acked.push(n);
                            old = n;
                            count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        }
                        _ => break,
                    }
                }
                acked
            })
        };
        let waiting = Instant::now();
        while count.load(std::sync::atomic::Ordering::SeqCst) < kill_at
            && !stream.is_finished()
            && waiting.elapsed() < Duration::from_secs(30)
        {
            std::thread::sleep(Duration::from_micros(200));
        }
        std::thread::sleep(extra);
        s.kill();
        let acked = stream.join().unwrap();
        cosigned_in_total += acked.len();
        if let Some(&last) = acked.last() {
            acknowledged = last;
            next = last + 1;
        }
    }
    // Finally: the state reads, and the honest history continues from what was acknowledged.
    let s = Server::start(d);
    let size = probe(&s);
    assert!(size >= acknowledged);
    if size < total {
        assert_eq!(send(&s, request(&hd, &steps, size, total)).unwrap().0, 200);
    }
    eprintln!(
        "{rounds} kills: {cosigned_in_total} cosignatures acknowledged, last {acknowledged}, witness at {size}; {ahead} restarts found the witness ahead of its last acknowledged answer"
    );
    assert_eq!(rounds, kills, "the stream ended before every kill: make it longer");
}

#[test]
fn sixteen_threads_racing_forked_checkpoints_over_http_get_one_root_per_size() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    setup(d, 1);
    let key = SignerKey::from_seed("example.org/race", KeyKind::Ed25519, &[8; 32]).unwrap();
    std::fs::write(d.join("logs"), format_verifier_key(&key.verifier) + "\n").unwrap();
    let sizes = 30;
    let (ad, bd) = (d.join("a"), d.join("b"));
    let a = std::sync::Arc::new(history(&ad, &key, "a", sizes));
    let b = std::sync::Arc::new(history(&bd, &key, "b", sizes));
    let s = Server::start(d);
    let cosigned = std::sync::Arc::new(std::sync::Mutex::new(Vec::<(u64, Vec<u8>)>::new()));
    let threads: Vec<_> = (0..16u64)
        .map(|i| {
            let (a, b, ad, bd, url, cosigned) =
                (a.clone(), b.clone(), ad.clone(), bd.clone(), s.url(), cosigned.clone());
            std::thread::spawn(move || {
                let agent: ureq::Agent = ureq::Agent::config_builder()
                    .http_status_as_error(false)
                    .timeout_global(Some(Duration::from_secs(10)))
                    .build()
                    .into();
                let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ (i + 1));
                // As a client does: from the size the witness last gave (409), a checkpoint of
                // one fork or the other a little larger; both forks race for every size.
                let mut known = 0u64;
                for _ in 0..40 {
                    if known >= sizes {
                        break;
                    }
                    let (dir, steps) = if rng.next().is_multiple_of(2) { (&ad, &a) } else { (&bd, &b) };
                    let size = (known + 1 + rng.next() % 2).min(sizes);
                    let body = request(dir, steps, known, size);
                    let mut r = agent.post(format!("{url}/add-checkpoint")).send(&body[..]).unwrap();
                    match r.status().as_u16() {
                        200 => {
                            let note = verifier::parse_note(&steps[size as usize]).unwrap();
                            let cp = verifier::parse_checkpoint(&note.text).unwrap();
                            cosigned.lock().unwrap().push((size, cp.root_hash.0.to_vec()));
                            known = size;
                        }
                        409 => known = r.body_mut().read_to_string().unwrap().trim().parse().unwrap(),
                        // The other fork won this size: this one is refused from now on.
                        422 => {}
                        other => panic!("{other}"),
                    }
                }
            })
        })
        .collect();
    for th in threads {
        th.join().unwrap();
    }
    let c = cosigned.lock().unwrap();
    for (size, root) in c.iter() {
        assert!(c.iter().all(|(s2, r2)| s2 != size || r2 == root), "two roots cosigned for size {size}");
    }
    // And one history: every cosigned root is fork a's, or every one is fork b's.
    let of_a = c
        .iter()
        .filter(|(size, root)| {
            let note = verifier::parse_note(&a[*size as usize]).unwrap();
            verifier::parse_checkpoint(&note.text).unwrap().root_hash.0.to_vec() == *root
        })
        .count();
    assert!(of_a == 0 || of_a == c.len(), "both forks cosigned: {of_a} of {}", c.len());
    eprintln!("16 threads racing two forks over HTTP: {} cosigned, one root per size, one history", c.len());
    assert!(!c.is_empty());
}

/// `log witness` (the log-side writer: the cosignature attached to LOGDIR/checkpoint and the
/// witness's size kept in LOGDIR/.witness-sizes) killed with SIGKILL at random moments
/// (`LOG_WITNESS_KILLS`, default 20): the log's checkpoint always still verifies under the
/// log's key, and the same command run again meets the quorum.
#[test]
fn log_witness_killed_at_random_moments_is_finished_by_a_rerun() {
    let kills = env_or("LOG_WITNESS_KILLS", 20);
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    setup(d, 5);
    let w = Server::start(d);
    policy(d, &w.url());
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let mut killed_running = 0;
    for _ in 0..kills {
        append(d, 3);
        let mut child = Command::new(env!("CARGO_BIN_EXE_ledgerless"))
            .args(["log", "witness", "log", "--policy", "policy"])
            .current_dir(d)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(rng.next() % 40));
        if child.try_wait().unwrap().is_none() {
            killed_running += 1;
        }
        let _ = child.kill();
        child.wait().unwrap();
        ok(d, &["verify-checkpoint", "log/checkpoint", "--vkey", "log.pub"]);
        code(d, &["log", "witness", "log", "--policy", "policy"], 0, "meets the policy's quorum");
        ok(d, &["verify-checkpoint", "log/checkpoint", "--policy", "policy"]);
    }
    eprintln!(
        "log witness killed {killed_running} of {kills} times while running; every re-run met the quorum"
    );
    assert!(killed_running > 0, "no kill landed while `log witness` ran");
    w.kill();
}
