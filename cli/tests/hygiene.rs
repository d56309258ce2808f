//! Issue 12, items 8, 9 and 11: outputs never clobber (existing files refused unless
//! `--force`, a log's own files never, the input bundle never), inputs and arguments are all
//! checked before anything is written or printed, and `serve` sends security headers and
//! serves nothing outside its directory.

use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

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

/// Runs a command that must fail with exit `code`, `stderr_has` on stderr and nothing on stdout.
fn fails(dir: &Path, args: &[&str], code: i32, stderr_has: &str) -> String {
    let o = run(dir, args);
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(o.status.code(), Some(code), "{args:?}: {err}");
    assert!(err.contains(stderr_has), "{args:?}: want {stderr_has:?} in {err}");
    assert!(o.stdout.is_empty(), "{args:?} printed {:?}", String::from_utf8_lossy(&o.stdout));
    err
}

/// Everything under `dir`, for before/after comparisons.
fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    fn walk(p: &Path, base: &Path, out: &mut Vec<(String, Vec<u8>)>) {
        for e in std::fs::read_dir(p).expect("read_dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                walk(&p, base, out);
            } else {
                let rel = p.strip_prefix(base).expect("base").display().to_string();
                out.push((rel, std::fs::read(&p).expect("read")));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// No temporary file of an output write is left behind in `dir`.
fn no_temp_files(dir: &Path) {
    let left: Vec<String> = std::fs::read_dir(dir)
        .expect("read_dir")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

/// A log with keys: issuer.key/.pub (log), w1.key/.pub (witness), logdir with 3 entries.
fn log_setup() -> (tempfile::TempDir, PathBuf) {
    let t = tempfile::tempdir().expect("tempdir");
    let d = t.path().to_owned();
    ok(&d, &["keygen", "--name", "register.example.org/log", "--out", "issuer"]);
    ok(&d, &["keygen", "--name", "witness.example.net/w1", "--out", "w1", "--witness"]);
    ok(&d, &["log", "init", "logdir", "--key", "issuer.key"]);
    std::fs::write(d.join("three.txt"), "a\nb\nc\n").expect("write");
    ok(&d, &["log", "append", "logdir", "--key", "issuer.key", "--lines", "-q", "three.txt"]);
    (t, d)
}

#[test]
fn log_proof_never_writes_over_the_log_or_an_existing_file() {
    let (_t, d) = log_setup();
    let before = tree(&d.join("logdir"));
    for target in ["logdir/checkpoint", "logdir/tile/0/000", "logdir/tile/entries/000", "logdir/.lock"] {
        for force in [false, true] {
            let mut args = vec!["log", "proof", "logdir", "--index", "0", "--out", target];
            if force {
                args.push("--force");
            }
            fails(&d, &args, 2, "files of the log");
        }
    }
    // Also through another spelling of the same directory.
    fails(
        &d,
        &["log", "proof", "logdir", "--index", "0", "--out", "./logdir/../logdir/checkpoint", "--force"],
        2,
        "files of the log",
    );
    assert_eq!(tree(&d.join("logdir")), before, "the log changed");
    ok(&d, &["audit", "logdir", "--vkey", "issuer.pub"]);

    ok(&d, &["log", "proof", "logdir", "--index", "0", "--out", "p.tlog-proof"]);
    let first = std::fs::read(d.join("p.tlog-proof")).expect("proof");
    assert!(first.starts_with(verifier::TLOG_PROOF_HEADER.as_bytes()));
    fails(&d, &["log", "proof", "logdir", "--index", "1", "--out", "p.tlog-proof"], 2, "already exists");
    assert_eq!(std::fs::read(d.join("p.tlog-proof")).expect("proof"), first);
    ok(&d, &["log", "proof", "logdir", "--index", "1", "--out", "p.tlog-proof", "--force"]);
    assert_ne!(std::fs::read(d.join("p.tlog-proof")).expect("proof"), first);
    fails(&d, &["log", "proof", "logdir", "--index", "1", "--out", "."], 2, "directory");
    no_temp_files(&d);
}

#[test]
fn keygen_refuses_a_directory_prefix() {
    let t = tempfile::tempdir().expect("tempdir");
    let d = t.path();
    std::fs::create_dir(d.join("keys")).expect("mkdir");
    for prefix in ["keys/", "keys", "newdir/", "."] {
        fails(d, &["keygen", "--name", "a.example/log", "--out", prefix], 2, "names a directory");
    }
    assert!(!d.join("keys/.key").exists() && !d.join("keys/.pub").exists() && !d.join("newdir").exists());
    ok(d, &["keygen", "--name", "a.example/log", "--out", "keys/a"]);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(d.join("keys/a.key")).expect("key").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    fails(d, &["keygen", "--name", "a.example/log", "--out", "keys/a"], 2, "refusing to overwrite");
    no_temp_files(&d.join("keys"));
}

#[test]
fn append_checks_every_input_before_printing_or_appending() {
    let (_t, d) = log_setup();
    std::fs::create_dir(d.join("kd")).expect("mkdir");
    std::fs::write(d.join("file3"), "x\ny\nz\n").expect("write");
    let before = tree(&d.join("logdir"));
    for mode in [&["--lines"][..], &[][..]] {
        let base = [&["log", "append", "logdir", "--key", "issuer.key"][..], mode].concat();
        fails(&d, &[&base[..], &["file3", "kd"]].concat(), 2, "kd is a directory");
        fails(&d, &[&base[..], &["file3", "missing"]].concat(), 2, "missing");
        fails(&d, &[&base[..], &["-", "file3", "-"]].concat(), 2, "more than once");
    }
    assert_eq!(tree(&d.join("logdir")), before, "the log changed");
    let out = ok(&d, &["log", "append", "logdir", "--key", "issuer.key", "--lines", "file3"]);
    assert_eq!(out.lines().count(), 3);
}

#[test]
fn a_witness_key_is_named_where_a_log_key_is_expected() {
    let (_t, d) = log_setup();
    let err = fails(
        &d,
        &["witness", "cosign", "--key", "w1.key", "--log", "logdir", "--vkey", "w1.pub", "--state", "ws"],
        2,
        "witness (cosignature) key, not a log key",
    );
    assert!(!err.contains("malformed checkpoint") && !err.contains("no trusted key"), "{err}");
    fails(&d, &["audit", "logdir", "--vkey", "w1.pub"], 2, "witness (cosignature) key, not a log key");
    fails(
        &d,
        &["verify-checkpoint", "logdir/checkpoint", "--vkey", "w1.pub"],
        2,
        "witness (cosignature) key",
    );
    // The right key still works.
    ok(
        &d,
        &["witness", "cosign", "--key", "w1.key", "--log", "logdir", "--vkey", "issuer.pub", "--state", "ws"],
    );
}

/// An issuer with a log and one issued full bundle, `bundles/<id>.json`; returns its path.
fn issued() -> (tempfile::TempDir, PathBuf, String) {
    let t = tempfile::tempdir().expect("tempdir");
    let d = t.path().to_owned();
    ok(&d, &["keygen", "--name", "gmc.example.org/register", "--out", "gmc"]);
    ok(&d, &["log", "init", "log", "--key", "gmc.key"]);
    ok(&d, &["synth", "registrants", "--rows", "3", "--seed", "7", "--out", "reg.csv"]);
    ok(&d, &["issue", "--log", "log", "--key", "gmc.key", "--input", "reg.csv", "--out", "bundles"]);
    let first = std::fs::read_dir(d.join("bundles"))
        .expect("bundles")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "json"))
        .expect("a bundle");
    let rel = first.strip_prefix(&d).expect("rel").display().to_string();
    (t, d, rel)
}

#[test]
fn synth_disclose_and_share_never_clobber() {
    let (_t, d, b) = issued();

    // synth registrants: CSV only; an existing file only with --force.
    fails(&d, &["synth", "registrants", "--rows", "3", "--out", "x.parquet"], 2, "CSV only");
    assert!(!d.join("x.parquet").exists());
    let csv = std::fs::read(d.join("reg.csv")).expect("csv");
    fails(&d, &["synth", "registrants", "--rows", "5", "--out", "reg.csv"], 2, "already exists");
    assert_eq!(std::fs::read(d.join("reg.csv")).expect("csv"), csv);
    ok(&d, &["synth", "registrants", "--rows", "5", "--out", "reg.csv", "--force"]);
    assert_ne!(std::fs::read(d.join("reg.csv")).expect("csv"), csv);
    fails(&d, &["synth", "patients", "--rows", "5", "--out", "reg.csv"], 2, "already exists");

    // disclose: never over its own input, even with --force; an existing file only with --force.
    let full = std::fs::read(d.join(&b)).expect("bundle");
    for force in [false, true] {
        let mut args = vec!["disclose", b.as_str(), "--claims", "name", "--out", b.as_str()];
        if force {
            args.push("--force");
        }
        fails(&d, &args, 2, "is the input bundle");
    }
    let dotted = format!("./bundles/../{b}");
    fails(&d, &["disclose", &b, "--claims", "name", "--out", &dotted, "--force"], 2, "input bundle");
    assert_eq!(std::fs::read(d.join(&b)).expect("bundle"), full, "the full bundle was replaced");
    std::fs::write(d.join("taken.json"), "keep me").expect("write");
    fails(&d, &["disclose", &b, "--claims", "name", "--out", "taken.json"], 2, "already exists");
    assert_eq!(std::fs::read(d.join("taken.json")).expect("read"), b"keep me");
    ok(&d, &["disclose", &b, "--claims", "name", "--out", "taken.json", "--force"]);
    assert!(std::fs::read_to_string(d.join("taken.json")).expect("read").contains("disclosure"));
    fails(
        &d,
        &["disclose", &b, "--claims", "name", "--out", "log/checkpoint", "--force"],
        2,
        "files of the log",
    );

    // share --qr: an existing file only with --force; nothing printed when refused.
    std::fs::write(d.join("victim.txt"), "precious").expect("write");
    let site = "https://verify.example.org/";
    fails(&d, &["share", "taken.json", "--site", site, "--qr", "victim.txt"], 2, "already exists");
    assert_eq!(std::fs::read(d.join("victim.txt")).expect("read"), b"precious");
    let link = ok(&d, &["share", "taken.json", "--site", site, "--qr", "victim.txt", "--force"]);
    assert!(link.starts_with("https://verify.example.org/#c1u="), "{link}");
    assert!(std::fs::read_to_string(d.join("victim.txt")).expect("read").contains("<svg"));
    no_temp_files(&d);
    no_temp_files(&d.join("bundles"));
}

#[test]
fn share_and_demo_want_an_http_site_url() {
    let (_t, d, b) = issued();
    for site in
        ["javascript:alert(1)//", "", "not a url", "https://", "//evil.example/", "file:///etc/passwd"]
    {
        fails(&d, &["share", &b, "--site", site], 2, "--site");
    }
    ok(&d, &["share", &b, "--site", "http://127.0.0.1:8080/"]);
    // Both refusals come before anything is built (no app is even needed).
    fails(&d, &["demo", "--out", "demo1", "--site-url", "not a url", "--app", "nowhere"], 2, "--site-url");
    fails(&d, &["demo", "--out", "demo2", "--serve", "0.0.0.0:8080", "--app", "nowhere"], 2, "loopback");
    fails(&d, &["demo", "--out", "demo3", "--serve", "nonsense", "--app", "nowhere"], 2, "not an address");
    assert!(!d.join("demo1").exists() && !d.join("demo2").exists() && !d.join("demo3").exists());
}

/// `ledgerless serve`, killed (by its own id) on drop.
struct Server(Child, u16);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(dir: &Path) -> Server {
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    let child = Command::new(env!("CARGO_BIN_EXE_ledgerless"))
        .arg("serve")
        .arg(dir)
        .args(["--addr", &format!("127.0.0.1:{port}")])
        .stderr(Stdio::null())
        .spawn()
        .expect("serve");
    let server = Server(child, port);
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "serve did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    server
}

/// A raw HTTP/1.1 GET (the path sent exactly as given): status, lower-cased headers, body.
fn get(port: u16, path: &str) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(20))).expect("timeout");
    write!(s, "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n").expect("send");
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).expect("read");
    let split = buf.windows(4).position(|w| w == b"\r\n\r\n").expect("end of headers");
    let head = String::from_utf8_lossy(&buf[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines.next().and_then(|l| l.split(' ').nth(1)).and_then(|c| c.parse().ok()).expect("status");
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    (status, headers, buf[split + 4..].to_vec())
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

fn assert_security_headers(headers: &[(String, String)], what: &str) {
    assert_eq!(header(headers, "x-content-type-options"), Some("nosniff"), "{what}");
    assert_eq!(header(headers, "referrer-policy"), Some("no-referrer"), "{what}");
    assert_eq!(header(headers, "x-frame-options"), Some("DENY"), "{what}");
    let csp = header(headers, "content-security-policy").unwrap_or_else(|| panic!("{what}: no CSP"));
    assert!(csp.contains("default-src 'none'") || csp.starts_with("default-src 'self'"), "{what}: {csp}");
    assert!(csp.ends_with("frame-ancestors 'none'"), "{what}: {csp}");
}

#[cfg(unix)]
#[test]
fn serve_sends_security_headers_and_nothing_outside_its_directory() {
    let t = tempfile::tempdir().expect("tempdir");
    let (site, outside) = (t.path().join("site"), t.path().join("outside"));
    std::fs::create_dir_all(site.join("sub")).expect("mkdir");
    std::fs::create_dir_all(&outside).expect("mkdir");
    std::fs::write(outside.join("secret.txt"), "TOP SECRET").expect("write");
    // A page like Trunk's: an inline loader, which the header must allow by hash.
    let loader = "import init from '/app.js'; init();";
    std::fs::write(
        site.join("index.html"),
        format!(
            "<html><head><meta charset=\"utf-8\" /><script type=\"module\">{loader}</script></head></html>"
        ),
    )
    .expect("write");
    std::fs::write(site.join("sub/page.html"), "<html><head><meta charset=\"utf-8\" />\n    <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'self'; connect-src 'self' https://log.example\" /></head></html>").expect("write");
    std::fs::write(site.join("data.json"), "{\"ok\":true}").expect("write");
    std::os::unix::fs::symlink(outside.join("secret.txt"), site.join("leak.txt")).expect("symlink");
    std::os::unix::fs::symlink(&outside, site.join("leakdir")).expect("symlink");
    std::os::unix::fs::symlink("/etc/passwd", site.join("passwd")).expect("symlink");
    std::os::unix::fs::symlink(site.join("data.json"), site.join("alias.json")).expect("symlink");
    let server = serve(&site);
    let port = server.1;

    let (status, headers, body) = get(port, "/data.json");
    assert_eq!((status, body.as_slice()), (200, &b"{\"ok\":true}"[..]));
    assert_security_headers(&headers, "/data.json");
    let csp = header(&headers, "content-security-policy").expect("csp");
    for part in
        ["script-src 'self' 'wasm-unsafe-eval'", "connect-src 'self'", "base-uri 'none'", "object-src 'none'"]
    {
        assert!(csp.contains(part), "{part} missing from {csp}");
    }

    // The page gets the policy its meta tag would have, inline loader allowed by hash.
    let (status, headers, _) = get(port, "/");
    assert_eq!(status, 200);
    assert_security_headers(&headers, "/");
    let page_csp = header(&headers, "content-security-policy").expect("csp");
    let html = std::fs::read_to_string(site.join("index.html")).expect("index");
    let meta = demo::add_csp(&html, &[]).expect("csp");
    let want = meta.split("content=\"").nth(1).and_then(|r| r.split('"').next()).expect("meta policy");
    assert_eq!(page_csp, format!("{want}; frame-ancestors 'none'"));
    assert!(page_csp.contains("'sha256-"), "{page_csp}");
    // A page with its own meta policy keeps it.
    let (status, headers, _) = get(port, "/sub/page.html");
    assert_eq!(status, 200);
    assert_eq!(
        header(&headers, "content-security-policy"),
        Some("default-src 'self'; connect-src 'self' https://log.example; frame-ancestors 'none'")
    );

    // A symlink inside the directory is fine; out of it, or any traversal, is not found.
    assert_eq!(get(port, "/alias.json").0, 200);
    for path in [
        "/leak.txt",
        "/leakdir/secret.txt",
        "/leakdir/",
        "/passwd",
        "/../outside/secret.txt",
        "/%2e%2e/outside/secret.txt",
        "/sub/..%2f..%2foutside%2fsecret.txt",
        "/missing.txt",
    ] {
        let (status, headers, body) = get(port, path);
        assert!(status == 404 || status == 400, "{path}: {status}");
        assert!(!String::from_utf8_lossy(&body).contains("TOP SECRET"), "{path} leaked");
        assert!(!String::from_utf8_lossy(&body).contains("root:"), "{path} leaked");
        if status == 404 {
            assert_security_headers(&headers, path);
        }
    }
    drop(server);
}

#[test]
fn serve_refuses_non_loopback_addresses() {
    let t = tempfile::tempdir().expect("tempdir");
    fails(t.path(), &["serve", ".", "--addr", "0.0.0.0:8080"], 2, "loopback");
}
