//! The publish transaction: a release directory's manifest appended to a publisher's log, with
//! `manifest.json` (the entry's exact bytes) and `manifest.bundle.json` written beside it.
//!
//! Commit protocol, all under the log's lock:
//! 1. `manifest.json` is written with the entry's exact bytes, durably and without replacing
//!    an existing one: it is the intent record (of two runs on one directory, one writes it).
//! 2. The append is the commit point.
//! 3. `manifest.bundle.json` (the manifest and its tlog-proof) is written durably before the
//!    lock is released, so a second run sees a finished publish.
//!
//! A release is published once it has `manifest.bundle.json`. A `manifest.json` without one is
//! an interrupted publish, and running `publish` again resumes it: the manifest is read back
//! (it must name this key's log and match the release's files), the log is searched for its
//! exact bytes (appended if absent) and the bundle is written. A kill at any moment therefore
//! leaves a state the same command completes, with the manifest in the log exactly once.
//! A credential log is refused, before and again under the lock: a release entry after an
//! issuer's status list would break every credential's revocation check.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use verifier::write::SignerKey;
use verifier::{Manifest, ReleaseBundle};

use super::{BUNDLE_FILE, FileStatus, MANIFEST_FILE};

/// Why a release could not be published; nothing is appended unless the error says so.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// The directory has no `report.json` (it was not made by `anonymise`).
    #[error("{} is not a release directory (no report.json)", .0.display())]
    NotARelease(PathBuf),
    /// `manifest.bundle.json` exists: the release is published already.
    #[error("{} is already published ({file} exists)", release.display())]
    AlreadyPublished {
        /// The release directory.
        release: PathBuf,
        /// The file that exists.
        file: &'static str,
    },
    /// The `manifest.json` of an interrupted publish names another log than this key's.
    #[error(
        "{} was written for publisher {claimed}, not {publisher} (this key's log): an interrupted publish to that log; finish it with that log and its key",
        path.display()
    )]
    ClaimedForAnotherLog {
        /// The manifest file.
        path: PathBuf,
        /// The publisher it names.
        claimed: String,
        /// This key's log origin.
        publisher: String,
    },
    /// The `manifest.json` of an interrupted publish is not a manifest's exact entry bytes.
    #[error(
        "{} is not a manifest written by publish ({why}); if no publish of this release is running, remove it and publish again",
        path.display()
    )]
    NotAManifest {
        /// The manifest file.
        path: PathBuf,
        /// What is wrong with it.
        why: String,
    },
    /// The release's files no longer match the `manifest.json` of an interrupted publish.
    #[error(
        "{} has changed since {MANIFEST_FILE} was written by an interrupted publish ({}); nothing appended: restore the files and publish again, or remove {MANIFEST_FILE} to publish the release as it is now",
        release.display(),
        problems.join("; ")
    )]
    Changed {
        /// The release directory.
        release: PathBuf,
        /// Each difference.
        problems: Vec<String>,
    },
    /// `manifest.json` appeared while this run held the log's lock: a run publishing the same
    /// directory to another log is under way.
    #[error(
        "{} appeared while publishing: another publish of this release, to another log, is running; nothing appended",
        .0.display()
    )]
    Concurrent(PathBuf),
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
    /// The log could not be opened, read, appended to or proven from.
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

/// How a publish found an interrupted one it completed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resumed {
    /// `manifest.json` was written but its entry was not in the log: it was appended now.
    Appended,
    /// The entry was already in the log: only the bundle was missing.
    AlreadyAppended,
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
    /// `Some` when this run completed an interrupted publish (see the module's protocol).
    pub resumed: Option<Resumed>,
}

/// Publishes the release in `release` to the log in `log` signed with `key`, `now` POSIX
/// seconds: builds its manifest (recounting the microdata), writes `manifest.json`, appends it
/// and writes `manifest.bundle.json`; or completes an interrupted publish of it (see the
/// module's commit protocol). `on_wait` is called if another writer holds the log's lock.
///
/// # Errors
/// [`PublishError`]; nothing is appended on any error but [`PublishError::Write`] and
/// [`PublishError::Log`] after the append, which a re-run completes.
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
    let already = || PublishError::AlreadyPublished { release: release.to_owned(), file: BUNDLE_FILE };
    if release.join(BUNDLE_FILE).exists() {
        return Err(already());
    }
    if let Some(why) = credential_log(log) {
        return Err(PublishError::CredentialLog { log: log.to_owned(), why, under_lock: false });
    }
    let publisher = key.verifier.name.clone();
    let manifest_path = release.join(MANIFEST_FILE);
    let created = verifier::format_time(now);
    // A fresh publish hashes the release before taking the lock (it may take a while).
    let t = std::time::Instant::now();
    let mut fresh = match manifest_path.exists() {
        true => None,
        false => Some(super::build_manifest(release, &publisher, &created)?),
    };
    let mut hashed_secs = t.elapsed().as_secs_f64();
    let mut l = tlog::Log::open(log, key, tlog::LockMode::Wait, on_wait)?;
    // Checked again under the lock: an `issue` may have started since.
    if let Some(why) = credential_log(log) {
        return Err(PublishError::CredentialLog { log: log.to_owned(), why, under_lock: true });
    }
    // A run on the same directory may have finished while this one waited for the lock.
    if release.join(BUNDLE_FILE).exists() {
        return Err(already());
    }
    remove_leftover_temporaries(release);
    let (manifest, entry, found) = if manifest_path.exists() {
        // An interrupted publish: its manifest, checked against the files, and where it is in
        // the log, if anywhere.
        let t = std::time::Instant::now();
        let (manifest, entry) = read_intent(release, &manifest_path, &publisher)?;
        hashed_secs = t.elapsed().as_secs_f64();
        let found = find_entry(log, l.checkpoint().size, &entry)?;
        (manifest, entry, Some(found))
    } else {
        let manifest = match fresh.take() {
            Some(m) => m,
            None => {
                let t = std::time::Instant::now();
                let m = super::build_manifest(release, &publisher, &created)?;
                hashed_secs = t.elapsed().as_secs_f64();
                m
            }
        };
        let entry = manifest.entry().map_err(|e| PublishError::Manifest(e.to_string()))?;
        if !write_new_durably(&manifest_path, &entry)? {
            return Err(PublishError::Concurrent(manifest_path));
        }
        (manifest, entry, None)
    };
    let (index, resumed) = match found {
        Some(Some(index)) => (index, Some(Resumed::AlreadyAppended)),
        _ => {
            let c = match l.append(std::iter::once(Ok(entry)), &mut |_, _| {}) {
                Ok(c) => c,
                Err(e) => {
                    // An entry refused before anything was written (too large) leaves no
                    // intent behind; any other failure may have staged a checkpoint, which
                    // the next open rolls forward, so manifest.json stays for a re-run.
                    if found.is_none() && matches!(e, tlog::LogError::BadEntry { .. }) {
                        let _ = std::fs::remove_file(&manifest_path);
                    }
                    return Err(e.into());
                }
            };
            (c.size - 1, found.map(|_| Resumed::Appended))
        }
    };
    let proof = tlog::tlog_proof(&tlog::DirFetch(log.to_path_buf()), index)?;
    let bundle = super::bundle(manifest, proof);
    // Written before the lock is released: a second run then sees a finished publish.
    if !write_new_durably(&release.join(BUNDLE_FILE), &json_bytes(&release.join(BUNDLE_FILE), &bundle)?)? {
        return Err(already());
    }
    let origin = l.checkpoint().origin.clone();
    drop(l);
    Ok(Published { bundle, hashed_secs, index, origin, resumed })
}

/// Reads the `manifest.json` of an interrupted publish: it must be a manifest's exact entry
/// bytes, name `publisher`, and match the release's files (the check `verify` makes, with the
/// microdata recounted).
fn read_intent(release: &Path, path: &Path, publisher: &str) -> Result<(Manifest, Vec<u8>), PublishError> {
    let not_manifest = |why: String| PublishError::NotAManifest { path: path.to_owned(), why };
    let bytes = std::fs::read(path).map_err(|e| crate::Error::io(path, e))?;
    let manifest: Manifest = serde_json::from_slice(&bytes).map_err(|e| not_manifest(e.to_string()))?;
    manifest.validate().map_err(|e| not_manifest(e.to_string()))?;
    if manifest.entry().ok().as_deref() != Some(bytes.as_slice()) {
        return Err(not_manifest("not the manifest's canonical entry bytes".to_owned()));
    }
    if manifest.publisher != publisher {
        return Err(PublishError::ClaimedForAnotherLog {
            path: path.to_owned(),
            claimed: manifest.publisher,
            publisher: publisher.to_owned(),
        });
    }
    let check = super::check_files(release, &manifest)?;
    let mut problems: Vec<String> = check
        .files
        .iter()
        .filter_map(|(f, s)| match s {
            FileStatus::Verified => None,
            FileStatus::Altered(why) => Some(format!("{f}: altered ({why})")),
            FileStatus::Missing => Some(format!("{f}: missing")),
            FileStatus::Extra => Some(format!("{f}: extra")),
        })
        .collect();
    match &check.recount {
        Err(why) => problems.push(format!("recount: {why}")),
        Ok((f, _, p)) if !p.is_empty() => problems.push(format!("recount of {f}: {}", p.join("; "))),
        Ok(_) => {}
    }
    if !problems.is_empty() {
        return Err(PublishError::Changed { release: release.to_owned(), problems });
    }
    Ok((manifest, bytes))
}

/// The index of the entry with exactly these bytes in the log at `log` of `size` entries, if
/// any. Entry bundles are read from the end: the cost is one read of every bundle after the
/// entry, the whole log when it is absent (256 entries a file; a release log, one entry per
/// release, is small).
fn find_entry(log: &Path, size: u64, entry: &[u8]) -> Result<Option<u64>, PublishError> {
    let mut bundle = size.div_ceil(verifier::TILE_WIDTH);
    while bundle > 0 {
        bundle -= 1;
        let width = (size - bundle * verifier::TILE_WIDTH).min(verifier::TILE_WIDTH) as u16;
        let rel = verifier::entries_path(bundle, width);
        let path = log.join(&rel);
        let bytes =
            std::fs::read(&path).map_err(|e| tlog::LogError::Io { action: "read", path, source: e })?;
        let entries = verifier::parse_entry_bundle(&rel, &bytes)
            .map_err(|e| tlog::LogError::Corrupt { dir: log.to_owned(), detail: e.to_string() })?;
        if let Some(i) = entries.iter().rposition(|e| *e == entry) {
            return Ok(Some(bundle * verifier::TILE_WIDTH + i as u64));
        }
    }
    Ok(None)
}

/// Removes temporary files a killed publish left in the release directory (only the lock
/// holder writes them).
fn remove_leftover_temporaries(release: &Path) {
    let Ok(entries) = std::fs::read_dir(release) else { return };
    for e in entries.flatten() {
        if super::is_publish_temporary(&e.file_name().to_string_lossy()) {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// Writes `bytes` to `path` durably (fsync, link, directory fsync) unless `path` exists:
/// `Ok(false)`, writing nothing, if it does.
fn write_new_durably(path: &Path, bytes: &[u8]) -> Result<bool, PublishError> {
    let write = |e: std::io::Error| PublishError::Write { path: path.to_owned(), source: e };
    let mut f = tlog::AtomicFile::create(path, None).map_err(write)?;
    f.write_all(bytes).map_err(write)?;
    f.commit(false).map_err(write)
}

/// Pretty JSON and a newline.
fn json_bytes(path: &Path, value: &impl serde::Serialize) -> Result<Vec<u8>, PublishError> {
    let mut json = serde_json::to_vec_pretty(value)
        .map_err(|e| PublishError::Write { path: path.to_owned(), source: e.into() })?;
    json.push(b'\n');
    Ok(json)
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
    let json = json_bytes(path, value)?;
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
