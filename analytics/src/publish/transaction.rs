//! The publish transaction: a release directory's manifest appended to a publisher's log, with
//! `manifest.json` (the entry's exact bytes) and `manifest.bundle.json` written beside it.
//!
//! Commit protocol: under the log's lock the release is claimed by creating `manifest.json`
//! (of two runs on one directory only one appends); the append is the commit point (a failed
//! append removes the claim, so the run can be repeated); then the entry's bytes and the bundle
//! are written. A credential log is refused, before and again under the lock: a release entry
//! after an issuer's status list would break every credential's revocation check.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use verifier::ReleaseBundle;
use verifier::write::SignerKey;

use super::{BUNDLE_FILE, MANIFEST_FILE};

/// Why a release could not be published; nothing is appended unless the error says so.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// The directory has no `report.json` (it was not made by `anonymise`).
    #[error("{} is not a release directory (no report.json)", .0.display())]
    NotARelease(PathBuf),
    /// `manifest.json` or `manifest.bundle.json` exists: the release is published already.
    #[error("{} is already published ({file} exists)", release.display())]
    AlreadyPublished {
        /// The release directory.
        release: PathBuf,
        /// The file that exists.
        file: &'static str,
    },
    /// The log holds credentials.
    #[error(
        "{} is a credential log ({why}); publishing a release there would break every credential's revocation check",
        log.display()
    )]
    CredentialLog {
        /// The log directory.
        log: PathBuf,
        /// What shows it holds credentials.
        why: String,
        /// Whether this was found under the log's lock (another writer issued since the first check).
        under_lock: bool,
    },
    /// The release's files or report cannot make a manifest.
    #[error(transparent)]
    Release(#[from] crate::Error),
    /// The manifest cannot be serialised as a log entry.
    #[error("{0}")]
    Manifest(String),
    /// The log could not be opened, appended to or proven from.
    #[error(transparent)]
    Log(#[from] tlog::LogError),
    /// A release file could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
}

/// What [`publish_release`] did.
#[derive(Debug, Clone)]
pub struct Published {
    /// The bundle written to `manifest.bundle.json`.
    pub bundle: ReleaseBundle,
    /// Seconds spent hashing the release's files.
    pub hashed_secs: f64,
    /// The manifest's entry index in the log.
    pub index: u64,
    /// The log's origin.
    pub origin: String,
}

/// Publishes the release in `release` to the log in `log` signed with `key`, `now` POSIX
/// seconds: builds its manifest (recounting the microdata), appends it, and writes
/// `manifest.json` and `manifest.bundle.json` (see the module's commit protocol). `on_wait` is
/// called if another writer holds the log's lock.
///
/// # Errors
/// [`PublishError`]; on any error before the append, nothing is written.
pub fn publish_release(
    release: &Path,
    log: &Path,
    key: SignerKey,
    now: i64,
    on_wait: &mut dyn FnMut(),
) -> Result<Published, PublishError> {
    if !release.join("report.json").is_file() {
        return Err(PublishError::NotARelease(release.to_owned()));
    }
    for file in [MANIFEST_FILE, BUNDLE_FILE] {
        if release.join(file).exists() {
            return Err(PublishError::AlreadyPublished { release: release.to_owned(), file });
        }
    }
    if let Some(why) = credential_log(log) {
        return Err(PublishError::CredentialLog { log: log.to_owned(), why, under_lock: false });
    }
    let publisher = key.verifier.name.clone();
    let t = std::time::Instant::now();
    let manifest = super::build_manifest(release, &publisher, &verifier::format_time(now))?;
    let hashed_secs = t.elapsed().as_secs_f64();
    let entry = manifest.entry().map_err(|e| PublishError::Manifest(e.to_string()))?;
    let mut l = tlog::Log::open(log, key, tlog::LockMode::Wait, on_wait)?;
    // Checked again under the lock: an `issue` may have started since.
    if let Some(why) = credential_log(log) {
        return Err(PublishError::CredentialLog { log: log.to_owned(), why, under_lock: true });
    }
    // Under the log's lock, claim the release by creating manifest.json: of two runs on the
    // same directory, only one appends.
    let manifest_path = release.join(MANIFEST_FILE);
    let mut claim =
        std::fs::OpenOptions::new().write(true).create_new(true).open(&manifest_path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                PublishError::AlreadyPublished { release: release.to_owned(), file: MANIFEST_FILE }
            } else {
                PublishError::Write { path: manifest_path.clone(), source: e }
            }
        })?;
    let c = match l.append(std::iter::once(Ok(entry.clone())), &mut |_, _| {}) {
        Ok(c) => c,
        Err(e) => {
            drop(claim);
            let _ = std::fs::remove_file(&manifest_path);
            return Err(e.into());
        }
    };
    let proof = tlog::tlog_proof(&tlog::DirFetch(log.to_path_buf()), c.size - 1)?;
    drop(l);
    let bundle = super::bundle(manifest, proof);
    claim
        .write_all(&entry)
        .and_then(|()| claim.sync_all())
        .map_err(|e| PublishError::Write { path: manifest_path.clone(), source: e })?;
    write_bundle(release, &bundle)?;
    Ok(Published { bundle, hashed_secs, index: c.size - 1, origin: c.origin })
}

/// Writes `bundle` as the release's `manifest.bundle.json` (pretty JSON, atomically): also
/// for a bundle re-proved against a newer (e.g. cosigned) checkpoint.
///
/// # Errors
/// [`PublishError::Write`].
pub fn write_bundle(release: &Path, bundle: &ReleaseBundle) -> Result<(), PublishError> {
    write_json(&release.join(BUNDLE_FILE), bundle)
}

/// Writes pretty JSON (and a newline) to `path` as a [`tlog::AtomicFile`]: readers see the old
/// file or the whole new one, never a part.
///
/// # Errors
/// [`PublishError::Write`].
pub fn write_json(path: &Path, value: &impl serde::Serialize) -> Result<(), PublishError> {
    let mut json = serde_json::to_vec_pretty(value)
        .map_err(|e| PublishError::Write { path: path.to_owned(), source: e.into() })?;
    json.push(b'\n');
    tlog::write_file_atomic(path, &json, false).map_err(|e| PublishError::Write {
        path: path.to_owned(),
        source: match e {
            tlog::LogError::Io { source, .. } => source,
            other => std::io::Error::other(other.to_string()),
        },
    })
}

/// Why the log at `log` holds credentials (an issuer's status list or ids, or a credential or
/// status-list entry last), or `None` for a log that does not.
pub fn credential_log(log: &Path) -> Option<String> {
    for f in ["status/ids", verifier::STATUS_LIST_PATH, verifier::STATUS_PROOF_PATH] {
        if log.join(f).exists() {
            return Some(format!("it has {f}"));
        }
    }
    if log.join("status").is_dir() {
        return Some("it has a status/ directory".to_owned());
    }
    // An issuer's last entry is always its status list; credentials precede it.
    let fetch = tlog::DirFetch(log.to_path_buf());
    let (_, c) = tlog::read_checkpoint(&fetch).ok()?;
    if c.size == 0 {
        return None;
    }
    let last = c.size - 1;
    let bundle = last / verifier::TILE_WIDTH;
    let width = (c.size - bundle * verifier::TILE_WIDTH) as u16;
    let path = verifier::entries_path(bundle, width);
    let bytes = std::fs::read(log.join(&path)).ok()?;
    let entries = verifier::parse_entry_bundle(&path, &bytes).ok()?;
    let format = serde_json::from_slice::<serde_json::Value>(entries.last()?)
        .ok()?
        .get("format")?
        .as_str()?
        .to_owned();
    [verifier::ENTRY_FORMAT, verifier::STATUS_ENTRY_FORMAT]
        .contains(&format.as_str())
        .then(|| format!("its last entry is a {format} entry"))
}
