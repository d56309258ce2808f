//! End to end in a real browser: `ledgerless demo` builds the site from the app trunk built
//! (`dist/`), `ledgerless serve` serves it on loopback, and headless Chromium opens each of
//! the four demo links and the release link; the verdict element must say what the link is.
//!
//! Needs `dist/` (scripts/test.sh runs `trunk build --release` first) and Debian's chromium;
//! skips with a reason when either is missing, except under `CI=true`, where it fails.

use std::path::{Path, PathBuf};
mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn chromium() -> Option<PathBuf> {
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"].iter().map(PathBuf::from).find(|p| p.exists())
}

/// Loads `url` in headless Chromium and returns the DOM after scripts ran.
fn dump_dom(chrome: &Path, url: &str, profile: &Path) -> String {
    let out = Command::new(chrome)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--virtual-time-budget=15000",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(url)
        .stderr(Stdio::null())
        .output()
        .expect("run chromium");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn demo_links_give_the_right_verdicts_in_chromium() {
    let Some(dist) = common::dist() else {
        return common::skip_or_fail("dist/ is not built (run `trunk build --release`)");
    };
    let Some(chrome) = chromium() else { return common::skip_or_fail("chromium is not installed") };
    let t = tempfile::tempdir().expect("tempdir");
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port();
    let addr = format!("127.0.0.1:{port}");
    let demo = t.path().join("demo");
    let links = common::build_demo(&dist, &demo, &format!("http://{addr}/site/"));
    // The site runs under a Content-Security-Policy without 'unsafe-inline': the verdicts
    // below can only appear if the policy lets exactly our scripts run.
    let index = std::fs::read_to_string(demo.join("site/index.html")).expect("index.html");
    assert!(
        index.contains("http-equiv=\"Content-Security-Policy\"") && !index.contains("unsafe-inline"),
        "{index}"
    );
    assert!(index.contains("connect-src 'self';"), "fetches limited to the site's origin: {index}");
    // Served from a sub-path (/site/): the app uses relative URLs only.
    let mut server = Command::new(env!("CARGO_BIN_EXE_ledgerless"))
        .arg("serve")
        .arg(&demo)
        .args(["--addr", &addr])
        .stderr(Stdio::null())
        .spawn()
        .expect("serve");
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(&addr).is_err() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let mut failures = Vec::new();
    for line in links.lines() {
        let (label, url) = line.split_once(' ').expect("label url");
        let profile = tempfile::tempdir().expect("profile dir");
        let dom = dump_dom(&chrome, url, profile.path());
        if label == "release" {
            // The release link: its manifest verifies against the publisher's log; until its
            // files are checked the release is not called valid (amber, "unchecked").
            let verified_manifest = dom.contains("id=\"release-verdict\"")
                && dom.contains("data-verdict=\"unchecked\"")
                && dom.contains("Manifest verified; files not checked yet");
            if !verified_manifest || dom.contains("data-verdict=\"valid\"") {
                failures.push(format!(
                    "release: want a verified manifest, files not yet checked; page was:\n{}",
                    dom.chars().take(3000).collect::<String>()
                ));
            }
            continue;
        }
        if label == "valid" {
            // The same bundle twice in one link: the first verification remembers the log's
            // checkpoint (local storage), the second compares the log with it: unchanged.
            let fragment = url.split_once('#').expect("fragment").1;
            let twice = dump_dom(&chrome, &format!("{url}&{fragment}"), profile.path());
            if !twice.contains("data-check=\"log-history\" class=\"pass\"") {
                failures.push(format!(
                    "no passing log-history check:\n{}",
                    twice.chars().take(4000).collect::<String>()
                ));
            }
        }
        let want = if label == "valid" { "data-verdict=\"valid\"" } else { "data-verdict=\"invalid\"" };
        let word = match label {
            "valid" => "Valid",
            "revoked" => "Revoked",
            "expired" => "Expired",
            _ => "Invalid",
        };
        let ok = dom.contains("id=\"verdict\"")
            && dom.contains(want)
            && dom.contains(&format!("class=\"verdict-word\">{word}<"));
        if let Some(ms) = dom.split("data-ms=\"").nth(1).and_then(|r| r.split('"').next()) {
            eprintln!("{label}: navigation to verdict {ms} ms (headless Chromium, loopback)");
        }
        if !ok {
            let excerpt: String = dom.chars().take(3000).collect();
            failures.push(format!("{label}: want {want} and {word}; page was:\n{excerpt}"));
        }
    }
    let _ = server.kill();
    let _ = server.wait();
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
