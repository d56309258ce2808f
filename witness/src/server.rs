//! The witness side: an `add-checkpoint` request answered exactly as C2SP tlog-witness says,
//! with the last cosigned checkpoint per origin kept durably in a state directory. No HTTP
//! here (that is `http.rs`), so the fuzzer drives it directly.

use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use tlog::{LockMode, LogError};
use verifier::write::{SignerKey, cosign, format_note};
use verifier::{
    Checkpoint, Hash, KeyKind, Note, NoteError, NoteSignature, Verifiers, parse_checkpoint, parse_note,
    verify_note,
};

use crate::loglist::KnownLog;
use crate::request::AddCheckpointRequest;

/// The content type of a 409 answer's body (the witness's size and a newline).
pub const SIZE_CONTENT_TYPE: &str = "text/x.tlog.size";

/// The longest file name common file systems allow (ext4, APFS, NTFS: 255 bytes).
const MAX_FILE_NAME: usize = 255;

/// Why a witness could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SetupError {
    /// The key is a log key.
    #[error("{0} is not a witness key; make one with `ledgerless keygen --witness`")]
    NotWitnessKey(String),
    /// Two keys for one origin share a name and key ID.
    #[error("origin {origin:?}: {reason}")]
    Keys {
        /// The origin.
        origin: String,
        /// What is wrong.
        reason: String,
    },
    /// Another witness process uses the state directory.
    #[error("another witness is running with the state directory {} (its .lock is held); stop it first", .0.display())]
    Locked(PathBuf),
    /// A log list origin too long to name its state file (docs/formats.md, "Witness state").
    #[error(
        "log list origin {origin:?}: too long, its state file name would be {len} bytes (at most 255); shorten the origin or remove the entry"
    )]
    OriginTooLong {
        /// The origin.
        origin: String,
        /// The length of the file name it would need.
        len: usize,
    },
    /// A state file cannot be read back.
    #[error("witness state {}: {detail}; move it away only if you know which checkpoint this witness last cosigned", path.display())]
    CorruptState {
        /// The state file.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// The state directory could not be made or locked.
    #[error(transparent)]
    Log(#[from] LogError),
}

/// Why `add-checkpoint` did not cosign; [`AddCheckpointError::status`] is the HTTP status the
/// spec requires.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AddCheckpointError {
    /// The body or its checkpoint is malformed (400).
    #[error("malformed request: {0}")]
    BadRequest(String),
    /// The old size exceeds the checkpoint's size (400).
    #[error("old size {old} exceeds the checkpoint's size {size}")]
    OldSizeTooLarge {
        /// The request's old size.
        old: u64,
        /// The checkpoint's size.
        size: u64,
    },
    /// The checkpoint's origin is not a log this witness witnesses (404).
    #[error("unknown log origin {0:?}")]
    UnknownOrigin(String),
    /// No trusted key signed it, or a trusted key's signature fails (403).
    #[error("{0}")]
    Forbidden(String),
    /// The old size is not the size this witness last cosigned, which is given (409).
    #[error("this witness last cosigned size {0}")]
    Conflict(u64),
    /// The checkpoint is not consistent with what the witness cosigned (422).
    #[error("{0}")]
    Unprocessable(String),
    /// The witness could not read or write its state (500): nothing was cosigned.
    #[error("witness error: {0}")]
    Internal(String),
}

impl AddCheckpointError {
    /// The HTTP status code for this answer.
    pub fn status(&self) -> u16 {
        match self {
            AddCheckpointError::BadRequest(_) | AddCheckpointError::OldSizeTooLarge { .. } => 400,
            AddCheckpointError::Forbidden(_) => 403,
            AddCheckpointError::UnknownOrigin(_) => 404,
            AddCheckpointError::Conflict(_) => 409,
            AddCheckpointError::Unprocessable(_) => 422,
            AddCheckpointError::Internal(_) => 500,
        }
    }
}

#[derive(Debug)]
struct Known {
    verifiers: Verifiers,
    /// Held from reading the state to writing it: one add-checkpoint per origin at a time.
    serial: Mutex<()>,
}

/// A witness: its key, the logs it witnesses, and its state directory (locked while open).
#[derive(Debug)]
pub struct Witness {
    key: SignerKey,
    state_dir: PathBuf,
    logs: HashMap<String, Known>,
    _lock: File,
}

/// Reads the last checkpoint cosigned for `origin`: its own state, written only after the
/// log's signature verified, so it is parsed, not re-verified (the log list may change).
fn read_state(state_dir: &Path, origin: &str) -> Result<Option<Checkpoint>, String> {
    let path = tlog::witness_state_path(state_dir, origin);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("couldn't read {}: {e}", path.display())),
    };
    // Only the checkpoint text is read: the signature lines do not matter here.
    let text = bytes
        .windows(2)
        .rposition(|w| w == b"\n\n")
        .map(|at| &bytes[..=at])
        .ok_or("not a signed note (no blank line before the signatures)")?;
    let text = std::str::from_utf8(text).map_err(|_| "the checkpoint is not UTF-8".to_owned())?;
    let c = parse_checkpoint(text).map_err(|e| e.to_string())?;
    if c.origin != origin {
        return Err(format!("it holds a checkpoint of origin {:?}", c.origin));
    }
    Ok(Some(c))
}

impl Witness {
    /// Opens a witness with `key` (cosignature/v1) for `logs`, keeping its state in `state_dir`
    /// (created if missing; locked against a second process until the witness is dropped).
    ///
    /// # Errors
    /// [`SetupError`]: a log key given as the witness key, ambiguous keys, a state directory
    /// in use or unreadable.
    pub fn open(key: SignerKey, state_dir: &Path, logs: &[KnownLog]) -> Result<Witness, SetupError> {
        if key.verifier.kind != KeyKind::CosignatureV1 {
            return Err(SetupError::NotWitnessKey(key.verifier.label()));
        }
        let mut b = std::fs::DirBuilder::new();
        b.recursive(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt as _;
            b.mode(0o700);
        }
        b.create(state_dir).map_err(|e| LogError::Io {
            action: "create",
            path: state_dir.to_owned(),
            source: e,
        })?;
        let lock = tlog::lock_dir(state_dir, LockMode::Fail, &mut || {}).map_err(|e| match e {
            LogError::Locked { dir } => SetupError::Locked(dir),
            e => SetupError::Log(e),
        })?;
        let mut by_origin: HashMap<String, Vec<verifier::VerifierKey>> = HashMap::new();
        for l in logs {
            by_origin.entry(l.origin.clone()).or_default().push(l.key.clone());
        }
        let mut known = HashMap::new();
        for (origin, keys) in by_origin {
            let verifiers = Verifiers::new(keys)
                .map_err(|e| SetupError::Keys { origin: origin.clone(), reason: e.to_string() })?;
            let path = tlog::witness_state_path(state_dir, &origin);
            let len = path.file_name().map_or(0, |n| n.len());
            if len > MAX_FILE_NAME {
                return Err(SetupError::OriginTooLong { origin, len });
            }
            read_state(state_dir, &origin).map_err(|detail| SetupError::CorruptState {
                path: tlog::witness_state_path(state_dir, &origin),
                detail,
            })?;
            known.insert(origin, Known { verifiers, serial: Mutex::new(()) });
        }
        Ok(Witness { key, state_dir: state_dir.to_owned(), logs: known, _lock: lock })
    }

    /// The witness's verifier key.
    pub fn verifier_key(&self) -> &verifier::VerifierKey {
        &self.key.verifier
    }

    /// How many origins it witnesses.
    pub fn origins(&self) -> usize {
        self.logs.len()
    }

    /// Answers one `add-checkpoint` request body: checks it as tlog-witness requires, records
    /// the checkpoint durably, then returns the cosignature line(s) dated `now` (POSIX seconds).
    ///
    /// Checks, in order: the body's syntax and the checkpoint's (400), its origin (404), its
    /// signatures by the origin's keys (403), old size ≤ size (400); then, holding the
    /// origin's lock, old size = the size last cosigned (409), an empty tree's root, an empty
    /// proof from size 0, equal roots at equal sizes, and the consistency proof (422).
    ///
    /// # Errors
    /// [`AddCheckpointError`], whose [`status`](AddCheckpointError::status) is the answer.
    pub fn add_checkpoint(&self, body: &[u8], now: u64) -> Result<String, AddCheckpointError> {
        use AddCheckpointError as E;
        let req = AddCheckpointRequest::parse(body).map_err(|e| E::BadRequest(e.to_string()))?;
        let note = parse_note(&req.checkpoint).map_err(|e| E::BadRequest(format!("checkpoint: {e}")))?;
        let cp = parse_checkpoint(&note.text).map_err(|e| E::BadRequest(e.to_string()))?;
        let known = self.logs.get(&cp.origin).ok_or_else(|| E::UnknownOrigin(cp.origin.clone()))?;
        let verified = match verify_note(&note, &known.verifiers) {
            Ok(v) => v,
            Err(e @ (NoteError::InvalidSignature { .. } | NoteError::NoTrustedSignature { .. })) => {
                return Err(E::Forbidden(e.to_string()));
            }
            Err(e) => return Err(E::BadRequest(e.to_string())),
        };
        if req.old_size > cp.size {
            return Err(E::OldSizeTooLarge { old: req.old_size, size: cp.size });
        }
        if now == 0 || now > i64::MAX as u64 {
            return Err(E::Internal("the witness's clock is not set".to_owned()));
        }
        // Checking the old size and recording the new checkpoint happen under one lock.
        let _serial = known.serial.lock().unwrap_or_else(PoisonError::into_inner);
        let stored = read_state(&self.state_dir, &cp.origin).map_err(E::Internal)?;
        let (size, root) = stored.as_ref().map_or((0, Hash::EMPTY_TREE), |c| (c.size, c.root_hash));
        if req.old_size != size {
            return Err(E::Conflict(size));
        }
        if cp.size == 0 && cp.root_hash != Hash::EMPTY_TREE {
            return Err(E::Unprocessable(
                "a checkpoint of size 0 must have the empty tree's root".to_owned(),
            ));
        }
        if req.old_size == 0 {
            if !req.proof.is_empty() {
                return Err(E::Unprocessable("the proof from size 0 must be empty".to_owned()));
            }
        } else if let Err(e) = verifier::verify_consistency(size, cp.size, &req.proof, &root, &cp.root_hash) {
            let what = if cp.size == size { "a different root for the size already cosigned" } else { "" };
            return Err(E::Unprocessable(format!(
                "not consistent with the cosigned size {size}: {e}{}{what}",
                if what.is_empty() { "" } else { ": " }
            )));
        }
        let sig = cosign(&self.key, &note.text, now).map_err(|e| E::Internal(e.to_string()))?;
        // Recorded durably (fsync, rename, directory fsync) before the cosignature leaves:
        // the checkpoint text, one line per log key that verified, and this cosignature (served
        // to monitors); never the request's other lines, so the record stays small and
        // verifiable whatever was sent. The same size again keeps the record, and the
        // cosignature it already holds.
        if stored.is_none_or(|c| c.size != cp.size) {
            let mut signatures: Vec<NoteSignature> = Vec::new();
            for s in &note.signatures {
                let by_log = verified.iter().any(|v| v.name == s.name && v.key_id == s.key_id);
                let own = s.name == sig.name && s.key_id == sig.key_id;
                let seen = signatures.iter().any(|k| k.name == s.name && k.key_id == s.key_id);
                if by_log && !own && !seen {
                    signatures.push(s.clone());
                }
            }
            signatures.push(sig.clone());
            let record = Note { text: note.text.clone(), signatures };
            tlog::write_file_atomic(
                &tlog::witness_state_path(&self.state_dir, &cp.origin),
                format_note(&record).as_bytes(),
                false,
            )
            .map_err(|e| E::Internal(e.to_string()))?;
        }
        let signed = format_note(&Note { text: note.text.clone(), signatures: vec![sig] });
        Ok(signed[note.text.len() + 1..].to_owned())
    }

    /// The last checkpoint cosigned for the log whose origin hashes (SHA-256, lowercase hex)
    /// to `origin_hash`, with the log's signatures and this witness's cosignature, or `None`
    /// if the origin is not witnessed or nothing was cosigned for it yet (tlog-witness's
    /// monitoring `GET <prefix>/<origin hash>/checkpoint`).
    ///
    /// # Errors
    /// A readable reason if the state file cannot be read.
    pub fn latest_checkpoint(&self, origin_hash: &str) -> Result<Option<Vec<u8>>, String> {
        let Some(origin) = self.logs.keys().find(|o| sha256_hex(o.as_bytes()) == origin_hash) else {
            return Ok(None);
        };
        let path = tlog::witness_state_path(&self.state_dir, origin);
        match std::fs::read(&path) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(format!("couldn't read {}: {e}", path.display())),
        }
    }
}

/// SHA-256 of `bytes`, lowercase hex.
fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}
