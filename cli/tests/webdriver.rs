//! The browser app driven like a person would, through WebDriver (fantoccini + Debian's
//! chromedriver + headless Chromium): paste a link, paste a bundle's JSON, pick bundle files;
//! the verdicts must be right. Skips without `dist/`, chromium or chromedriver (fails under
//! `CI=true`).

use std::path::PathBuf;
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

struct Kill(std::process::Child);
impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paste_and_pick_files_in_the_app() {
    let Some(dist) = common::dist() else {
        return common::skip_or_fail("dist/ is not built (run `trunk build --release`)");
    };
    let driver_bin = ["/usr/bin/chromedriver"].iter().map(PathBuf::from).find(|p| p.exists());
    let Some(driver_bin) = driver_bin else { return common::skip_or_fail("chromedriver is not installed") };
    let t = tempfile::tempdir().expect("tempdir");
    let (site_port, driver_port) = (free_port(), free_port());
    let site = format!("http://127.0.0.1:{site_port}/");
    let demo = t.path().join("demo");
    let links = common::build_demo(&dist, &demo, &site);
    let link = |label: &str| {
        links.lines().find_map(|l| l.strip_prefix(&format!("{label} "))).expect("link").to_owned()
    };
    let _server = Kill(
        Command::new(env!("CARGO_BIN_EXE_ledgerless"))
            .arg("serve")
            .arg(demo.join("site"))
            .args(["--addr", &format!("127.0.0.1:{site_port}")])
            .stderr(Stdio::null())
            .spawn()
            .expect("serve"),
    );
    let _driver = Kill(
        Command::new(&driver_bin)
            .arg(format!("--port={driver_port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver"),
    );
    wait_for_port(site_port);
    wait_for_port(driver_port);
    let profile = tempfile::tempdir().expect("profile");
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".to_owned(),
        serde_json::json!({"args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", format!("--user-data-dir={}", profile.path().display())]}),
    );
    let c = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{driver_port}"))
        .await
        .expect("webdriver session");

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
    c.goto(&site).await.expect("goto");
    let paste = c.wait().for_element(Locator::Css("#paste")).await.expect("paste box");
    paste.send_keys(&link("valid")).await.expect("type");
    c.find(Locator::Css("#verify-paste")).await.expect("button").click().await.expect("click");
    assert_eq!(verdict(&c).await, ("valid".to_owned(), "Valid".to_owned()));

    // The valid link's bundle (its proof carries the witnessed checkpoint trust.json requires).
    use base64::Engine as _;
    let b64 = link("valid").split("#bundle=").nth(1).expect("fragment").to_owned();
    let json = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(b64).expect("base64url");
    let text = String::from_utf8(json).expect("utf8");

    // 2. Pick bundle files: the genuine one, then a tampered copy.
    let genuine = t.path().join("genuine.json");
    std::fs::write(&genuine, &text).expect("write");
    let tampered = t.path().join("tampered.json");
    std::fs::write(&tampered, text.replacen("\"name\":\"", "\"name\":\"X", 1)).expect("write");
    assert_ne!(std::fs::read(&tampered).expect("read"), text.as_bytes(), "the tampering changed nothing");
    for (file, want) in [(&genuine, "valid"), (&tampered, "invalid")] {
        c.goto(&site).await.expect("goto");
        let input = c.wait().for_element(Locator::Css("#file")).await.expect("file input");
        input.send_keys(&file.display().to_string()).await.expect("pick");
        assert_eq!(verdict(&c).await.0, want, "{}", file.display());
    }

    // 3. Paste a bundle's JSON.
    c.goto(&site).await.expect("goto");
    let paste = c.wait().for_element(Locator::Css("#paste")).await.expect("paste box");
    paste.send_keys(&text).await.expect("type");
    c.find(Locator::Css("#verify-paste")).await.expect("button").click().await.expect("click");
    assert_eq!(verdict(&c).await, ("valid".to_owned(), "Valid".to_owned()));
    c.close().await.expect("close");
}
