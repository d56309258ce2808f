//! The publish transaction: a release directory's manifest appended to a publisher's log, with
//! `manifest.json` (the entry's exact bytes) and `manifest.bundle.json` written beside it.
//!
//! Commit protocol, all under an exclusive lock on the release directory (so two runs on it,
//! to any logs, never interleave) and the log's lock:
//! 1. `manifest.json` is written with the entry's exact bytes, durably and without replacing
//!    an existing one: it is the intent record. An entry the log would refuse (too large) is
//!    refused before it is written.
//! 2. The append is the commit point.
//! 3. `manifest.bundle.json` (the manifest and its tlog-proof) is written durably before the
//!    lock is released, so a second run sees a finished publish.
//!
//! A release is published once it has `manifest.bundle.json`. A `manifest.json` without one is
//! an interrupted publish, and running `publish` again resumes it: the manifest is read back
//! (it must name this key's log and match the release's files), the log is searched for its
//! exact bytes (appended if absent) and the bundle is written. A `manifest.json` that is not a
//! manifest (an older version's empty claim, a damaged file) is replaced by this release's
//! manifest found in the log, if the log holds one that matches the release's files, else by
//! a fresh one. Before the bundle is written its tlog-proof is verified against the log's key.
//! A kill at any moment therefore leaves a state the same command completes, with the manifest
//! in the log exactly once.
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
    /// The release's files no longer match the `manifest.json` of an interrupted publish.
    #[error("{}", changed_message(release, problems, *appended))]
    Changed {
        /// The release directory.
        release: PathBuf,
        /// Each difference.
        problems: Vec<String>,
        /// The manifest's index in the log, if the interrupted run had appended it.
        appended: Option<u64>,
    },
    /// `manifest.json` appeared while this run held both locks: something other than
    /// `publish` is writing the release directory.
    #[error("{} appeared while publishing: something else is writing the release directory; nothing appended", .0.display())]
    Concurrent(PathBuf),
    /// The manifest is larger than a log entry may be.
    #[error("the manifest of {} is {size} bytes, over the log's entry limit of {limit}; nothing written", release.display())]
    TooLarge {
        /// The release directory.
        release: PathBuf,
        /// The entry's size.
        size: usize,
        /// [`verifier::MAX_ENTRY_SIZE`].
        limit: usize,
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

/// The words of [`PublishError::Changed`]: whether the old manifest is already in the log
/// decides what is safe to do.
fn changed_message(release: &Path, problems: &[String], appended: Option<u64>) -> String {
    let head = format!(
        "{} has changed since {MANIFEST_FILE} was written by an interrupted publish ({})",
        release.display(),
        problems.join("; ")
    );
    match appended {
        Some(i) => format!(
            "{head}; its manifest is already entry {i} of the log, for good: restore the files and publish again to write its bundle (publishing the changed release would put a second manifest for it in the log)"
        ),
        None => format!(
            "{head}; nothing appended: restore the files and publish again, or remove {MANIFEST_FILE} to publish the release as it is now"
        ),
    }
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
    // One publish of a release directory at a time, whatever its log: the temporaries and the
    // intent record below belong to the holder.
    let _release_lock = lock_release(release, on_wait)?;
    if release.join(BUNDLE_FILE).exists() {
        return Err(already());
    }
    let publisher = key.verifier.name.clone();
    let trust = verifier::Trust::Key(key.verifier.clone());
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
    let size = l.checkpoint().size;
    let (manifest, entry, found) = match manifest_path
        .exists()
        .then(|| read_intent(&manifest_path))
        .transpose()?
    {
        Some(Ok((manifest, entry))) => {
            // An interrupted publish: where its manifest is in the log, if anywhere, and
            // whether the release still matches it.
            if manifest.publisher != publisher {
                return Err(PublishError::ClaimedForAnotherLog {
                    path: manifest_path,
                    claimed: manifest.publisher,
                    publisher,
                });
            }
            let t = std::time::Instant::now();
            let found = find_entry(log, size, |e| e == entry.as_slice())?.map(|(i, _)| i);
            let problems = file_problems(release, &manifest)?;
            if !problems.is_empty() {
                return Err(PublishError::Changed { release: release.to_owned(), problems, appended: found });
            }
            hashed_secs = t.elapsed().as_secs_f64();
            (manifest, entry, Some(found))
        }
        Some(Err(_unreadable)) => {
            // Not a manifest (an older version's empty claim, a damaged file): the log may
            // already hold this release's manifest. Adopt it if so; else start afresh.
            let t = std::time::Instant::now();
            let adopted = find_release_entry(release, log, size, &publisher)?;
            let (manifest, entry, found) = match adopted {
                Some((index, manifest, entry)) => (manifest, entry, Some(Some(index))),
                None => {
                    let manifest = fresh_manifest(&mut fresh, release, &publisher, &created)?;
                    let entry = entry_bytes(release, &manifest)?;
                    (manifest, entry, None)
                }
            };
            hashed_secs = t.elapsed().as_secs_f64();
            replace_durably(&manifest_path, &entry)?;
            (manifest, entry, found.or(Some(None)))
        }
        None => {
            let t = std::time::Instant::now();
            let had = fresh.is_some();
            let manifest = fresh_manifest(&mut fresh, release, &publisher, &created)?;
            if !had {
                hashed_secs = t.elapsed().as_secs_f64();
            }
            let entry = entry_bytes(release, &manifest)?;
            if !write_new_durably(&manifest_path, &entry)? {
                return Err(PublishError::Concurrent(manifest_path));
            }
            (manifest, entry, None)
        }
    };
    let (index, resumed) = match found {
        Some(Some(index)) => (index, Some(Resumed::AlreadyAppended)),
        _ => {
            let c = match l.append(std::iter::once(Ok(entry.clone())), &mut |_, _| {}) {
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
    // The entry bundles read above are not authenticated by the checkpoint: the proof must
    // verify before a bundle is written that says the release is in the log.
    let check = verifier::check_tlog_proof(&trust, proof.as_bytes(), &entry);
    if !check.verified {
        let why = check.failure().map_or_else(String::new, |f| format!("{}: {}", f.check.name(), f.detail));
        return Err(PublishError::Log(tlog::LogError::Corrupt {
            dir: log.to_owned(),
            detail: format!("the tlog-proof of entry {index} does not verify ({why})"),
        }));
    }
    let bundle = super::bundle(manifest, proof);
    // Written before the lock is released: a second run then sees a finished publish.
    if !write_new_durably(&release.join(BUNDLE_FILE), &json_bytes(&release.join(BUNDLE_FILE), &bundle)?)? {
        return Err(already());
    }
    let origin = l.checkpoint().origin.clone();
    drop(l);
    Ok(Published { bundle, hashed_secs, index, origin, resumed })
}

/// Reads the `manifest.json` of an interrupted publish: `Ok(Err(why))` unless it is a
/// manifest's exact (canonical) entry bytes.
fn read_intent(path: &Path) -> Result<Result<(Manifest, Vec<u8>), String>, PublishError> {
    let bytes = std::fs::read(path).map_err(|e| crate::Error::io(path, e))?;
    Ok(parse_manifest_entry(&bytes).map(|m| (m, bytes)))
}

/// A manifest whose canonical entry bytes are exactly `bytes`.
fn parse_manifest_entry(bytes: &[u8]) -> Result<Manifest, String> {
    let manifest: Manifest = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    manifest.validate().map_err(|e| e.to_string())?;
    if manifest.entry().ok().as_deref() != Some(bytes) {
        return Err("not the manifest's canonical entry bytes".to_owned());
    }
    Ok(manifest)
}

/// Every way the release's files differ from `manifest` (the check `verify` makes, with the
/// microdata recounted); empty when they match.
fn file_problems(release: &Path, manifest: &Manifest) -> Result<Vec<String>, PublishError> {
    let check = super::check_files(release, manifest)?;
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
    Ok(problems)
}

/// The latest manifest in the log by `publisher` that the release's files match, with its
/// index and entry bytes: how a run adopts what an interrupted one (whose intent record is
/// unreadable) appended. Each candidate costs a check of the release's files.
fn find_release_entry(
    release: &Path,
    log: &Path,
    size: u64,
    publisher: &str,
) -> Result<Option<(u64, Manifest, Vec<u8>)>, PublishError> {
    let mut limit = size;
    while let Some((i, bytes)) =
        find_entry(log, limit, |e| parse_manifest_entry(e).is_ok_and(|m| m.publisher == publisher))?
    {
        let manifest = parse_manifest_entry(&bytes).map_err(PublishError::Manifest)?;
        if file_problems(release, &manifest)?.is_empty() {
            return Ok(Some((i, manifest, bytes)));
        }
        limit = i;
    }
    Ok(None)
}

/// The manifest built earlier (before the locks), or built now.
fn fresh_manifest(
    fresh: &mut Option<Manifest>,
    release: &Path,
    publisher: &str,
    created: &str,
) -> Result<Manifest, PublishError> {
    match fresh.take() {
        Some(m) => Ok(m),
        None => Ok(super::build_manifest(release, publisher, created)?),
    }
}

/// The manifest's log entry, refused if the log could never hold it.
fn entry_bytes(release: &Path, manifest: &Manifest) -> Result<Vec<u8>, PublishError> {
    let entry = manifest.entry().map_err(|e| PublishError::Manifest(e.to_string()))?;
    if entry.len() > verifier::MAX_ENTRY_SIZE {
        return Err(PublishError::TooLarge {
            release: release.to_owned(),
            size: entry.len(),
            limit: verifier::MAX_ENTRY_SIZE,
        });
    }
    Ok(entry)
}

/// The last entry among the first `size` of the log at `log` that `wanted` accepts, with its
/// index and bytes. Entry bundles are read from the end: the cost is one read of every bundle
/// after the entry, the whole log when there is none (256 entries a file; a release log, one
/// entry per release, is small). The bytes are not authenticated here: the caller verifies a
/// tlog-proof before relying on the index.
fn find_entry(
    log: &Path,
    size: u64,
    wanted: impl Fn(&[u8]) -> bool,
) -> Result<Option<(u64, Vec<u8>)>, PublishError> {
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
        if let Some(i) = entries.iter().rposition(|e| wanted(e)) {
            return Ok(Some((bundle * verifier::TILE_WIDTH + i as u64, entries[i].to_vec())));
        }
    }
    Ok(None)
}

/// Takes an exclusive lock on the release directory for this run (released when the returned
/// file is dropped, or by the kernel when the process dies); waits, calling `on_wait`, while
/// another publish of it holds the lock.
fn lock_release(release: &Path, on_wait: &mut dyn FnMut()) -> Result<std::fs::File, PublishError> {
    let lock_err = |e: std::io::Error| PublishError::Write { path: release.to_owned(), source: e };
    let dir = std::fs::File::open(release).map_err(lock_err)?;
    match dir.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            on_wait();
            dir.lock().map_err(lock_err)?;
        }
        Err(std::fs::TryLockError::Error(e)) => return Err(lock_err(e)),
    }
    Ok(dir)
}

/// Removes temporary files a killed publish left in the release directory (only the holder of
/// the release directory's lock writes them).
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

/// Writes `bytes` to `path` durably (fsync, rename, directory fsync), replacing the file.
fn replace_durably(path: &Path, bytes: &[u8]) -> Result<(), PublishError> {
    let write = |e: std::io::Error| PublishError::Write { path: path.to_owned(), source: e };
    let mut f = tlog::AtomicFile::create(path, None).map_err(write)?;
    f.write_all(bytes).map_err(write)?;
    f.commit(true).map(|_| ()).map_err(write)
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
