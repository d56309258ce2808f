//! The ledgerless demo on synthetic data, in one place: the site (a copy of the built app with
//! its Content-Security-Policy, `trust.json`), an issuer log with a few hundred credentials
//! (one revoked, one expired) cosigned by a witness, a synthetic patient release anonymised and
//! published to its own log, and the links that open them in the app. `ledgerless demo` calls
//! [`build`]; `ledgerless serve` sends [`page_csp`] and [`default_csp`] as headers.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![deny(rustdoc::broken_intra_doc_links)]

use std::path::{Path, PathBuf};

mod credentials;
mod release;
mod site;

pub use crate::credentials::{DEMO_ISSUER, DEMO_WITNESS};
pub use crate::release::{DEMO_PUBLISHER, DEMO_RELEASE};
pub use crate::site::{add_csp, default_csp, page_csp};

/// Why the demo could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DemoError {
    /// The output directory exists and is not empty (it is left alone).
    #[error("{} is not empty; give a new directory", .0.display())]
    NotEmpty(PathBuf),
    /// The app directory has no `index.html`.
    #[error(
        "{} is not a built app (no index.html); build it first with `trunk build --release` (scripts/setup.sh does)",
        .0.display()
    )]
    NotAnApp(PathBuf),
    /// Something the demo made is not as expected.
    #[error("{0}")]
    Input(String),
    /// Issuing or revoking the demo's credentials failed.
    #[error(transparent)]
    Issue(#[from] issuer::IssueError),
    /// Making the demo's release failed.
    #[error(transparent)]
    Release(#[from] analytics::Error),
    /// Publishing the demo's release failed.
    #[error(transparent)]
    Publish(#[from] analytics::publish::PublishError),
    /// A log or key could not be written.
    #[error(transparent)]
    Log(#[from] tlog::LogError),
    /// A file could not be read or written.
    #[error("cannot {what} {}: {source}", path.display())]
    Io {
        /// What was being done ("read", "write", "create", ...).
        what: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
}

impl DemoError {
    fn io<'a>(what: &'static str, p: &'a Path) -> impl FnOnce(std::io::Error) -> DemoError + 'a {
        move |e| DemoError::Io { what, path: p.to_owned(), source: e }
    }
}

/// What the demo made.
#[derive(Debug, Clone)]
pub struct Demo {
    /// The static site (app, `trust.json`, the issuer's `log/`, `releases/`).
    pub site: PathBuf,
    /// `(label, link)` for `valid`, `revoked`, `expired`, `tampered` and `release`, as written
    /// to `links.txt`.
    pub links: Vec<(String, String)>,
    /// The release directory in the site.
    pub release: PathBuf,
    /// What publishing the release did.
    pub published: analytics::publish::Published,
}

/// Builds the demo in `out`, a new or empty directory: keys in `out/keys` (never served), the
/// site in `out/site` (a copy of the built app in `app`, plus `trust.json`, the issuer's `log/`
/// and the release with its log in `releases/`), bundles in `out/bundles`, the release's
/// inputs in `out/work`, a row proof in `out/row-proof.json`, and `out/links.txt`. Links start
/// with `site_url`; `now` is POSIX seconds.
///
/// On failure everything in `out` was made by this run and is removed, unless `out` was not
/// empty ([`DemoError::NotEmpty`]).
///
/// # Errors
/// [`DemoError`] if `app` is not a built app, `out` is not empty, or anything cannot be made.
pub fn build(out: &Path, app: &Path, site_url: &str, now: i64) -> Result<Demo, DemoError> {
    if out.exists() && std::fs::read_dir(out).map_err(DemoError::io("read", out))?.next().is_some() {
        return Err(DemoError::NotEmpty(out.to_owned()));
    }
    let made = build_in(out, app, site_url, now);
    if made.is_err() {
        let _ = std::fs::remove_dir_all(out);
    }
    made
}

fn build_in(out: &Path, app: &Path, site_url: &str, now: i64) -> Result<Demo, DemoError> {
    if !app.join("index.html").is_file() {
        return Err(DemoError::NotAnApp(app.to_owned()));
    }
    let (site, keys, bundles) = (out.join("site"), out.join("keys"), out.join("bundles"));
    site::copy_dir(app, &site)?;
    // The demo's logs are served from the site's own origin, so 'self' is the only connect-src.
    let index = site.join("index.html");
    let html = std::fs::read_to_string(&index).map_err(DemoError::io("read", &index))?;
    std::fs::write(&index, add_csp(&html, &[])?).map_err(DemoError::io("write", &index))?;
    let mut links = credentials::build(&site, &keys, &bundles, site_url, now)?;
    // The dataset half: an anonymised release published to its own log, and its link.
    let (link, published) = release::build(out, &site, site_url, now)?;
    links.push(("release".to_owned(), link));
    let text: String = links.iter().map(|(l, u)| format!("{l} {u}\n")).collect();
    tlog::write_file_atomic(&out.join("links.txt"), text.as_bytes(), false)?;
    Ok(Demo { release: site.join(DEMO_RELEASE), site, links, published })
}

/// Starts the demo witness (`witness serve`'s library) on loopback, a port the OS picks, for
/// `logs`, keeping its state in `state`.
fn witness_server(
    key: &verifier::write::SignerKey,
    state: &Path,
    logs: &[witness::KnownLog],
) -> Result<witness::Running, DemoError> {
    let w = witness::Witness::open(key.clone(), state, logs)
        .map_err(|e| DemoError::Input(format!("the demo witness: {e}")))?;
    let loopback = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
    witness::spawn(w, loopback).map_err(|e| DemoError::Input(format!("the demo witness cannot listen: {e}")))
}

/// The client the demo's logs ask the witness with.
fn witness_client() -> witness::Client {
    witness::Client::new(std::time::Duration::from_secs(30))
}

/// Writes pretty JSON and a newline to `path`, atomically.
fn write_json(path: &Path, value: &impl serde::Serialize) -> Result<(), DemoError> {
    Ok(analytics::publish::write_json(path, value)?)
}
