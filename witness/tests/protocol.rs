//! C2SP tlog-witness, both sides, at the library level and over loopback: every status code
//! of add-checkpoint, forks refused with the state unchanged, restarts, races, and the client
//! gathering cosignatures to a policy quorum with a witness down.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tlog::{DirFetch, LockMode, Log};
use verifier::write::{SignerKey, format_verifier_key};
use verifier::{KeyKind, parse_policy};
use witness::{
    AddCheckpointError, AddCheckpointRequest, Client, KnownLog, SetupError, Witness, WitnessFailure,
};

const NOW: u64 = 1_800_000_000;

fn log_key() -> SignerKey {
    SignerKey::from_seed("example.com/log", KeyKind::Ed25519, &[5; 32]).unwrap()
}

fn other_key() -> SignerKey {
    SignerKey::from_seed("example.com/log", KeyKind::Ed25519, &[9; 32]).unwrap()
}

fn witness_key(seed: u8) -> SignerKey {
    SignerKey::from_seed(&format!("witness.example/w{seed}"), KeyKind::CosignatureV1, &[seed; 32]).unwrap()
}

fn known() -> Vec<KnownLog> {
    vec![KnownLog { key: log_key().verifier, origin: "example.com/log".to_owned() }]
}

/// A log grown in steps, with the signed checkpoint of every step.
struct History {
    dir: PathBuf,
    steps: Vec<(u64, Vec<u8>)>,
}

impl History {
    /// A log in `dir` grown by `sizes` steps, entries tagged `tag` (two tags: two forks).
    fn new(dir: &Path, tag: &str, sizes: &[u64]) -> History {
        drop(Log::init(dir, log_key()).unwrap());
        let mut steps = vec![(0, std::fs::read(dir.join("checkpoint")).unwrap())];
        let mut at = 0;
        for &s in sizes {
            let mut log = Log::open(dir, log_key(), LockMode::Fail, &mut || {}).unwrap();
            log.append((at..s).map(|i| Ok(format!("{tag}{i}").into_bytes())), &mut |_, _| {}).unwrap();
            at = s;
            steps.push((s, std::fs::read(dir.join("checkpoint")).unwrap()));
        }
        History { dir: dir.to_owned(), steps }
    }

    fn checkpoint(&self, size: u64) -> Vec<u8> {
        self.steps.iter().find(|(s, _)| *s == size).unwrap().1.clone()
    }

    /// The add-checkpoint body for the checkpoint of `size`, from `old`, with a true proof.
    fn request(&self, old: u64, size: u64) -> Vec<u8> {
        let proof = if old == 0 || old >= size {
            Vec::new()
        } else {
            tlog::prove_consistency(&DirFetch(self.dir.clone()), old, Some(size)).unwrap()
        };
        AddCheckpointRequest { old_size: old, proof, checkpoint: self.checkpoint(size) }.to_bytes()
    }
}

fn status(r: &Result<String, AddCheckpointError>) -> u16 {
    r.as_ref().map_or_else(AddCheckpointError::status, |_| 200)
}

#[test]
fn every_status_code_of_add_checkpoint() {
    let t = tempfile::tempdir().unwrap();
    let h = History::new(&t.path().join("log"), "e", &[5, 17, 300]);
    let fork = History::new(&t.path().join("fork"), "x", &[17, 300]);
    let state = t.path().join("state");
    let w = Witness::open(witness_key(1), &state, &known()).unwrap();

    // 200 from nothing: one cosignature line that verifies under the witness key.
    let lines = w.add_checkpoint(&h.request(0, 5), NOW).unwrap();
    assert!(
        lines.starts_with("— witness.example/w1 ") && lines.ends_with('\n') && lines.lines().count() == 1
    );
    let note = format!("{}{}", String::from_utf8(h.checkpoint(5)).unwrap(), lines);
    let policy = policy_for(&[(1, None)], "quorum w1\n");
    let v = verifier::verify_checkpoint_with_policy(note.as_bytes(), &policy).unwrap();
    assert_eq!(v.cosignatures[0].timestamp, Some(NOW));

    // 409: stale old size, with the witness's size.
    assert_eq!(w.add_checkpoint(&h.request(0, 17), NOW), Err(AddCheckpointError::Conflict(5)));
    // 400: old size beyond the checkpoint's.
    assert_eq!(status(&w.add_checkpoint(&h.request(300, 17), NOW)), 400);
    // 400: malformed.
    for bad in [&b"old 5\n\nnot a note"[..], b"", b"old x\n\n", b"old 5\nAAAA\n\n"] {
        assert_eq!(status(&w.add_checkpoint(bad, NOW)), 400, "{:?}", String::from_utf8_lossy(bad));
    }
    // 404: unknown origin (a log signed by a key the witness does not know, other origin).
    let stranger = SignerKey::from_seed("stranger.example/log", KeyKind::Ed25519, &[7; 32]).unwrap();
    let sdir = t.path().join("stranger");
    drop(Log::init(&sdir, stranger).unwrap());
    let body = AddCheckpointRequest {
        old_size: 0,
        proof: vec![],
        checkpoint: std::fs::read(sdir.join("checkpoint")).unwrap(),
    };
    assert_eq!(
        w.add_checkpoint(&body.to_bytes(), NOW),
        Err(AddCheckpointError::UnknownOrigin("stranger.example/log".to_owned()))
    );
    // 403: the known origin, signed by another key only.
    let impostor = t.path().join("impostor");
    drop(Log::init(&impostor, other_key()).unwrap());
    let body = AddCheckpointRequest {
        old_size: 5,
        proof: vec![],
        checkpoint: std::fs::read(impostor.join("checkpoint")).unwrap(),
    };
    assert_eq!(status(&w.add_checkpoint(&body.to_bytes(), NOW)), 403);
    // 403: the known key's signature altered.
    let mut cp = h.checkpoint(17);
    let at = cp.len() - 3;
    cp[at] = if cp[at] == b'A' { b'B' } else { b'A' };
    let body = AddCheckpointRequest {
        old_size: 5,
        proof: tlog::prove_consistency(&DirFetch(h.dir.clone()), 5, Some(17)).unwrap(),
        checkpoint: cp,
    };
    assert_eq!(status(&w.add_checkpoint(&body.to_bytes(), NOW)), 403);
    // 403: the known key's valid signature followed by a failing repeat of it (regression: an
    // independent client from the spec got 200 and a cosignature).
    let mut note = verifier::parse_note(&h.checkpoint(17)).unwrap();
    let mut forged = note.signatures[0].clone();
    forged.signature[10] ^= 1;
    note.signatures.push(forged);
    let body = AddCheckpointRequest {
        old_size: 5,
        proof: tlog::prove_consistency(&DirFetch(h.dir.clone()), 5, Some(17)).unwrap(),
        checkpoint: verifier::write::format_note(&note).into_bytes(),
    };
    assert_eq!(status(&w.add_checkpoint(&body.to_bytes(), NOW)), 403);
    // 422: a wrong proof; a proof from size 0; a fork at a larger size.
    let mut wrong = AddCheckpointRequest::parse(&h.request(5, 17)).unwrap();
    wrong.proof[0].0[0] ^= 1;
    assert_eq!(status(&w.add_checkpoint(&wrong.to_bytes(), NOW)), 422);
    assert_eq!(status(&w.add_checkpoint(&fork.request(5, 17), NOW)), 422);
    // 200 onwards, then the same size again (a fresh timestamp), then 422 for the fork's root.
    w.add_checkpoint(&h.request(5, 17), NOW).unwrap();
    w.add_checkpoint(&h.request(17, 17), NOW + 1).unwrap();
    assert_eq!(status(&w.add_checkpoint(&fork.request(17, 17), NOW)), 422);
    let mut nonempty = AddCheckpointRequest::parse(&h.request(17, 300)).unwrap();
    nonempty.old_size = 0;
    let fresh = Witness::open(witness_key(2), &t.path().join("state2"), &known()).unwrap();
    assert_eq!(status(&fresh.add_checkpoint(&nonempty.to_bytes(), NOW)), 422);
    // 422: a size-0 checkpoint whose root is not the empty tree's cannot be signed by our
    // log writer, so it is made by hand.
    let text = format!("example.com/log\n0\n{}\n", verifier::Hash([1; 32]).to_base64());
    let signed = verifier::write::sign_note(&text, &[&log_key()]).unwrap();
    let body = AddCheckpointRequest { old_size: 0, proof: vec![], checkpoint: signed.into_bytes() };
    let fresh3 = Witness::open(witness_key(3), &t.path().join("state3"), &known()).unwrap();
    assert_eq!(status(&fresh3.add_checkpoint(&body.to_bytes(), NOW)), 422);
}

#[test]
fn a_fork_is_refused_and_the_state_is_unchanged_and_survives_a_restart() {
    let t = tempfile::tempdir().unwrap();
    let h = History::new(&t.path().join("log"), "e", &[10, 20, 40]);
    let fork = History::new(&t.path().join("fork"), "x", &[20, 40]);
    let state = t.path().join("state");
    let file = tlog::witness_state_path(&state, "example.com/log");
    {
        let w = Witness::open(witness_key(1), &state, &known()).unwrap();
        w.add_checkpoint(&h.request(0, 10), NOW).unwrap();
        w.add_checkpoint(&h.request(10, 20), NOW).unwrap();
        let before = std::fs::read(&file).unwrap();
        // Same size, other root; larger size, other history; each refused, state untouched.
        assert_eq!(status(&w.add_checkpoint(&fork.request(20, 20), NOW)), 422);
        assert_eq!(status(&w.add_checkpoint(&fork.request(20, 40), NOW)), 422);
        assert_eq!(std::fs::read(&file).unwrap(), before);
        // A second process cannot open the same state.
        assert!(matches!(Witness::open(witness_key(1), &state, &known()), Err(SetupError::Locked(_))));
    }
    // Restarted: it remembers size 20 (409 from 0) and continues from it.
    let w = Witness::open(witness_key(1), &state, &known()).unwrap();
    assert_eq!(w.add_checkpoint(&h.request(0, 40), NOW), Err(AddCheckpointError::Conflict(20)));
    assert_eq!(status(&w.add_checkpoint(&fork.request(20, 40), NOW)), 422);
    w.add_checkpoint(&h.request(20, 40), NOW).unwrap();
    // The CLI's one-shot `witness cosign` reads the same state file.
    drop(w);
    let e = tlog::witness_cosign(
        &witness_key(1),
        &log_key().verifier,
        &DirFetch(fork.dir.clone()),
        &state,
        NOW,
        &mut || {},
    );
    assert!(e.is_err());
}

#[test]
fn racing_conflicting_checkpoints_never_get_two_roots_cosigned_for_one_size() {
    let t = tempfile::tempdir().unwrap();
    let sizes: Vec<u64> = (1..=12).map(|i| i * 7).collect();
    let a = Arc::new(History::new(&t.path().join("a"), "a", &sizes));
    let b = Arc::new(History::new(&t.path().join("b"), "b", &sizes));
    let w = Arc::new(Witness::open(witness_key(1), &t.path().join("state"), &known()).unwrap());
    let cosigned = Arc::new(std::sync::Mutex::new(Vec::<(u64, verifier::Hash)>::new()));
    let threads: Vec<_> = (0..16u64)
        .map(|i| {
            let (a, b, w, cosigned, sizes) =
                (a.clone(), b.clone(), w.clone(), cosigned.clone(), sizes.clone());
            std::thread::spawn(move || {
                let mut x = 0x9E37_79B9_7F4A_7C15u64 ^ (i + 1);
                let mut next = || {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    x
                };
                // Half the calls as a client makes them (from the size the last 409 gave), half
                // from a random older size.
                let mut known = 0u64;
                for _ in 0..60 {
                    let h = if next() % 2 == 0 { &a } else { &b };
                    let bigger: Vec<u64> = sizes.iter().copied().filter(|&s| s > known).collect();
                    let size = if bigger.is_empty() {
                        sizes[(next() % sizes.len() as u64) as usize]
                    } else {
                        bigger[(next() % bigger.len().min(2) as u64) as usize]
                    };
                    let olds: Vec<u64> =
                        std::iter::once(0).chain(sizes.iter().copied().filter(|&s| s <= size)).collect();
                    let old = if next() % 2 == 0 && known <= size {
                        known
                    } else {
                        olds[(next() % olds.len() as u64) as usize]
                    };
                    let r = w.add_checkpoint(&h.request(old, size), NOW);
                    if let Err(AddCheckpointError::Conflict(n)) = r {
                        known = n;
                    }
                    if let Ok(lines) = r {
                        known = size;
                        assert!(lines.starts_with("— "));
                        let cp = verifier::parse_checkpoint(
                            &verifier::parse_note(&h.checkpoint(size)).unwrap().text,
                        )
                        .unwrap();
                        cosigned.lock().unwrap().push((cp.size, cp.root_hash));
                    }
                }
            })
        })
        .collect();
    for th in threads {
        th.join().unwrap();
    }
    let c = cosigned.lock().unwrap();
    assert!(!c.is_empty());
    for (s, r) in c.iter() {
        assert!(c.iter().all(|(s2, r2)| s2 != s || r2 == r), "two roots cosigned for size {s}");
    }
    // And the sizes form one history: every cosigned root is a's or b's, never both.
    let from_a = c.iter().filter(|(s, r)| {
        let cp = verifier::parse_checkpoint(&verifier::parse_note(&a.checkpoint(*s)).unwrap().text).unwrap();
        cp.root_hash == *r
    });
    let n_a = from_a.count();
    assert!(n_a == 0 || n_a == c.len(), "cosigned both histories: {n_a} of {}", c.len());
    eprintln!("race: {} cosignatures, one history", c.len());
}

fn policy_for(witnesses: &[(u8, Option<String>)], quorum: &str) -> verifier::Policy {
    let mut text = format!("log {}\n", format_verifier_key(&log_key().verifier));
    for (seed, url) in witnesses {
        text.push_str(&format!(
            "witness w{seed} {}{}\n",
            format_verifier_key(&witness_key(*seed).verifier),
            url.as_ref().map(|u| format!(" {u}")).unwrap_or_default()
        ));
    }
    text.push_str(quorum);
    parse_policy(text.as_bytes()).unwrap()
}

fn grow(dir: &Path, from: u64, to: u64) {
    let mut log = Log::open(dir, log_key(), LockMode::Fail, &mut || {}).unwrap();
    log.append((from..to).map(|i| Ok(format!("e{i}").into_bytes())), &mut |_, _| {}).unwrap();
}

#[test]
fn the_client_gathers_cosignatures_over_http_and_names_a_witness_that_is_down() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("log");
    drop(Log::init(&dir, log_key()).unwrap());
    grow(&dir, 0, 50);
    let loopback = "127.0.0.1:0".parse().unwrap();
    let w1 = witness::spawn(Witness::open(witness_key(1), &t.path().join("s1"), &known()).unwrap(), loopback)
        .unwrap();
    let w2 = witness::spawn(Witness::open(witness_key(2), &t.path().join("s2"), &known()).unwrap(), loopback)
        .unwrap();
    // A port nobody listens on: bound, then released.
    let down = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let client = Client::new(Duration::from_secs(5));

    let all = policy_for(
        &[(1, Some(w1.url())), (2, Some(w2.url() + "/")), (3, Some(format!("http://{down}")))],
        "group g 2 w1 w2 w3\nquorum g\n",
    );
    let r = witness::witness_log_dir(&dir, &all, &client, LockMode::Fail).unwrap();
    assert!(r.quorum.is_ok(), "{:?}", r.quorum);
    assert!(r.results[0].outcome.is_ok() && r.results[1].outcome.is_ok());
    assert!(matches!(
        r.results[2].outcome,
        Err(WitnessFailure::Submit(witness::SubmitError::Unreachable(_)))
    ));
    assert!(r.failures().starts_with("w3: unreachable"), "{}", r.failures());
    verifier::verify_checkpoint_with_policy(&std::fs::read(dir.join("checkpoint")).unwrap(), &all).unwrap();

    // The log grows; the hint file says 50, so no 409 is needed; then the hint is lost and the
    // client recovers from the 409.
    grow(&dir, 50, 90);
    let r = witness::witness_log_dir(&dir, &all, &client, LockMode::Fail).unwrap();
    assert!(r.quorum.is_ok());
    grow(&dir, 90, 91);
    std::fs::remove_file(dir.join(witness::SIZES_FILE)).unwrap();
    let r = witness::witness_log_dir(&dir, &all, &client, LockMode::Fail).unwrap();
    assert!(r.quorum.is_ok(), "{:?}", r.quorum);

    // Quorum "all" with one down: not met, the down one named.
    let strict = policy_for(
        &[(1, Some(w1.url())), (3, Some(format!("http://{down}"))), (4, None)],
        "group g all w1 w3 w4\nquorum g\n",
    );
    grow(&dir, 91, 95);
    let r = witness::witness_log_dir(&dir, &strict, &client, LockMode::Fail).unwrap();
    assert!(r.quorum.is_err());
    assert!(
        r.failures().contains("w3: unreachable") && r.failures().contains("w4: the policy gives no URL"),
        "{}",
        r.failures()
    );

    // A witness answering with the wrong key (the policy names w5's key at w2's URL).
    let liar = policy_for(&[(5, Some(w2.url()))], "quorum w5\n");
    let r = witness::witness_log_dir(&dir, &liar, &client, LockMode::Fail).unwrap();
    assert!(
        matches!(r.results[0].outcome, Err(WitnessFailure::BadCosignature { .. })),
        "{:?}",
        r.results[0].outcome
    );
    assert!(r.quorum.is_err());

    // A forked log of the same origin: w1 refuses it (422), nothing attached.
    let fork = t.path().join("fork");
    drop(Log::init(&fork, log_key()).unwrap());
    let mut log = Log::open(&fork, log_key(), LockMode::Fail, &mut || {}).unwrap();
    log.append((0..120).map(|i| Ok(format!("x{i}").into_bytes())), &mut |_, _| {}).unwrap();
    drop(log);
    std::fs::copy(dir.join(witness::SIZES_FILE), fork.join(witness::SIZES_FILE)).unwrap();
    let only1 = policy_for(&[(1, Some(w1.url()))], "quorum w1\n");
    let r = witness::witness_log_dir(&fork, &only1, &client, LockMode::Fail).unwrap();
    assert!(
        matches!(
            r.results[0].outcome,
            Err(WitnessFailure::Submit(witness::SubmitError::Refused { status: 422, .. }))
        ),
        "{:?}",
        r.results[0].outcome
    );
    assert!(r.quorum.is_err());
    // The witness's size is 95; a log rolled back below it is told so.
    let small = t.path().join("small");
    drop(Log::init(&small, log_key()).unwrap());
    grow(&small, 0, 3);
    let r = witness::witness_log_dir(&small, &only1, &client, LockMode::Fail).unwrap();
    assert!(matches!(r.results[0].outcome, Err(WitnessFailure::Ahead(95, 3))), "{:?}", r.results[0].outcome);
    w1.stop().unwrap();
    w2.stop().unwrap();
}

/// Raw HTTP: the status codes a client sees, content type of a 409 included.
#[test]
fn status_codes_over_http() {
    let t = tempfile::tempdir().unwrap();
    let h = History::new(&t.path().join("log"), "e", &[4, 9]);
    let w = witness::spawn(
        Witness::open(witness_key(1), &t.path().join("s"), &known()).unwrap(),
        "127.0.0.1:0".parse().unwrap(),
    )
    .unwrap();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .into();
    let url = format!("{}/add-checkpoint", w.url());
    let post = |body: &[u8]| {
        let mut r = agent.post(&url).send(body).unwrap();
        let ct = r.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned());
        (r.status().as_u16(), ct, r.body_mut().read_to_string().unwrap())
    };
    assert_eq!(post(&h.request(0, 4)).0, 200);
    assert_eq!(post(&h.request(0, 9)), (409, Some("text/x.tlog.size".to_owned()), "4\n".to_owned()));
    assert_eq!(post(&h.request(9, 4)).0, 400);
    assert_eq!(post(b"garbage").0, 400);
    // Oversized: refused by its Content-Length before the body is read, or while a chunked
    // body streams in (raw TCP: the status line is read after the whole request is written).
    let raw = |req: &[u8]| {
        use std::io::{Read as _, Write as _};
        let mut s = std::net::TcpStream::connect(w.addr()).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s.write_all(req).unwrap();
        let mut buf = [0u8; 12];
        s.read_exact(&mut buf).unwrap();
        String::from_utf8_lossy(&buf[9..12]).into_owned()
    };
    assert_eq!(raw(b"POST /add-checkpoint HTTP/1.1\r\nHost: w\r\nContent-Length: 99999999\r\n\r\n"), "413");
    let mut chunked =
        b"POST /add-checkpoint HTTP/1.1\r\nHost: w\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    for _ in 0..70 {
        chunked.extend_from_slice(b"400\r\n");
        chunked.extend_from_slice(&[b'a'; 1024]);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    assert_eq!(raw(&chunked), "413");
    assert_eq!(agent.get(&url).call().unwrap().status().as_u16(), 405);
    assert_eq!(agent.post(format!("{}/nope", w.url())).send(&b""[..]).unwrap().status().as_u16(), 404);
    assert_eq!(post(&h.request(4, 9)).0, 200);

    // Monitoring: GET <prefix>/<sha256(origin) hex>/checkpoint, with the witness's cosignature.
    let origin_hash: String = {
        use sha2::Digest as _;
        sha2::Sha256::digest(b"example.com/log").iter().map(|b| format!("{b:02x}")).collect()
    };
    let mut r = agent.get(format!("{}/{origin_hash}/checkpoint", w.url())).call().unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let body = r.body_mut().read_to_vec().unwrap();
    let policy = policy_for(&[(1, None)], "quorum w1\n");
    let v = verifier::verify_checkpoint_with_policy(&body, &policy).unwrap();
    assert_eq!(v.checkpoint.size, 9);
    let other = "0".repeat(64);
    assert_eq!(agent.get(format!("{}/{other}/checkpoint", w.url())).call().unwrap().status().as_u16(), 404);
}

/// A client that connects and sends nothing is disconnected after the header timeout.
#[test]
fn an_idle_connection_is_closed() {
    use std::io::Read as _;
    let t = tempfile::tempdir().unwrap();
    let w = witness::spawn(
        Witness::open(witness_key(1), &t.path().join("s"), &known()).unwrap(),
        "127.0.0.1:0".parse().unwrap(),
    )
    .unwrap();
    let mut s = std::net::TcpStream::connect(w.addr()).unwrap();
    s.set_read_timeout(Some(witness::HEADER_TIMEOUT + Duration::from_secs(10))).unwrap();
    let start = std::time::Instant::now();
    let mut buf = [0u8; 64];
    let n = s.read(&mut buf).unwrap_or(0);
    assert_eq!(n, 0, "closed without an answer");
    let took = start.elapsed();
    assert!(
        took >= witness::HEADER_TIMEOUT - Duration::from_secs(1)
            && took < witness::HEADER_TIMEOUT + Duration::from_secs(5),
        "{took:?}"
    );
}

/// A fake witness on loopback answering every connection with `answer` (or, if `None`,
/// reading the request and never answering).
fn fake_witness(answer: Option<&'static [u8]>) -> String {
    use std::io::{Read as _, Write as _};
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    std::thread::spawn(move || {
        for s in l.incoming() {
            let Ok(mut s) = s else { continue };
            std::thread::spawn(move || {
                let mut buf = [0u8; 65536];
                let _ = s.set_read_timeout(Some(Duration::from_millis(300)));
                let _ = s.read(&mut buf);
                match answer {
                    Some(a) => {
                        let _ = s.write_all(a);
                    }
                    None => std::thread::sleep(Duration::from_secs(30)),
                }
            });
        }
    });
    url
}

#[test]
fn a_witness_answering_garbage_or_nothing_is_named_and_skipped() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("log");
    drop(Log::init(&dir, log_key()).unwrap());
    grow(&dir, 0, 10);
    let real = witness::spawn(
        Witness::open(witness_key(1), &t.path().join("s1"), &known()).unwrap(),
        "127.0.0.1:0".parse().unwrap(),
    )
    .unwrap();
    let garbage200 =
        fake_witness(Some(b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\nConnection: close\r\n\r\nhello\n"));
    let bad409 = fake_witness(Some(b"HTTP/1.1 409 Conflict\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n\r\n7\n"));
    let not_http = fake_witness(Some(b"\x00\x01\x02 nonsense\r\n\r\n"));
    let silent = fake_witness(None);
    let policy = policy_for(
        &[
            (1, Some(real.url())),
            (2, Some(garbage200)),
            (3, Some(bad409)),
            (4, Some(not_http)),
            (5, Some(silent)),
        ],
        "group g any w1 w2 w3 w4 w5\nquorum g\n",
    );
    let start = std::time::Instant::now();
    let r = witness::witness_log_dir(&dir, &policy, &Client::new(Duration::from_secs(2)), LockMode::Fail)
        .unwrap();
    assert!(r.quorum.is_ok(), "{:?}", r.quorum);
    assert!(r.results[0].outcome.is_ok());
    assert!(matches!(r.results[1].outcome, Err(WitnessFailure::BadCosignature { .. })), "{:?}", r.results[1]);
    assert!(
        matches!(r.results[2].outcome, Err(WitnessFailure::Submit(witness::SubmitError::Garbage(_)))),
        "{:?}",
        r.results[2]
    );
    assert!(
        matches!(r.results[3].outcome, Err(WitnessFailure::Submit(witness::SubmitError::Garbage(_)))),
        "{:?}",
        r.results[3]
    );
    assert!(
        matches!(r.results[4].outcome, Err(WitnessFailure::Submit(witness::SubmitError::Unreachable(_)))),
        "{:?}",
        r.results[4]
    );
    let f = r.failures();
    for name in ["w2:", "w3:", "w4:", "w5:"] {
        assert!(f.contains(name), "{f}");
    }
    assert!(start.elapsed() < Duration::from_secs(15), "{:?}", start.elapsed());
    // Only the real witness's cosignature was attached.
    let note = verifier::parse_note(&std::fs::read(dir.join("checkpoint")).unwrap()).unwrap();
    assert_eq!(note.signatures.len(), 2);
    eprintln!("{f}");
}

/// A log whose origin is not its key's name (Go's checksum database) is witnessed under the
/// origin the log list gives, and only under it.
#[test]
fn a_log_listed_with_another_origin_is_witnessed_under_that_origin_only() {
    let t = tempfile::tempdir().unwrap();
    let go = SignerKey::from_seed("sum.golang.org", KeyKind::Ed25519, &[11; 32]).unwrap();
    let list = format!("{} go.sum database tree\n", format_verifier_key(&go.verifier));
    let logs = witness::parse_log_list(list.as_bytes()).unwrap();
    let w = Witness::open(witness_key(1), &t.path().join("s"), &logs).unwrap();
    let signed = |origin: &str| {
        let text = format!("{origin}\n0\n{}\n", verifier::Hash::EMPTY_TREE.to_base64());
        let cp = verifier::write::sign_note(&text, &[&go]).unwrap().into_bytes();
        AddCheckpointRequest { old_size: 0, proof: vec![], checkpoint: cp }.to_bytes()
    };
    w.add_checkpoint(&signed("go.sum database tree"), NOW).unwrap();
    assert_eq!(status(&w.add_checkpoint(&signed("sum.golang.org"), NOW)), 404);
}

fn origin_hash(origin: &str) -> String {
    use sha2::Digest as _;
    sha2::Sha256::digest(origin.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// A checkpoint carrying 100 signature lines (the parse limit): the log's, repeated, 97 by
/// unknown keys and one forged under another witness's name and key ID. It is cosigned, but
/// only the log's verified line and the witness's cosignature are recorded: the next request
/// is answered, the witness restarts, and its monitoring checkpoint verifies for a policy
/// naming the witness whose line was forged.
#[test]
fn a_request_with_a_hundred_signature_lines_records_only_the_verified_ones() {
    let t = tempfile::tempdir().unwrap();
    let h = History::new(&t.path().join("log"), "e", &[5, 17]);
    let state = t.path().join("state");
    let mut note = verifier::parse_note(&h.checkpoint(5)).unwrap();
    let log_sig = note.signatures[0].clone();
    note.signatures.push(log_sig.clone());
    for i in 0..97 {
        note.signatures.push(verifier::NoteSignature { name: format!("junk{i}.example"), ..log_sig.clone() });
    }
    let other_text = verifier::parse_note(&h.checkpoint(17)).unwrap().text;
    note.signatures.push(verifier::write::cosign(&witness_key(2), &other_text, NOW).unwrap());
    assert_eq!(note.signatures.len(), 100);
    let body = AddCheckpointRequest {
        old_size: 0,
        proof: vec![],
        checkpoint: verifier::write::format_note(&note).into_bytes(),
    }
    .to_bytes();
    let w = Witness::open(witness_key(1), &state, &known()).unwrap();
    w.add_checkpoint(&body, NOW).unwrap();
    let served = w.latest_checkpoint(&origin_hash("example.com/log")).unwrap().unwrap();
    let stored = verifier::parse_note(&served).unwrap();
    let names: Vec<&str> = stored.signatures.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["example.com/log", "witness.example/w1"]);
    let policy = policy_for(&[(1, None), (2, None)], "group g any w1 w2\nquorum g\n");
    verifier::verify_checkpoint_with_policy(&served, &policy).unwrap();
    drop(w);
    let w = Witness::open(witness_key(1), &state, &known()).unwrap();
    w.add_checkpoint(&h.request(5, 17), NOW).unwrap();
}

/// A fake witness answering one `add-checkpoint` with `lines` (HTTP 200).
fn fake_answer(lines: &str) -> String {
    let a = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{lines}", lines.len());
    fake_witness(Some(Box::leak(a.into_bytes().into_boxed_slice())))
}

/// A witness answering its valid cosignature twice, or followed by a corrupted one under its
/// name and key ID (a man in the middle can add it on http://): that witness failed, named;
/// the log's checkpoint is unchanged and still verifies.
#[test]
fn an_answer_with_two_lines_for_the_witness_key_is_refused() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("log");
    drop(Log::init(&dir, log_key()).unwrap());
    grow(&dir, 0, 10);
    let before = std::fs::read(dir.join("checkpoint")).unwrap();
    let text = verifier::parse_note(&before).unwrap().text;
    let sig = verifier::write::cosign(&witness_key(1), &text, NOW).unwrap();
    let good =
        verifier::write::format_note(&verifier::Note { text: text.clone(), signatures: vec![sig.clone()] })
            [text.len() + 1..]
            .to_owned();
    let mut bad = sig.clone();
    let last = bad.signature.len() - 1;
    bad.signature[last] ^= 1;
    let corrupt = verifier::write::format_note(&verifier::Note { text: text.clone(), signatures: vec![bad] })
        [text.len() + 1..]
        .to_owned();
    for answer in [format!("{good}{good}"), format!("{good}{corrupt}")] {
        let policy = policy_for(&[(1, Some(fake_answer(&answer)))], "quorum w1\n");
        let r = witness::witness_log_dir(&dir, &policy, &Client::new(Duration::from_secs(5)), LockMode::Fail)
            .unwrap();
        assert!(
            matches!(r.results[0].outcome, Err(WitnessFailure::BadCosignature { .. })),
            "{answer}: {:?}",
            r.results[0].outcome
        );
        assert!(r.failures().starts_with("w1:"), "{}", r.failures());
        assert!(r.quorum.is_err());
        let now = std::fs::read(dir.join("checkpoint")).unwrap();
        assert_eq!(now, before, "{answer}");
        verifier::verify_checkpoint(&now, &log_key().verifier).unwrap();
    }
}

/// A client sending its headers a byte a second is cut off by the header deadline; a witness
/// with such a client connected stops promptly.
#[test]
fn a_slow_header_client_is_cut_off_and_does_not_delay_stop() {
    use std::io::{Read as _, Write as _};
    const HEADER_DEADLINE: Duration = witness::HEADER_TIMEOUT;
    let t = tempfile::tempdir().unwrap();
    let w = witness::spawn(
        Witness::open(witness_key(1), &t.path().join("s"), &known()).unwrap(),
        "127.0.0.1:0".parse().unwrap(),
    )
    .unwrap();
    let slow = |addr| {
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        s.write_all(b"POST /add-checkpoint HTTP/1.1\r\nHost: w\r\n").unwrap();
        let mut writer = s.try_clone().unwrap();
        std::thread::spawn(move || {
            for _ in 0..40 {
                std::thread::sleep(Duration::from_secs(1));
                if writer.write_all(b"X").is_err() {
                    break;
                }
            }
        });
        s
    };
    let mut s = slow(w.addr());
    s.set_read_timeout(Some(HEADER_DEADLINE + Duration::from_secs(5))).unwrap();
    let start = std::time::Instant::now();
    let mut buf = [0u8; 256];
    let n = s.read(&mut buf);
    let took = start.elapsed();
    eprintln!("slow-header client cut off after {took:?}: {n:?}");
    assert!(
        n.is_ok() && took < HEADER_DEADLINE + Duration::from_secs(3),
        "{took:?}: {n:?} {:?}",
        String::from_utf8_lossy(&buf)
    );

    let _s2 = slow(w.addr());
    std::thread::sleep(Duration::from_millis(1500));
    let start = std::time::Instant::now();
    w.stop().unwrap();
    let took = start.elapsed();
    eprintln!("stop() with a slow-header client connected took {took:?}");
    assert!(took < witness::SHUTDOWN_GRACE + Duration::from_secs(2), "stop took {took:?}");
}

/// A log list entry whose state file name would exceed 255 bytes is refused at start, named.
#[test]
fn an_origin_too_long_for_a_state_file_name_is_refused_at_start() {
    let t = tempfile::tempdir().unwrap();
    let origin = format!("example.com/{}", "a/".repeat(100));
    let logs = vec![KnownLog { key: log_key().verifier, origin: origin.clone() }];
    let e = Witness::open(witness_key(1), &t.path().join("s"), &logs).unwrap_err();
    assert!(matches!(e, SetupError::OriginTooLong { .. }), "{e}");
    assert!(e.to_string().contains("too long") && e.to_string().contains("example.com/a/a/"), "{e}");
}

/// Connections over the cap are answered 503 and closed; the witness still answers once the
/// held connections are gone.
#[test]
fn connections_over_the_cap_get_503() {
    use std::io::{Read as _, Write as _};
    let t = tempfile::tempdir().unwrap();
    let w = witness::spawn(
        Witness::open(witness_key(1), &t.path().join("s"), &known()).unwrap(),
        "127.0.0.1:0".parse().unwrap(),
    )
    .unwrap();
    let held: Vec<_> =
        (0..witness::MAX_CONNECTIONS).map(|_| std::net::TcpStream::connect(w.addr()).unwrap()).collect();
    std::thread::sleep(Duration::from_millis(500));
    let mut s = std::net::TcpStream::connect(w.addr()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut answer = String::new();
    let _ = s.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 503 "), "{answer:?}");
    drop(held);
    std::thread::sleep(Duration::from_millis(500));
    let mut s = std::net::TcpStream::connect(w.addr()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(b"GET /nope HTTP/1.1\r\nHost: w\r\nConnection: close\r\n\r\n").unwrap();
    let mut answer = String::new();
    let _ = s.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 404 "), "{answer:?}");
}
