//! Helpers shared by the browser tests.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Skips a browser test with a printed reason, or fails it under `CI=true`.
pub(crate) fn skip_or_fail(why: &str) {
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("browser test cannot run: {why}");
    }
    eprintln!("skipped browser test: {why}");
}

/// The built app (`dist/`), if `trunk build --release` has run.
pub(crate) fn dist() -> Option<PathBuf> {
    let dist = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../dist");
    dist.join("index.html").is_file().then_some(dist)
}

/// Runs `ledgerless demo` into `out` with links pointing at `site_url`; returns links.txt.
pub(crate) fn build_demo(dist: &Path, out: &Path, site_url: &str) -> String {
    let o = Command::new(env!("CARGO_BIN_EXE_ledgerless"))
        .args(["demo", "--out"])
        .arg(out)
        .arg("--app")
        .arg(dist)
        .args(["--site-url", site_url])
        .output()
        .expect("demo");
    assert!(o.status.success(), "demo failed: {}", String::from_utf8_lossy(&o.stderr));
    std::fs::read_to_string(out.join("links.txt")).expect("links.txt")
}
