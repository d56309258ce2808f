//! The browser app driven like a person would, through WebDriver (fantoccini + Debian's
//! chromedriver + headless Chromium): paste a link, paste a bundle's JSON, pick bundle files;
//! open a release link, check its files (fetched from the site, or picked), paste row proofs;
//! the verdicts must be right, and the page must fetch nothing from any other origin. Skips
//! without `dist/`, chromium or chromedriver (fails under `CI=true`).

use std::path::{Path, PathBuf};
mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{ClientBuilder, Locator};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port()
}

fn wait_for_port(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A child process killed when dropped, with its whole process group (chromedriver's
/// Chromium processes too, even when a failed assertion skips `close()`).
struct Kill(std::process::Child);
impl Drop for Kill {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-9", "--", &format!("-{}", self.0.id())]).status();
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `cmd` in a process group of its own, so [`Kill`] can end everything it starts.
fn own_group(cmd: &mut Command) -> &mut Command {
    use std::os::unix::process::CommandExt as _;
    cmd.process_group(0)
}

fn driver() -> Option<PathBuf> {
    ["/usr/bin/chromedriver"].iter().map(PathBuf::from).find(|p| p.exists())
}

/// Serves `dir` on loopback with `ledgerless serve`.
fn serve(dir: &Path, port: u16) -> Kill {
    let k = Kill(
        own_group(&mut Command::new(env!("CARGO_BIN_EXE_ledgerless")))
            .arg("serve")
            .arg(dir)
            .args(["--addr", &format!("127.0.0.1:{port}")])
            .stderr(Stdio::null())
            .spawn()
            .expect("serve"),
    );
    wait_for_port(port);
    k
}

/// Starts chromedriver and a headless Chromium session using `profile`.
async fn session(profile: &Path) -> (Kill, fantoccini::Client) {
    session_with(profile, &[]).await
}

/// [`session`] with extra Chromium flags.
async fn session_with(profile: &Path, extra: &[String]) -> (Kill, fantoccini::Client) {
    let port = free_port();
    let driver = Kill(
        own_group(&mut Command::new(driver().expect("chromedriver")))
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver"),
    );
    wait_for_port(port);
    let mut args: Vec<String> = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ]
    .map(str::to_owned)
    .to_vec();
    args.push(format!("--user-data-dir={}", profile.display()));
    args.extend_from_slice(extra);
    let mut caps = serde_json::Map::new();
    caps.insert("goog:chromeOptions".to_owned(), serde_json::json!({ "args": args }));
    let c = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .expect("webdriver session");
    (driver, c)
}

/// Drops a file (made in the page from `text`) on `css`, as a drag and drop from the desktop
/// would: a `drop` event whose DataTransfer holds the File.
async fn drop_file(c: &fantoccini::Client, css: &str, name: &str, text: &str) {
    c.execute(
        "const [css, name, text] = arguments;
         const dt = new DataTransfer();
         dt.items.add(new File([text], name, {type: 'application/octet-stream'}));
         document.querySelector(css).dispatchEvent(new DragEvent('drop', {dataTransfer: dt, bubbles: true, cancelable: true}));",
        vec![css.into(), name.into(), text.into()],
    )
    .await
    .expect("drop");
}

/// Every resource the page loaded (Resource Timing), which must all be on `origin`.
async fn foreign_requests(c: &fantoccini::Client, origin: &str) -> Vec<String> {
    let v = c
        .execute("return performance.getEntriesByType('resource').map(e => e.name)", vec![])
        .await
        .expect("resource timing");
    let names: Vec<String> = serde_json::from_value(v).expect("names");
    assert!(!names.is_empty(), "the page loaded no resources?");
    names.into_iter().filter(|n| !n.starts_with(origin)).collect()
}

/// The demo built from `dist/` into a temporary directory and served on loopback, as each
/// test here starts from.
struct Served {
    t: tempfile::TempDir,
    demo: PathBuf,
    links: String,
    /// `http://127.0.0.1:PORT/`.
    origin: String,
    /// Where the site is: the origin, or `ORIGIN/site/` when served from a sub-path.
    site: String,
    _server: Kill,
}

impl Served {
    /// The demo link labelled `label` in links.txt.
    fn link(&self, label: &str) -> String {
        self.links.lines().find_map(|l| l.strip_prefix(&format!("{label} "))).expect("link").to_owned()
    }
}

/// Builds and serves the demo (the site at a sub-path if `sub_path`); `None` after skipping
/// (or failing under `CI=true`) when `dist/` or chromedriver is missing.
fn served_demo(sub_path: bool) -> Option<Served> {
    let Some(dist) = common::dist() else {
        common::skip_or_fail("dist/ is not built (run `trunk build --release`)");
        return None;
    };
    if driver().is_none() {
        common::skip_or_fail("chromedriver is not installed");
        return None;
    }
    let t = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let origin = format!("http://127.0.0.1:{port}/");
    let site = if sub_path { format!("{origin}site/") } else { origin.clone() };
    let demo = t.path().join("demo");
    let links = common::build_demo(&dist, &demo, &site);
    let _server = serve(&if sub_path { demo.clone() } else { demo.join("site") }, port);
    Some(Served { t, demo, links, origin, site, _server })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paste_and_pick_files_in_the_app() {
    let Some(served) = served_demo(false) else { return };
    let (t, site) = (&served.t, &served.site);
    let link = |label: &str| served.link(label);
    let profile = tempfile::tempdir().expect("profile");
    let (_driver, c) = session(profile.path()).await;

    // Waits for the verdict element and returns (data-verdict, the first verdict word).
    async fn verdict(c: &fantoccini::Client) -> (String, String) {
        let el = c
            .wait()
            .at_most(Duration::from_secs(20))
            .for_element(Locator::Css("#verdict"))
            .await
            .expect("verdict");
        let v = el.attr("data-verdict").await.expect("attr").unwrap_or_default();
        let word = c.find(Locator::Css(".verdict-word")).await.expect("word").text().await.expect("text");
        (v, word)
    }

    // 1. Paste a verification link.
    c.goto(site).await.expect("goto");
    let paste = c.wait().for_element(Locator::Css("#paste")).await.expect("paste box");
    paste.send_keys(&link("valid")).await.expect("type");
    c.find(Locator::Css("#verify-paste")).await.expect("button").click().await.expect("click");
    assert_eq!(verdict(&c).await, ("valid".to_owned(), "Valid".to_owned()));

    // The valid link's bundle (its proof carries the witnessed checkpoint trust.json requires),
    // rebuilt from the compact link, as one-line JSON.
    let json = verifier::bundles_in_link(&link("valid")).remove(0).expect("the valid link's bundle");
    let text = serde_json::to_string(&verifier::Bundle::parse(&json).expect("bundle")).expect("json");

    // 2. Pick bundle files: the genuine one, then a tampered copy.
    let genuine = t.path().join("genuine.json");
    std::fs::write(&genuine, &text).expect("write");
    let tampered = t.path().join("tampered.json");
    std::fs::write(&tampered, text.replacen("\"name\":\"", "\"name\":\"X", 1)).expect("write");
    assert_ne!(std::fs::read(&tampered).expect("read"), text.as_bytes(), "the tampering changed nothing");
    for (file, want) in [(&genuine, "valid"), (&tampered, "invalid")] {
        c.goto(site).await.expect("goto");
        let input = c.wait().for_element(Locator::Css("#file")).await.expect("file input");
        input.send_keys(&file.display().to_string()).await.expect("pick");
        assert_eq!(verdict(&c).await.0, want, "{}", file.display());
    }

    // 3. Drop a bundle file on the page.
    c.goto(site).await.expect("goto");
    c.refresh().await.expect("reload");
    c.wait().for_element(Locator::Css("#paste")).await.expect("page");
    drop_file(&c, "main", "dropped.json", &text).await;
    assert_eq!(verdict(&c).await, ("valid".to_owned(), "Valid".to_owned()));

    // 4. Paste a bundle's JSON.
    c.goto(site).await.expect("goto");
    let paste = c.wait().for_element(Locator::Css("#paste")).await.expect("paste box");
    paste.send_keys(&text).await.expect("type");
    c.find(Locator::Css("#verify-paste")).await.expect("button").click().await.expect("click");
    assert_eq!(verdict(&c).await, ("valid".to_owned(), "Valid".to_owned()));
    // Everything the page fetched (app, trust.json, the issuer's log tiles and status list)
    // came from the site itself.
    assert_eq!(foreign_requests(&c, site).await, Vec::<String>::new());
    c.close().await.expect("close");
}

/// Waits until `css` matches an element whose attribute `attr` is `want`; panics with the
/// page's text otherwise.
async fn wait_attr(c: &fantoccini::Client, css: &str, attr: &str, want: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(el) = c.find(Locator::Css(css)).await
            && el.attr(attr).await.ok().flatten().as_deref() == Some(want)
        {
            return;
        }
        if Instant::now() > deadline {
            let body = match c.find(Locator::Css("body")).await {
                Ok(b) => b.text().await.unwrap_or_default(),
                Err(_) => String::new(),
            };
            panic!("{css} never had {attr}={want:?}; the page said:\n{body}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The release headline's `data-verdict` and `data-claims` (k and l claimed, confirmed or
/// contradicted).
async fn headline(c: &fantoccini::Client) -> (String, String) {
    let el = c.find(Locator::Css("#release-verdict")).await.expect("headline");
    let v = el.attr("data-verdict").await.expect("attr").unwrap_or_default();
    (v, el.attr("data-claims").await.expect("attr").unwrap_or_default())
}

/// The release headline's words.
async fn verdict_word(c: &fantoccini::Client) -> String {
    c.find(Locator::Css("#release-verdict .verdict-word")).await.expect("word").text().await.expect("text")
}

/// The status the page shows for each file, by path.
async fn statuses(c: &fantoccini::Client) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for row in c.find_all(Locator::Css("#files tr[data-file]")).await.expect("rows") {
        let f = row.attr("data-file").await.expect("attr").unwrap_or_default();
        let s = row.attr("data-status").await.expect("attr").unwrap_or_default();
        out.push((f, s));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn releases_are_verified_file_by_file_in_the_app() {
    // Served from a sub-path, as a static host might.
    let Some(served) = served_demo(true) else { return };
    let (t, demo, origin, site) = (&served.t, &served.demo, &served.origin, &served.site);
    let link = served.link("release");
    assert_eq!(link, format!("{site}#release=releases/patients-2026/manifest.bundle.json"));
    let release = demo.join("site/releases/patients-2026");
    let profile = tempfile::tempdir().expect("profile");
    let (_driver, c) = session(profile.path()).await;
    let all = [
        "microdata.csv",
        "microdata.parquet",
        "report.html",
        "report.json",
        "tables/admissions_by_ethnicity_diagnosis.csv",
        "tables/admissions_by_region_age_sex.csv",
    ];
    let want = |status: &dyn Fn(&str) -> &'static str| -> Vec<(String, String)> {
        all.iter().map(|f| (f.to_string(), status(f).to_owned())).collect()
    };

    // 1. The link verifies the manifest; the files on the site are fetched, hashed in the
    //    worker, and the microdata's classes recounted: k confirmed on this machine.
    c.goto(&link).await.expect("goto");
    wait_attr(&c, "#release-verdict", "data-verdict", "unchecked").await;
    // Until the files are checked and recounted, k and l are the publisher's claims, only the
    // manifest is verified, and the headline is not "valid" (amber: not checked yet).
    assert_eq!(headline(&c).await, ("unchecked".to_owned(), "claimed".to_owned()));
    assert_eq!(verdict_word(&c).await, "Manifest verified; files not checked yet");
    let k = c.find(Locator::Css("#claim-k")).await.expect("k").text().await.expect("text");
    assert!(k.contains("claimed k = 10") && k.contains("not yet confirmed"), "{k}");
    c.wait()
        .for_element(Locator::Css("#fetch-files"))
        .await
        .expect("fetch button")
        .click()
        .await
        .expect("click");
    wait_attr(&c, "#files", "data-done", "6").await;
    assert_eq!(statuses(&c).await, want(&|_| "verified"));
    wait_attr(&c, "#files", "data-all-verified", "true").await;
    wait_attr(&c, "#release-verdict", "data-claims", "confirmed").await;
    wait_attr(&c, "#release-verdict", "data-verdict", "valid").await;
    assert_eq!(verdict_word(&c).await, "Valid");
    let k = c.find(Locator::Css("#claim-k")).await.expect("k").text().await.expect("text");
    assert!(k.contains("confirmed k = 10"), "{k}");
    // The publisher's log was fetched and has only grown since the release.
    wait_attr(&c, "#release-verdict li[data-check=\"log-history\"]", "class", "pass").await;
    let recount = c.find(Locator::Css("[data-confirmed]")).await.expect("recount");
    assert_eq!(recount.attr("data-confirmed").await.expect("attr").as_deref(), Some("true"));
    let said = recount.text().await.expect("text");
    assert!(said.contains("20000 rows") && said.contains("(k = 10)"), "{said}");
    assert_eq!(foreign_requests(&c, origin).await, Vec::<String>::new());

    // 2. Downloaded files picked by the user: one byte changed in the microdata, a genuine
    //    report, and a file the manifest does not list.
    let mut csv = std::fs::read(release.join("microdata.csv")).expect("read");
    let mid = csv.len() / 2;
    csv[mid] = if csv[mid] == b'1' { b'2' } else { b'1' };
    let picked = t.path().join("picked");
    std::fs::create_dir_all(&picked).expect("mkdir");
    std::fs::write(picked.join("microdata.csv"), &csv).expect("write");
    std::fs::copy(release.join("report.json"), picked.join("report.json")).expect("copy");
    std::fs::write(picked.join("notes.txt"), "not part of the release").expect("write");
    c.goto(&link).await.expect("goto");
    c.refresh().await.expect("reload"); // same URL: start afresh
    wait_attr(&c, "#release-verdict", "data-verdict", "unchecked").await;
    let input = c.wait().for_element(Locator::Css("#data-files")).await.expect("file input");
    let paths: Vec<String> = ["microdata.csv", "report.json", "notes.txt"]
        .iter()
        .map(|f| picked.join(f).display().to_string())
        .collect();
    input.send_keys(&paths.join("\n")).await.expect("pick");
    wait_attr(&c, "#files", "data-done", "3").await;
    let got = statuses(&c).await;
    let mut expected = want(&|f| match f {
        "microdata.csv" => "altered",
        "report.json" => "verified",
        _ => "waiting",
    });
    expected.push(("notes.txt".to_owned(), "extra".to_owned()));
    assert_eq!(got, expected);
    wait_attr(&c, "#files", "data-all-verified", "false").await;
    // An altered file: the headline is no longer valid, and says which file.
    wait_attr(&c, "#release-verdict", "data-verdict", "invalid").await;
    let advice =
        c.find(Locator::Css("#release-verdict .advice")).await.expect("advice").text().await.expect("text");
    assert!(advice.contains("microdata.csv is altered"), "{advice}");
    assert_ne!(verdict_word(&c).await, "Valid");

    // A file dropped on the page is checked too (here: the genuine table).
    let table = "tables/admissions_by_region_age_sex.csv";
    drop_file(
        &c,
        ".release",
        "admissions_by_region_age_sex.csv",
        &std::fs::read_to_string(release.join(table)).expect("table"),
    )
    .await;
    wait_attr(&c, &format!("tr[data-file=\"{table}\"]"), "data-status", "verified").await;

    // 3. A file deleted from the site is reported missing.
    std::fs::remove_file(release.join("report.html")).expect("rm");
    c.goto(&link).await.expect("goto");
    c.refresh().await.expect("reload");
    wait_attr(&c, "#release-verdict", "data-verdict", "unchecked").await;
    c.wait()
        .for_element(Locator::Css("#fetch-files"))
        .await
        .expect("fetch button")
        .click()
        .await
        .expect("click");
    wait_attr(&c, "#files", "data-done", "6").await;
    assert_eq!(statuses(&c).await, want(&|f| if f == "report.html" { "missing" } else { "verified" }));
    wait_attr(&c, "#release-verdict", "data-verdict", "invalid").await;

    // 4. Row proofs pasted on their own: the genuine one verifies; a changed figure does not.
    let proof = std::fs::read_to_string(demo.join("row-proof.json")).expect("row proof");
    let v: serde_json::Value = serde_json::from_str(&proof).expect("json");
    let count =
        v["values"].as_array().and_then(|a| a.last()).and_then(|x| x.as_str()).expect("count").to_owned();
    let forged = proof.replacen(&format!("\"{count}\""), &format!("\"{}5\"", count), 1);
    assert_ne!(forged, proof);
    for (text, want) in [(&proof, "valid"), (&forged, "invalid")] {
        c.goto(&format!("{site}#release")).await.expect("goto");
        c.refresh().await.expect("reload");
        let area = c.wait().for_element(Locator::Css("#row-proof")).await.expect("row box");
        area.send_keys(text).await.expect("type");
        c.find(Locator::Css("#verify-row")).await.expect("button").click().await.expect("click");
        wait_attr(&c, "#row-verdict", "data-verdict", want).await;
    }

    // 5. A manifest from a publisher the site does not trust, and a link to another origin.
    let bundle = std::fs::read_to_string(release.join("manifest.bundle.json")).expect("bundle");
    let untrusted = bundle.replace("demo.nhs.example/releases", "evil.example/releases");
    std::fs::write(release.join("untrusted.bundle.json"), untrusted).expect("write");
    c.goto(&format!("{site}#release=releases/patients-2026/untrusted.bundle.json")).await.expect("goto");
    c.refresh().await.expect("reload");
    wait_attr(&c, "#release-verdict", "data-verdict", "invalid").await;
    let word =
        c.find(Locator::Css("#release-verdict .verdict-word")).await.expect("word").text().await.expect("t");
    assert_eq!(word, "Untrusted publisher");
    assert!(
        c.find(Locator::Css("#fetch-files")).await.is_err(),
        "no files are checked against an unverified manifest"
    );
    c.goto(&format!("{site}#release=https://evil.example/manifest.bundle.json")).await.expect("goto");
    c.refresh().await.expect("reload");
    let err = c.wait().for_element(Locator::Css(".error")).await.expect("error").text().await.expect("text");
    assert!(err.contains("must name a file on this site"), "{err}");
    assert_eq!(foreign_requests(&c, origin).await, Vec::<String>::new());

    // 6. A manifest, genuinely signed and logged, claiming k = 50 where the smallest class
    //    has 10 rows: valid as a manifest, but k is only "claimed" until the recount, which
    //    contradicts it, and then the release is not valid.
    let mut lying: serde_json::Value = serde_json::from_str(&bundle).expect("bundle json");
    assert_eq!(lying["manifest"]["privacy"]["achievedK"], 10);
    lying["manifest"]["privacy"]["achievedK"] = 50.into();
    let manifest: verifier::Manifest = serde_json::from_value(lying["manifest"].clone()).expect("manifest");
    let entry = t.path().join("lying-entry.json");
    std::fs::write(&entry, manifest.entry().expect("entry")).expect("write");
    let keys = demo.join("keys");
    let served_log = demo.join("site/releases/log");
    let ledgerless = |args: &[&str]| -> String {
        let o = Command::new(env!("CARGO_BIN_EXE_ledgerless")).args(args).output().expect("run");
        assert!(o.status.success(), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let pd = |p: &Path| p.display().to_string();
    let appended = ledgerless(&[
        "log",
        "append",
        &pd(&served_log),
        "--key",
        &pd(&keys.join("publisher.key")),
        &pd(&entry),
    ]);
    let index = appended.split_whitespace().next().expect("index").to_owned();
    ledgerless(&[
        "witness",
        "cosign",
        "--key",
        &pd(&keys.join("witness.key")),
        "--log",
        &pd(&served_log),
        "--vkey",
        &pd(&keys.join("publisher.pub")),
        "--state",
        &pd(&keys.join("witness-state")),
    ]);
    let proof_file = t.path().join("lying.tlog-proof");
    ledgerless(&["log", "proof", &pd(&served_log), "--index", &index, "--out", &pd(&proof_file)]);
    lying["tlogProof"] = std::fs::read_to_string(&proof_file).expect("proof").into();
    std::fs::write(release.join("lying.bundle.json"), serde_json::to_vec_pretty(&lying).expect("json"))
        .expect("write");
    c.goto(&format!("{site}#release=releases/patients-2026/lying.bundle.json")).await.expect("goto");
    c.refresh().await.expect("reload");
    wait_attr(&c, "#release-verdict", "data-verdict", "unchecked").await;
    assert_eq!(headline(&c).await, ("unchecked".to_owned(), "claimed".to_owned()));
    let k = c.find(Locator::Css("#claim-k")).await.expect("k").text().await.expect("text");
    assert!(k.contains("claimed k = 50"), "{k}");
    c.wait()
        .for_element(Locator::Css("#fetch-files"))
        .await
        .expect("fetch button")
        .click()
        .await
        .expect("click");
    wait_attr(&c, "#files", "data-done", "6").await;
    wait_attr(&c, "#release-verdict", "data-verdict", "invalid").await;
    assert_eq!(headline(&c).await, ("invalid".to_owned(), "contradicted".to_owned()));
    let advice =
        c.find(Locator::Css("#release-verdict .advice")).await.expect("advice").text().await.expect("text");
    assert!(advice.contains("the smallest class has 10 rows, the claim is k = 50"), "{advice}");
    let k = c.find(Locator::Css("#claim-k")).await.expect("k").text().await.expect("text");
    assert!(!k.contains("confirmed k = 50"), "{k}");

    // 7. The publisher's log that trust.json names is gone from the site: its history could
    //    not be checked, so the release is "could not check", not valid.
    let checkpoint = served_log.join("checkpoint");
    std::fs::rename(&checkpoint, served_log.join("checkpoint.aside")).expect("move aside");
    c.goto(&link).await.expect("goto");
    c.refresh().await.expect("reload");
    wait_attr(&c, "#release-verdict", "data-verdict", "unchecked").await;
    wait_attr(&c, "#release-verdict li[data-check=\"log-history\"]", "class", "unchecked").await;
    assert!(verdict_word(&c).await.starts_with("Could not check"), "{}", verdict_word(&c).await);
    assert!(
        c.find(Locator::Css("#fetch-files")).await.is_err(),
        "no files are checked against an unchecked log"
    );
    std::fs::rename(served_log.join("checkpoint.aside"), &checkpoint).expect("put back");

    // 8. A split view: the site now serves a different history for the publisher's log (same
    //    key, a witness with fresh state cosigned it), not containing the release's checkpoint.
    let fork = t.path().join("fork");
    let run = |args: &[&str]| {
        let o = Command::new(env!("CARGO_BIN_EXE_ledgerless")).args(args).output().expect("run");
        assert!(o.status.success(), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
    };
    let p = |p: &Path| p.display().to_string();
    run(&["log", "init", &p(&fork), "--key", &p(&keys.join("publisher.key"))]);
    let lines = t.path().join("lines.txt");
    std::fs::write(&lines, "another history\nwith two entries\n").expect("write");
    run(&["log", "append", &p(&fork), "--key", &p(&keys.join("publisher.key")), "--lines", "-q", &p(&lines)]);
    let state = t.path().join("fresh-witness-state");
    run(&[
        "witness",
        "cosign",
        "--key",
        &p(&keys.join("witness.key")),
        "--log",
        &p(&fork),
        "--vkey",
        &p(&keys.join("publisher.pub")),
        "--state",
        &p(&state),
    ]);
    std::fs::remove_dir_all(&served_log).expect("rm log");
    std::fs::rename(&fork, &served_log).expect("swap in the fork");
    c.goto(&link).await.expect("goto");
    c.refresh().await.expect("reload");
    wait_attr(&c, "#release-verdict", "data-verdict", "invalid").await;
    wait_attr(&c, "#release-verdict li[data-check=\"log-history\"]", "class", "fail").await;
    assert!(c.find(Locator::Css("#fetch-files")).await.is_err(), "no files are checked against a forked log");
    c.close().await.expect("close");
}

/// A one-frame Y4M video of `text` as a QR code (4 px per module, centred on white), for
/// Chromium's fake camera (`--use-file-for-fake-video-capture`).
fn qr_video(text: &str, path: &Path) {
    let code = qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::L).expect("qr");
    let (n, colors) = (code.width(), code.to_colors());
    let (scale, w, h) = (4, 800usize, 800usize);
    assert!(n * scale + 32 <= w, "the code ({n} modules) does not fit the frame");
    let (ox, oy) = ((w - n * scale) / 2, (h - n * scale) / 2);
    let mut luma = vec![235u8; w * h];
    for y in 0..n * scale {
        for x in 0..n * scale {
            if colors[(y / scale) * n + x / scale] == qrcode::Color::Dark {
                luma[(oy + y) * w + ox + x] = 16;
            }
        }
    }
    let mut out = format!("YUV4MPEG2 W{w} H{h} F10:1 Ip A1:1 C420jpeg\nFRAME\n").into_bytes();
    out.extend_from_slice(&luma);
    out.extend(std::iter::repeat_n(128u8, w * h / 2));
    std::fs::write(path, out).expect("write video");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_qr_code_scanned_with_the_camera_verifies() {
    let Some(served) = served_demo(false) else { return };
    let (t, site) = (&served.t, &served.site);
    let profile = tempfile::tempdir().expect("profile");
    for (label, want) in [("valid", "valid"), ("tampered", "invalid")] {
        let video = t.path().join(format!("{label}.y4m"));
        qr_video(&served.link(label), &video);
        let camera = [
            "--use-fake-ui-for-media-stream".to_owned(),
            "--use-fake-device-for-media-stream".to_owned(),
            format!("--use-file-for-fake-video-capture={}", video.display()),
        ];
        let (_driver, c) = session_with(profile.path(), &camera).await;
        c.goto(site).await.expect("goto");
        c.wait().for_element(Locator::Css("#scan")).await.expect("scan button").click().await.expect("click");
        wait_attr(&c, "#verdict", "data-verdict", want).await;
        let source = c.find(Locator::Css(".source")).await.expect("source").text().await.expect("text");
        assert_eq!(source, "From: QR code");
        // The camera is switched off once a code was read.
        c.wait().for_element(Locator::Css("#scan")).await.expect("scan button back");
        c.close().await.expect("close");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_added_on_this_browser_are_used_and_labelled() {
    let Some(served) = served_demo(false) else { return };
    let (t, demo, site) = (&served.t, &served.demo, &served.site);
    // An issuer the site does not list, with one credential.
    let d = t.path();
    let run = |args: &[&str]| {
        let o =
            Command::new(env!("CARGO_BIN_EXE_ledgerless")).current_dir(d).args(args).output().expect("run");
        assert!(o.status.success(), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
    };
    run(&["keygen", "--name", "rcp.example.org/register", "--out", "rcp"]);
    run(&["log", "init", "rcplog", "--key", "rcp.key"]);
    run(&["synth", "registrants", "--rows", "20", "--seed", "3", "--out", "rcp.csv"]);
    run(&["issue", "--log", "rcplog", "--key", "rcp.key", "--input", "rcp.csv", "--out", "rcpb"]);
    let csv = std::fs::read_to_string(d.join("rcp.csv")).expect("csv");
    let id = csv
        .lines()
        .skip(1)
        .find(|l| l.split(',').nth(1) == Some("RegisterEntry") && !l.contains(",2025-"))
        .and_then(|l| l.split(',').next())
        .expect("a current register entry")
        .to_owned();
    let bundle = std::fs::read_to_string(d.join(format!("rcpb/{id}.json"))).expect("bundle");
    let vkey = std::fs::read_to_string(d.join("rcp.pub")).expect("vkey").trim().to_owned();
    let profile = tempfile::tempdir().expect("profile");
    let (_driver, c) = session(profile.path()).await;

    let paste = async |c: &fantoccini::Client| {
        c.goto(site).await.expect("goto");
        c.refresh().await.expect("reload");
        let area = c.wait().for_element(Locator::Css("#paste")).await.expect("paste box");
        area.send_keys(&bundle).await.expect("type");
        c.find(Locator::Css("#verify-paste")).await.expect("button").click().await.expect("click");
        c.wait().for_element(Locator::Css("#verdict")).await.expect("verdict");
    };
    // 1. Not trusted by the site.
    paste(&c).await;
    wait_attr(&c, "#result-0", "data-verdict", "invalid").await;
    let word = c.find(Locator::Css(".verdict-word")).await.expect("word").text().await.expect("text");
    assert_eq!(word, "Untrusted issuer");

    // 2. A key for an origin the site already trusts is refused, whatever key it is.
    c.find(Locator::Css("#local-trust summary")).await.expect("details").click().await.expect("open");
    let demo_vkey = std::fs::read_to_string(demo.join("keys/issuer.pub")).expect("demo vkey");
    let other = t.path().join("fake");
    run(&[
        "keygen",
        "--name",
        demo_vkey.split('+').next().expect("origin"),
        "--out",
        &other.display().to_string(),
    ]);
    let fake = std::fs::read_to_string(other.with_extension("pub")).expect("fake").trim().to_owned();
    c.find(Locator::Css("#local-name")).await.expect("name").send_keys("Not the GMC").await.expect("type");
    c.find(Locator::Css("#local-vkey")).await.expect("vkey").send_keys(&fake).await.expect("type");
    c.find(Locator::Css("#local-add-issuer")).await.expect("add").click().await.expect("click");
    let err = c
        .wait()
        .for_element(Locator::Css("#local-trust .error"))
        .await
        .expect("error")
        .text()
        .await
        .expect("t");
    assert!(err.contains("this site already trusts"), "{err}");

    // A witness's key where a log key is wanted is refused, saying what it is.
    let witness = std::fs::read_to_string(demo.join("keys/witness.pub")).expect("witness vkey");
    for (css, text) in [("#local-name", "The witness"), ("#local-vkey", witness.trim())] {
        let input = c.find(Locator::Css(css)).await.expect("input");
        input.clear().await.expect("clear");
        input.send_keys(text).await.expect("type");
    }
    c.find(Locator::Css("#local-add-issuer")).await.expect("add").click().await.expect("click");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let err = c.find(Locator::Css("#local-trust .error")).await.expect("error").text().await.expect("t");
        if err.contains("witness's cosigning key, not a log's key") {
            break;
        }
        assert!(Instant::now() < deadline, "witness key not refused: {err}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Roles: the RCP's key trusted as a dataset publisher vouches for none of its credentials.
    for (css, text) in [("#local-name", "Royal College (as publisher)"), ("#local-vkey", vkey.as_str())] {
        let input = c.find(Locator::Css(css)).await.expect("input");
        input.clear().await.expect("clear");
        input.send_keys(text).await.expect("type");
    }
    c.find(Locator::Css("#local-add-publisher")).await.expect("add").click().await.expect("click");
    c.wait().for_element(Locator::Css("li[data-origin=\"rcp.example.org/register\"]")).await.expect("listed");
    paste(&c).await;
    wait_attr(&c, "#result-0", "data-verdict", "invalid").await;
    let word = c.find(Locator::Css(".verdict-word")).await.expect("word").text().await.expect("text");
    assert_eq!(word, "Untrusted issuer");
    assert!(
        c.find(Locator::Css("#result-0 .local-note")).await.is_err(),
        "a publisher key labels no credential"
    );
    c.find(Locator::Css("#local-trust summary")).await.expect("details").click().await.expect("open");
    c.find(Locator::Css("li[data-origin=\"rcp.example.org/register\"] button"))
        .await
        .expect("remove")
        .click()
        .await
        .expect("click");

    // 3. The user adds the RCP's key (after reading the warning): now valid, and labelled.
    for (css, text) in [("#local-name", "Royal College (added by me)"), ("#local-vkey", vkey.as_str())] {
        let input = c.find(Locator::Css(css)).await.expect("input");
        input.clear().await.expect("clear");
        input.send_keys(text).await.expect("type");
    }
    c.find(Locator::Css("#local-add-issuer")).await.expect("add").click().await.expect("click");
    c.wait().for_element(Locator::Css("li[data-origin=\"rcp.example.org/register\"]")).await.expect("listed");
    for _ in 0..2 {
        // Also after a reload: the key is kept in this browser's storage.
        paste(&c).await;
        wait_attr(&c, "#result-0", "data-verdict", "valid").await;
        c.find(Locator::Css("#result-0 .local-note"))
            .await
            .expect("labelled as trusted on this browser only");
    }

    // 4. Removed: untrusted again.
    c.find(Locator::Css("#local-trust summary")).await.expect("details").click().await.expect("open");
    c.find(Locator::Css("li[data-origin=\"rcp.example.org/register\"] button"))
        .await
        .expect("remove")
        .click()
        .await
        .expect("click");
    paste(&c).await;
    wait_attr(&c, "#result-0", "data-verdict", "invalid").await;
    c.close().await.expect("close");
}

/// The verdict on the page once it is there: (`data-verdict` of `#verdict`, the first heading).
async fn shown_verdict(c: &fantoccini::Client) -> (String, String) {
    let el = c
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css("#verdict"))
        .await
        .expect("verdict");
    let v = el.attr("data-verdict").await.expect("attr").unwrap_or_default();
    let word =
        c.find(Locator::Css("#verdict .verdict-word")).await.expect("word").text().await.expect("text");
    (v, word)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revocation_that_cannot_be_checked_is_never_valid() {
    let Some(served) = served_demo(false) else { return };
    let site_dir = served.demo.join("site");
    let revoked = served.link("revoked");
    // Each case in a fresh browser profile: nothing remembered, nothing cached.
    let open = async |label: &str| -> (String, String, String) {
        let profile = tempfile::tempdir().expect("profile");
        let (_driver, c) = session(profile.path()).await;
        c.goto(&revoked).await.expect("goto");
        let (v, word) = shown_verdict(&c).await;
        let advice = match c.find(Locator::Css("#result-0 .advice")).await {
            Ok(a) => a.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        let steps = c
            .execute("return document.querySelector('#result-0 .steps').textContent", vec![])
            .await
            .expect("steps");
        // The revocation step alone (its title and detail), to tell what its detail names.
        let revocation = c
            .execute(
                "const s = document.querySelector('#result-0 .steps li[data-check=\"revocation\"]'); return s ? s.textContent : ''",
                vec![],
            )
            .await
            .expect("revocation step");
        eprintln!("{label}: {v} {word:?}; {advice}");
        c.close().await.expect("close");
        (v, word, format!("{advice}\n{steps}\nrevocation step: {}", revocation.as_str().unwrap_or_default()))
    };

    // With the whole log served, the struck-off credential is revoked.
    let (v, word, _) = open("whole log").await;
    assert_eq!((v.as_str(), word.as_str()), ("invalid", "Revoked"));

    // Any one file of the revocation evidence missing (the site answers 404): "could not
    // check revocation", amber, never valid.
    for file in ["log/status/revocation.json", "log/status/revocation.tlog-proof", "log/checkpoint"] {
        let path = site_dir.join(file);
        let aside = path.with_extension("aside");
        std::fs::rename(&path, &aside).expect("move aside");
        let (v, word, said) = open(file).await;
        std::fs::rename(&aside, &path).expect("put back");
        assert_eq!(v, "unchecked", "{file} missing: {word}\n{said}");
        assert_eq!(word, "Could not check revocation", "{file} missing");
        assert!(said.contains("could not find out from the issuer's log"), "{file}: {said}");
        // The step's detail names the missing file by its path in the log ("…/log/checkpoint
        // not found"), not merely a word its title holds anyway ("checkpoint").
        let step = said.split("revocation step: ").nth(1).unwrap_or_default();
        assert!(step.contains(&format!("{file} not found")), "{file}: the step names it: {said}");
        // The site answered (404): that is not "offline".
        assert!(!said.contains("offline"), "{file}: {said}");
    }

    // The log the trust list names cannot be reached (another origin, refused by the page's
    // Content-Security-Policy and closed anyway), or is not on the site at all.
    let trust_path = site_dir.join("trust.json");
    let trust = std::fs::read_to_string(&trust_path).expect("trust.json");
    for (log, why) in [("http://127.0.0.1:1/log", "could not reach"), ("nowhere", "not found")] {
        let mut t: serde_json::Value = serde_json::from_str(&trust).expect("json");
        t["issuers"][0]["log"] = serde_json::Value::from(log);
        std::fs::write(&trust_path, serde_json::to_vec_pretty(&t).expect("json")).expect("write");
        let (v, word, said) = open(log).await;
        assert_eq!((v.as_str(), word.as_str()), ("unchecked", "Could not check revocation"), "{log}: {said}");
        assert!(said.contains(why), "{log}: {said}");
        // No answer at all (refused, closed) is "offline"; a 404 is an answer.
        assert_eq!(said.contains("not checked — offline"), why == "could not reach", "{log}: {said}");
    }
    std::fs::write(&trust_path, &trust).expect("restore trust.json");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_fragment_in_the_same_tab_is_verified_afresh() {
    let Some(served) = served_demo(false) else { return };
    let profile = tempfile::tempdir().expect("profile");
    let (_driver, c) = session(profile.path()).await;
    let fragment = |label: &str| served.link(label).split_once('#').expect("fragment").1.to_owned();

    c.goto(&served.link("valid")).await.expect("goto");
    assert_eq!(shown_verdict(&c).await, ("valid".to_owned(), "Valid".to_owned()));
    // Record what the page shows one frame after each change of fragment: never the verdict
    // for the previous link.
    c.execute(
        "window.__afterChange = [];
         window.addEventListener('hashchange', () => requestAnimationFrame(() => requestAnimationFrame(() =>
             window.__afterChange.push(document.querySelector('#verdict .verdict-word')?.textContent ?? null))));",
        vec![],
    )
    .await
    .expect("listen");

    // 1. Navigate to the tampered link in the same tab (a same-document navigation).
    c.goto(&served.link("tampered")).await.expect("goto");
    wait_attr(&c, "#verdict", "data-verdict", "invalid").await;
    assert_eq!(shown_verdict(&c).await.1, "Invalid");
    // 2. Back to valid, then the page script sets location.hash to the revoked link.
    c.goto(&served.link("valid")).await.expect("goto");
    wait_attr(&c, "#verdict", "data-verdict", "valid").await;
    c.execute("location.hash = arguments[0]", vec![fragment("revoked").into()]).await.expect("set hash");
    wait_attr(&c, "#verdict", "data-verdict", "invalid").await;
    assert_eq!(shown_verdict(&c).await.1, "Revoked");
    // 3. A fragment without a bundle: nothing is shown.
    c.execute("location.hash = ''", vec![]).await.expect("clear hash");
    let deadline = Instant::now() + Duration::from_secs(10);
    while c.find(Locator::Css("#verdict")).await.is_ok() {
        assert!(Instant::now() < deadline, "the revoked verdict stayed after the link went");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // (The last change's frames may still be to come.)
    let deadline = Instant::now() + Duration::from_secs(10);
    let seen = loop {
        let seen = c.execute("return window.__afterChange", vec![]).await.expect("seen");
        let seen: Vec<Option<String>> = serde_json::from_value(seen).expect("list");
        if seen.len() == 4 || Instant::now() > deadline {
            break seen;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(seen.len(), 4, "{seen:?}");
    // Right after each change the old verdict is gone (busy) or already the new one.
    for (i, (was, now)) in
        [("Valid", "Invalid"), ("Invalid", "Valid"), ("Valid", "Revoked"), ("Revoked", "")].iter().enumerate()
    {
        let s = seen[i].as_deref().unwrap_or_default();
        assert!(s != *was || s == *now, "change {i}: still showing {s:?} after the link changed");
    }

    // 4. The dataset page follows the fragment too: a release link, then `#release` alone
    //    (nothing stays), then a credential link again.
    c.goto(&served.link("release")).await.expect("goto");
    wait_attr(&c, "#release-verdict", "data-verdict", "unchecked").await;
    c.execute("location.hash = 'release'", vec![]).await.expect("set hash");
    c.wait().for_element(Locator::Css("#bundle-file")).await.expect("the empty dataset page");
    assert!(c.find(Locator::Css("#release-verdict")).await.is_err(), "the release verdict stayed");
    c.execute("location.hash = arguments[0]", vec![fragment("tampered").into()]).await.expect("set hash");
    wait_attr(&c, "#verdict", "data-verdict", "invalid").await;
    assert_eq!(shown_verdict(&c).await.1, "Invalid");
    c.close().await.expect("close");
}

/// Issue 12: every bundle the demo issued verifies in the browser under the site's trust.json
/// exactly as in the CLI: the same number valid (none failing the witness quorum), one revoked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_bundle_the_demo_issued_verifies_in_the_browser_as_in_the_cli() {
    let Some(served) = served_demo(false) else { return };
    let mut files: Vec<PathBuf> = std::fs::read_dir(served.demo.join("bundles"))
        .expect("bundles")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .filter(|p| !p.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.')))
        .collect();
    files.sort();
    assert_eq!(files.len(), 300);
    // The CLI's count, with revocation checked against the same log.
    let o = Command::new(env!("CARGO_BIN_EXE_ledgerless"))
        .args(["verify", "--trust", "site/trust.json", "--json"])
        .args(&files)
        .current_dir(&served.demo)
        .output()
        .expect("verify");
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let results = j["bundles"].as_array().expect("bundles");
    let valid = results.iter().filter(|r| r["verified"] == true).count();
    for r in results {
        let quorum = r["steps"].as_array().expect("steps").iter().find(|s| s["check"] == "witness-quorum");
        assert_eq!(quorum.map(|s| s["outcome"].clone()), Some(serde_json::json!("pass")), "{r}");
    }
    assert!(valid > 150, "most synthetic credentials are current: {valid}");

    let profile = tempfile::tempdir().expect("profile");
    let (_driver, c) = session(profile.path()).await;
    c.goto(&served.site).await.expect("goto");
    let input = c.wait().for_element(Locator::Css("#file")).await.expect("file input");
    let paths: Vec<String> = files.iter().map(|p| p.display().to_string()).collect();
    input.send_keys(&paths.join("\n")).await.expect("pick 300 files");
    let want = format!("{valid} of 300 credentials valid");
    let h2 = c
        .wait()
        .at_most(Duration::from_secs(240))
        .for_element(Locator::Css("#verdict h2"))
        .await
        .expect("portfolio headline");
    let mut text = String::new();
    for _ in 0..240 {
        text = h2.text().await.unwrap_or_default();
        if text == want {
            break;
        }
        std::thread::sleep(Duration::from_secs(1));
    }
    assert_eq!(text, want);
    c.close().await.expect("close");
}

/// chromedriver's network conditions (`POST /session/{id}/chromium/network_conditions`): with
/// `offline`, the browser has no network and `navigator.onLine` is false.
#[derive(Debug)]
struct NetworkConditions {
    offline: bool,
}

impl fantoccini::wd::WebDriverCompatibleCommand for NetworkConditions {
    fn endpoint(&self, base: &url::Url, session: Option<&str>) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/chromium/network_conditions", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &url::Url) -> (axum::http::Method, Option<String>) {
        let body = serde_json::json!({ "network_conditions": {
            "offline": self.offline, "latency": 0, "download_throughput": -1, "upload_throughput": -1
        }});
        (axum::http::Method::POST, Some(body.to_string()))
    }
}

/// Stops a server started by [`serve`] (its whole process group), and waits until its port is
/// closed: the site is gone, as when the network is.
fn stop(server: &Kill, port: u16) {
    let _ = Command::new("kill").args(["-9", "--", &format!("-{}", server.0.id())]).status();
    let deadline = Instant::now() + Duration::from_secs(15);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
        assert!(Instant::now() < deadline, "the server on port {port} did not stop");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A handler that never answers: its panic drops the connection, so the browser gets no
/// response at all (as from a host that is down), not an HTTP error.
async fn no_answer() -> &'static str {
    panic!("on purpose: the test's site drops the connection instead of answering trust.json")
}

/// Serves `dir` on `port`, except that a request for `trust.json` gets no answer at all (the
/// connection is dropped, by a panic in its handler): the site's host is unreachable for the
/// trust list while the issuer's log (same host here, standing in for another origin) answers.
/// Stop it by setting the flag and awaiting the task: a graceful shutdown, which also closes the
/// browser's idle keep-alive connections to it (so none outlives it).
async fn serve_all_but_trust_json(
    dir: &Path,
    port: u16,
) -> (std::sync::Arc<std::sync::atomic::AtomicBool>, tokio::task::JoinHandle<()>) {
    let app = axum::Router::new()
        .route("/trust.json", axum::routing::get(no_answer))
        .fallback_service(tower_http::services::ServeDir::new(dir))
        // Unlike `ledgerless serve`'s, ServeDir's answers carry Last-Modified, which the browser's
        // HTTP cache would keep fresh for a while (heuristically): nothing from this stand-in
        // may be served from that cache once the real site is back.
        .layer(tower_http::set_header::SetResponseHeaderLayer::overriding(
            axum::http::header::CACHE_CONTROL,
            axum::http::HeaderValue::from_static("no-store"),
        ));
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.expect("bind");
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = stop.clone();
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                while !flag.load(std::sync::atomic::Ordering::SeqCst) {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            })
            .await;
    });
    wait_for_port(port);
    (stop, task)
}

/// The URLs the service worker's complete shell cache holds, once the page is controlled by it
/// and the cache is complete (waits up to 60 s).
async fn cached_shell(c: &fantoccini::Client) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let v = c
            .execute(
                "return (async () => {
                   if (!navigator.serviceWorker || !navigator.serviceWorker.controller) return null;
                   for (const k of await caches.keys()) {
                     const cache = await caches.open(k);
                     if (await cache.match(new URL('.ledgerless-shell-complete', document.baseURI).href))
                       return (await cache.keys()).map(r => r.url);
                   }
                   return null;
                 })()",
                vec![],
            )
            .await
            .expect("caches");
        if let Ok(urls) = serde_json::from_value::<Vec<String>>(v) {
            return urls;
        }
        assert!(
            Instant::now() < deadline,
            "the service worker never controlled the page with a complete cache"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// What the page shows for the first credential: (`data-verdict`, heading, the offline notes
/// (one a line), the advice, and each step's `data-check` → (class, text)).
async fn credential_shown(
    c: &fantoccini::Client,
) -> (String, String, String, String, Vec<(String, String, String)>) {
    let (v, word) = shown_verdict(c).await;
    let text = async |css: &str| match c.find(Locator::Css(css)).await {
        Ok(e) => e.text().await.unwrap_or_default(),
        Err(_) => String::new(),
    };
    let notes = c
        .execute(
            "return [...document.querySelectorAll('#result-0 .offline-note')].map(p => p.textContent).join('\\n')",
            vec![],
        )
        .await
        .expect("offline notes");
    let note = notes.as_str().unwrap_or_default().to_owned();
    let advice = text("#result-0 .advice").await;
    let steps = c
        .execute(
            "return [...document.querySelectorAll('#result-0 .steps li')].map(li => [li.dataset.check, li.className, li.textContent])",
            vec![],
        )
        .await
        .expect("steps");
    (v, word, note, advice, serde_json::from_value(steps).expect("steps"))
}

/// The size in a log's checkpoint file (its second line).
fn checkpoint_size(log: &Path) -> u64 {
    let c = std::fs::read_to_string(log.join("checkpoint")).expect("checkpoint");
    c.lines().nth(1).and_then(|l| l.parse().ok()).expect("size line")
}

/// Issue 15: after one visit the app works with no network. The service worker has cached the
/// app and trust.json (never the issuer's log); with the site gone, a credential link still
/// opens and every local check passes, but revocation is "not checked — offline" with the
/// checkpoint this browser last saw and when, and the verdict is not valid. With the site back
/// it is valid again. A revocation made while the browser was away is never reported as "not
/// revoked" offline, and shows as revoked once the site is back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_one_visit_the_app_verifies_offline_and_says_what_it_could_not_check() {
    let Some(served) = served_demo(false) else { return };
    let port: u16 =
        served.origin.trim_end_matches('/').rsplit(':').next().and_then(|p| p.parse().ok()).expect("port");
    let site_dir = served.demo.join("site");
    let valid = served.link("valid");
    let profile = tempfile::tempdir().expect("profile");
    let (_driver, c) = session(profile.path()).await;
    let open = async |url: &str| {
        // A new document each time (not a fragment change): the app itself is loaded afresh.
        c.goto("about:blank").await.expect("blank");
        c.goto(url).await.expect("goto");
        credential_shown(&c).await
    };

    // 1. The first visit, online: valid, and the service worker keeps the shell.
    let (v, word, note, ..) = open(&valid).await;
    assert_eq!((v.as_str(), word.as_str(), note.as_str()), ("valid", "Valid", ""));
    let cached = cached_shell(&c).await;
    eprintln!("cached: {cached:?}");
    let has = |suffix: &str| cached.iter().any(|u| u.ends_with(suffix));
    for f in [
        "/",
        "/index.html",
        "/trust.json",
        "/sw.js",
        "_bg.wasm",
        "/hasher_bg.wasm",
        "/hasher_loader.js",
        ".css",
    ] {
        if f == "/sw.js" {
            assert!(!has(f), "the service worker's own script is not in its cache");
        } else {
            assert!(has(f), "{f} is not cached: {cached:?}");
        }
    }
    assert!(cached.iter().all(|u| !u.contains("/log/")), "a log file was cached: {cached:?}");
    let seen_size = checkpoint_size(&site_dir.join("log"));

    // 2. The site goes away (the network is cut): the app still opens the link; every check
    //    that needs only the bundle and trust.json passes; revocation is not checked, saying
    //    when the log was last seen and its size; not valid; the advice says to reconnect.
    stop(&served._server, port);
    // `saved`: trust.json is the service worker's saved copy (the site gave no answer).
    let offline = async |saved: bool| {
        let (v, word, note, advice, steps) = open(&valid).await;
        let said = format!("{v} {word}\n{note}\n{advice}\n{steps:#?}");
        // With the saved trust list, that is said first, and the verdict is not valid for that
        // alone (below, 3c).
        let heading = if saved {
            "Could not check that the issuer is still trusted"
        } else {
            "Could not check revocation"
        };
        assert_eq!((v.as_str(), word.as_str()), ("unchecked", heading), "{said}");
        let mut notes: Vec<&str> = note.lines().collect();
        if saved {
            assert!(notes[0].starts_with("Trust list: this browser's saved copy from 20"), "{said}");
            notes.remove(0);
        }
        assert_eq!(notes.len(), 1, "{said}");
        assert!(notes[0].starts_with("Revocation: not checked — offline"), "{said}");
        assert!(
            notes[0].contains("issuer log last seen at 20")
                && notes[0].contains(&format!("(size {seen_size})")),
            "{said}"
        );
        assert!(advice.contains("Reconnect"), "{said}");
        for check in
            ["format", "issuer", "checkpoint-signature", "witness-quorum", "inclusion", "claims", "validity"]
        {
            assert!(
                steps.iter().any(|(c, class, _)| c == check && class == "pass"),
                "{check} did not pass offline: {said}"
            );
        }
        let rev = steps.iter().find(|(c, ..)| c == "revocation").expect("a revocation step");
        assert_eq!(rev.1, "unchecked", "{said}");
        assert_eq!(steps.iter().any(|(c, class, _)| c == "issuer" && class == "unchecked"), saved, "{said}");
        // Never a stale status shown as current.
        assert!(steps.iter().all(|(.., text)| !text.contains(": not revoked")), "{said}");
        let trust = match c.find(Locator::Css(".offline-trust")).await {
            Ok(e) => e.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        format!("{said}\ntrust list: {trust}")
    };
    // The site is gone: trust.json is the copy the service worker saved, and the page says so.
    let said = offline(true).await;
    eprintln!("offline: {said}");
    assert!(
        said.contains("trust list: Offline: the site did not answer") && said.contains("saved at 20"),
        "{said}"
    );

    // 3. The network is back: valid, revocation checked.
    let server = serve(&site_dir, port);
    let (v, word, note, _, steps) = open(&valid).await;
    assert_eq!((v.as_str(), word.as_str(), note.as_str()), ("valid", "Valid", ""), "{steps:#?}");
    assert!(c.find(Locator::Css(".offline-trust")).await.is_err(), "online, trust.json is the site's");
    assert!(
        steps
            .iter()
            .any(|(c, class, text)| c == "revocation" && class == "pass" && text.contains(": not revoked"))
    );

    // 3a. The browser itself goes offline (navigator.onLine false), the site still up: the
    //     same "not checked — offline", saying the device is offline. (chromedriver's emulated
    //     offline holds for the page, not for the service worker's own fetch: trust.json is
    //     still the site's answer here, so only revocation is unchecked.)
    c.issue_cmd(NetworkConditions { offline: true }).await.expect("network conditions");
    let said = offline(false).await;
    assert!(said.contains("this device is offline"), "{said}");
    c.issue_cmd(NetworkConditions { offline: false }).await.expect("network conditions");
    let (v, ..) = open(&valid).await;
    assert_eq!(v, "valid");

    // 3c. The site does not answer for trust.json but the issuer's log does (the site blocked
    //     or down, the log elsewhere): the saved trust list is used and revocation passes
    //     against the live log, yet the result is not valid: the site could not confirm the
    //     issuer is still trusted. Every local check is still shown as passed.
    stop(&server, port);
    let blocked = serve_all_but_trust_json(&site_dir, port).await;
    let (v, word, note, advice, steps) = open(&valid).await;
    let said = format!("{v} {word}\n{note}\n{advice}\n{steps:#?}");
    eprintln!("site down, log up: {said}");
    assert_eq!(
        (v.as_str(), word.as_str()),
        ("unchecked", "Could not check that the issuer is still trusted"),
        "{said}"
    );
    assert!(
        note.starts_with("Trust list: this browser's saved copy from 20")
            && note.ends_with("the site could not be reached to confirm the issuer is still trusted"),
        "{said}"
    );
    assert!(advice.contains("Reconnect"), "{said}");
    assert!(
        steps
            .iter()
            .any(|(c, class, text)| c == "revocation" && class == "pass" && text.contains(": not revoked")),
        "{said}"
    );
    for check in
        ["format", "issuer", "checkpoint-signature", "witness-quorum", "inclusion", "claims", "validity"]
    {
        assert!(steps.iter().any(|(c, class, _)| c == check && class == "pass"), "{check}: {said}");
    }
    assert!(steps.iter().any(|(c, class, _)| c == "issuer" && class == "unchecked"), "{said}");
    blocked.0.store(true, std::sync::atomic::Ordering::SeqCst);
    tokio::time::timeout(Duration::from_secs(15), blocked.1)
        .await
        .expect("the test's site did not shut down")
        .expect("the test's site");
    let deadline = Instant::now() + Duration::from_secs(15);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
        assert!(Instant::now() < deadline, "the test's site on port {port} did not stop");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let server = serve(&site_dir, port);
    let (v, ..) = open(&valid).await;
    assert_eq!(v, "valid");

    // 3b. A new deploy (another index.html) seen online becomes a new cache; the old one goes.
    let shell_caches = async || -> Vec<String> {
        let v = c
            .execute(
                "return caches.keys().then(ks => ks.filter(k => k.startsWith('ledgerless-shell-')))",
                vec![],
            )
            .await
            .expect("cache names");
        serde_json::from_value(v).expect("names")
    };
    let first = shell_caches().await;
    assert_eq!(first.len(), 1, "{first:?}");
    let index = site_dir.join("index.html");
    let html = std::fs::read_to_string(&index).expect("index.html");
    std::fs::write(&index, format!("{html}<!-- deploy 2 -->\n")).expect("deploy");
    let (v, ..) = open(&valid).await;
    assert_eq!(v, "valid");
    let deadline = Instant::now() + Duration::from_secs(30);
    let second = loop {
        let now = shell_caches().await;
        if now.len() == 1 && now != first {
            break now;
        }
        assert!(Instant::now() < deadline, "the new deploy was not cached in place of the old: {now:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    eprintln!("caches: {first:?} → {second:?}");
    assert!(cached_shell(&c).await.iter().any(|u| u.ends_with("/trust.json")));

    // 4. The issuer revokes it while this browser is away (the witness cosigns the revocation).
    let mut id = None;
    let claims = c
        .execute(
            "return [...document.querySelectorAll('#result-0 .claims dd')].map(d => d.textContent)",
            vec![],
        )
        .await
        .expect("claims");
    let claims: Vec<String> = serde_json::from_value(claims).expect("claims");
    for e in std::fs::read_dir(served.demo.join("bundles")).expect("bundles").filter_map(Result::ok) {
        let b: serde_json::Value =
            match std::fs::read(e.path()).ok().and_then(|b| serde_json::from_slice(&b).ok()) {
                Some(b) => b,
                None => continue,
            };
        let subject = &b["credential"]["credentialSubject"];
        if let Some(m) = subject.as_object()
            && m.len() == claims.len()
            && m.values().all(|v| v.as_str().is_some_and(|v| claims.iter().any(|c| c == v)))
        {
            id = e.path().file_stem().map(|s| s.to_string_lossy().into_owned());
        }
    }
    let id = id.expect("the valid link's bundle among the demo's bundles");
    let keys = served.demo.join("keys");
    let o = Command::new(env!("CARGO_BIN_EXE_ledgerless"))
        .arg("revoke")
        .arg("--log")
        .arg(site_dir.join("log"))
        .arg("--key")
        .arg(keys.join("issuer.key"))
        .args(["--id", &id])
        .arg("--witness-key")
        .arg(keys.join("witness.key"))
        .arg("--witness-state")
        .arg(keys.join("witness-state"))
        .output()
        .expect("revoke");
    assert!(o.status.success(), "revoke: {}", String::from_utf8_lossy(&o.stderr));
    assert!(checkpoint_size(&site_dir.join("log")) > seen_size);

    // 5. Offline again: still "not checked", never "not revoked" (the browser last saw the log
    //    before the revocation, and says so).
    stop(&server, port);
    let said = offline(true).await;
    eprintln!("offline after the revocation: {said}");
    assert!(said.contains("saved at 20"), "{said}");

    // 6. Back online: revoked.
    let _server = serve(&site_dir, port);
    let (v, word, note, ..) = open(&valid).await;
    assert_eq!((v.as_str(), word.as_str(), note.as_str()), ("invalid", "Revoked", ""));
    c.close().await.expect("close");
}

/// The same offline use when the site is served from a sub-path (`ORIGIN/site/`): the service
/// worker's scope is the site's directory, and its cache serves the app there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_use_works_from_a_sub_path() {
    let Some(served) = served_demo(true) else { return };
    let port: u16 =
        served.origin.trim_end_matches('/').rsplit(':').next().and_then(|p| p.parse().ok()).expect("port");
    let valid = served.link("valid");
    assert!(valid.starts_with(&served.site) && served.site.ends_with("/site/"), "{valid}");
    let profile = tempfile::tempdir().expect("profile");
    let (_driver, c) = session(profile.path()).await;
    c.goto(&valid).await.expect("goto");
    assert_eq!(credential_shown(&c).await.0, "valid");
    let cached = cached_shell(&c).await;
    let site = served.site.clone();
    assert!(cached.iter().all(|u| u.starts_with(&site)), "{cached:?}");
    assert!(cached.contains(&site) && cached.contains(&format!("{site}trust.json")), "{cached:?}");
    stop(&served._server, port);
    c.goto("about:blank").await.expect("blank");
    c.goto(&valid).await.expect("goto");
    let (v, word, note, ..) = credential_shown(&c).await;
    assert_eq!(
        (v.as_str(), word.as_str()),
        ("unchecked", "Could not check that the issuer is still trusted"),
        "{note}"
    );
    let notes: Vec<&str> = note.lines().collect();
    assert!(
        notes.first().is_some_and(|n| n.starts_with("Trust list: this browser's saved copy from 20")),
        "{note}"
    );
    assert!(
        notes.get(1).is_some_and(
            |n| n.starts_with("Revocation: not checked — offline") && n.contains("last seen at 20")
        ),
        "{note}"
    );
    c.close().await.expect("close");
}
