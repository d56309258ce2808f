//! A witness: cosigns a log's checkpoint only after proving it consistent with the last one
//! it cosigned for that log, so a log cannot show different histories to different people.
//!
//! SPEC: <https://c2sp.org/tlog-witness> (semantics), <https://c2sp.org/tlog-cosignature>.

use std::path::{Path, PathBuf};

use verifier::write::{SignerKey, cosign, format_note};
use verifier::{
    Checkpoint, KeyKind, Note, VerifierKey, Verifiers, parse_note, verify_checkpoint, verify_consistency,
    verify_note,
};

use crate::error::LogError;
use crate::log::LockMode;
use crate::storage::{Fetch, FetchTiles, read_optional, sync_dir, write_atomic};

/// Why a witness did not cosign.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WitnessError {
    /// The log misbehaved (fork, rollback, bad signature, failed proof): the evidence, with
    /// both checkpoints, is in `evidence`.
    #[error("refusing to cosign: {reason}")]
    Refused {
        /// What the log did wrong.
        reason: String,
        /// The checkpoints and proof that show it, ready to publish.
        evidence: String,
    },
    /// The witness could not do its job (unreadable log, bad key, I/O).
    #[error(transparent)]
    Log(#[from] LogError),
}

/// A checkpoint the witness cosigned.
#[derive(Debug, Clone)]
pub struct Cosigned {
    /// The checkpoint body.
    pub checkpoint: Checkpoint,
    /// The size this witness had cosigned before (0 if none).
    pub previous_size: u64,
    /// The checkpoint with the log's signature that verified and this witness's cosignature
    /// (the lines of other keys the log's checkpoint carried are left out): what is recorded.
    pub note: String,
}

/// Where a witness keeps the last checkpoint it cosigned for `origin` in `state_dir`: shared
/// by `witness cosign` and `witness serve` (docs/formats.md, "Witness state").
pub fn witness_state_path(state_dir: &Path, origin: &str) -> PathBuf {
    state_dir.join(origin_file_name(origin))
}

/// Witnesses reached from outside this process (over HTTP, C2SP tlog-witness), asked to
/// cosign a log this process holds open; the issuer calls it before handing out bundles.
pub trait RemoteWitnesses: std::fmt::Debug {
    /// Asks each witness to cosign `log`'s current checkpoint and adds the cosignatures that
    /// verify to it.
    ///
    /// # Errors
    /// A readable list of the witnesses that did not cosign and why (the checkpoint may still
    /// meet the caller's quorum with the others).
    fn cosign(&self, log: &crate::log::Log) -> Result<(), String>;
}

/// A file name for an origin: the origin with every byte outside `[A-Za-z0-9.-]` hex-escaped.
fn origin_file_name(origin: &str) -> String {
    let mut s = String::new();
    for b in origin.bytes() {
        if b.is_ascii_alphanumeric() || b == b'.' || b == b'-' {
            s.push(b as char);
        } else {
            s.push_str(&format!("_{b:02x}"));
        }
    }
    s + ".checkpoint"
}

/// Verifies the log's newest checkpoint with `log_key`, proves it consistent with the last
/// checkpoint this witness cosigned for the origin (kept in `state_dir`), records it, and
/// returns the note with a `cosignature/v1` by `witness` at time `now` added. `on_wait` is
/// called once if another witness process holds `state_dir`'s lock (this one waits for it).
///
/// # Errors
/// [`WitnessError::Refused`] on a bad signature, a rollback, a fork or a failed consistency
/// proof (nothing is recorded); [`WitnessError::Log`] when the log or state is unreadable.
pub fn witness_cosign(
    witness: &SignerKey,
    log_key: &VerifierKey,
    fetch: &dyn Fetch,
    state_dir: &Path,
    now: u64,
    on_wait: &mut dyn FnMut(),
) -> Result<Cosigned, WitnessError> {
    if witness.verifier.kind != KeyKind::CosignatureV1 {
        return Err(LogError::WrongKey(format!(
            "{} is not a witness key; make one with `ledgerless keygen --witness`",
            witness.verifier.label()
        ))
        .into());
    }
    let bytes = fetch
        .fetch("checkpoint")
        .map_err(|e| LogError::NotALog(format!("{}: couldn't read the checkpoint: {e}", fetch.location())))?
        .ok_or_else(|| LogError::NotALog(format!("{} is not a log (no checkpoint)", fetch.location())))?;
    let new = verify_checkpoint(&bytes, log_key).map_err(|e| WitnessError::Refused {
        reason: format!("the log's checkpoint does not verify: {e}"),
        evidence: String::from_utf8_lossy(&bytes).into_owned(),
    })?;
    std::fs::create_dir_all(state_dir).map_err(|e| LogError::io("create", state_dir, e))?;
    // One witness process per state directory at a time.
    let _lock = crate::log::lock(state_dir, LockMode::Wait, on_wait)?;
    let state_path: PathBuf = state_dir.join(origin_file_name(&new.checkpoint.origin));
    let (n, new_text) = (&new.checkpoint, String::from_utf8_lossy(&bytes).into_owned());
    let mut previous_size = 0;
    if let Some(old_bytes) = read_optional(&state_path)? {
        let old = verify_checkpoint(&old_bytes, log_key).map_err(|e| LogError::Corrupt {
            dir: state_path.clone(),
            detail: format!("the witness's own state does not verify: {e}"),
        })?;
        let o = &old.checkpoint;
        previous_size = o.size;
        let evidence = || {
            format!(
                "previously cosigned:\n{}\nnow served by {}:\n{}",
                String::from_utf8_lossy(&old_bytes),
                fetch.location(),
                new_text
            )
        };
        if n.size < o.size {
            return Err(WitnessError::Refused {
                reason: format!(
                    "rollback: the log now shows size {}, but size {} was already cosigned",
                    n.size, o.size
                ),
                evidence: evidence(),
            });
        }
        if n.size == o.size && n.root_hash != o.root_hash {
            return Err(WitnessError::Refused {
                reason: format!("fork: two different roots for size {}", n.size),
                evidence: evidence(),
            });
        }
        if n.size > o.size && o.size > 0 {
            let tiles = FetchTiles::new(fetch).with_latest(n.size);
            let proof =
                verifier::prove_consistency(&tiles, o.size, n.size).map_err(|e| WitnessError::Refused {
                    reason: format!(
                        "cannot build a consistency proof from size {} to {} from the log's tiles: {e}",
                        o.size, n.size
                    ),
                    evidence: evidence(),
                })?;
            if let Err(e) = verify_consistency(o.size, n.size, &proof, &o.root_hash, &n.root_hash) {
                let proof_text = verifier::write::format_proof_hashes(&proof);
                return Err(WitnessError::Refused {
                    reason: format!(
                        "fork: size {} is not consistent with the cosigned size {}: {e}",
                        n.size, o.size
                    ),
                    evidence: format!("{}consistency proof from the log's tiles:\n{proof_text}", evidence()),
                });
            }
        }
    }
    let text = new.note.text;
    let sig = cosign(witness, &text, now).map_err(|e| LogError::Verify(e.to_string()))?;
    // The log's line that verified (one, even if repeated) and the cosignature, never the other
    // lines the log's checkpoint carries: the state stays small and verifiable.
    let log_line =
        new.note.signatures.into_iter().find(|s| s.name == log_key.name && s.key_id == log_key.key_id);
    let note = format_note(&Note { text, signatures: log_line.into_iter().chain([sig]).collect() });
    // Record (as `witness serve` does) before releasing the cosignature: the witness must
    // never cosign a fork of this.
    write_atomic(&state_path, note.as_bytes(), true)?;
    sync_dir(state_dir)?;
    Ok(Cosigned { checkpoint: new.checkpoint, previous_size, note })
}

/// Cosigns the newest checkpoint of the log in directory `dir` ([`witness_cosign`]) and adds the
/// cosignature to its `checkpoint` ([`add_cosignature`]): a witness run beside the log, as the
/// demo's is.
///
/// # Errors
/// As [`witness_cosign`] and [`add_cosignature`].
pub fn cosign_log_dir(
    witness: &SignerKey,
    log_key: &VerifierKey,
    dir: &Path,
    state_dir: &Path,
    now: u64,
    mode: LockMode,
) -> Result<Cosigned, WitnessError> {
    let c =
        witness_cosign(witness, log_key, &crate::DirFetch(dir.to_path_buf()), state_dir, now, &mut || {})?;
    add_cosignature(dir, &c.note, &witness.verifier, mode)?;
    Ok(c)
}

/// Cosigns the newest checkpoint of `log`, which this process holds open (and so locked), and
/// adds the cosignature to its `checkpoint`: for an issuer running its own witness beside it.
///
/// # Errors
/// As [`witness_cosign`] and [`add_cosignature`].
pub fn cosign_open_log(
    witness: &SignerKey,
    log: &crate::log::Log,
    state_dir: &Path,
    now: u64,
) -> Result<Cosigned, WitnessError> {
    let dir = log.dir();
    let c = witness_cosign(
        witness,
        log.verifier_key(),
        &crate::DirFetch(dir.to_path_buf()),
        state_dir,
        now,
        &mut || {},
    )?;
    merge_cosignature(dir, &c.note, &witness.verifier)?;
    Ok(c)
}

/// Adds `witness`'s cosignature from `cosigned` to a local log's checkpoint, if the log still
/// serves the same checkpoint (else an append happened meanwhile and the cosignature is simply
/// not added). Returns whether it was written. Only that one line is taken, and only if it
/// verifies; it replaces any line the checkpoint held for that key. Other lines of `cosigned`
/// are ignored.
///
/// # Errors
/// [`LogError`] on I/O failure, if `cosigned` is not a note, or if it does not carry exactly
/// one line by `witness` that verifies (nothing is written).
pub fn add_cosignature(
    dir: &Path,
    cosigned: &str,
    witness: &VerifierKey,
    mode: LockMode,
) -> Result<bool, LogError> {
    let _lock = crate::log::lock(dir, mode, &mut || {})?;
    merge_cosignature(dir, cosigned, witness)
}

/// [`add_cosignature`] for a log this process holds open (and so locked).
///
/// # Errors
/// As [`add_cosignature`].
pub fn add_cosignature_to_open_log(
    log: &crate::log::Log,
    cosigned: &str,
    witness: &VerifierKey,
) -> Result<bool, LogError> {
    merge_cosignature(log.dir(), cosigned, witness)
}

/// [`add_cosignature`] for a caller that holds the log's lock (the guard from [`crate::lock_dir`]).
///
/// # Errors
/// As [`add_cosignature`].
pub fn add_cosignature_locked(
    dir: &Path,
    _lock: &std::fs::File,
    cosigned: &str,
    witness: &VerifierKey,
) -> Result<bool, LogError> {
    merge_cosignature(dir, cosigned, witness)
}

/// [`add_cosignature`] for a caller that holds the log's lock.
fn merge_cosignature(dir: &Path, cosigned: &str, witness: &VerifierKey) -> Result<bool, LogError> {
    let path = dir.join("checkpoint");
    let current = std::fs::read(&path).map_err(|e| LogError::io("read", &path, e))?;
    let cur = parse_note(&current).map_err(|e| LogError::Verify(e.to_string()))?;
    let new = parse_note(cosigned.as_bytes()).map_err(|e| LogError::Verify(e.to_string()))?;
    if cur.text != new.text {
        return Ok(false);
    }
    let is_witness = |s: &verifier::NoteSignature| s.name == witness.name && s.key_id == witness.key_id;
    let mine: Vec<_> = new.signatures.into_iter().filter(is_witness).collect();
    let [line] = <[_; 1]>::try_from(mine).map_err(|m| {
        LogError::Verify(format!(
            "expected exactly one cosignature line by {}, not {}",
            witness.label(),
            m.len()
        ))
    })?;
    let verifiers = Verifiers::new(vec![witness.clone()]).map_err(|e| LogError::Verify(e.to_string()))?;
    verify_note(&Note { text: cur.text.clone(), signatures: vec![line.clone()] }, &verifiers).map_err(
        |e| LogError::Verify(format!("the cosignature by {} does not verify: {e}", witness.label())),
    )?;
    // Keep every other signature already there; exactly one line for this key, the new one.
    let mut merged = cur.clone();
    merged.signatures.retain(|s| !is_witness(s));
    merged.signatures.push(line);
    write_atomic(&path, format_note(&merged).as_bytes(), true)?;
    sync_dir(dir)?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::Log;
    use crate::storage::DirFetch;
    use verifier::{Policy, parse_policy};

    fn log_key() -> SignerKey {
        SignerKey::from_seed("example.com/wlog", KeyKind::Ed25519, &[5; 32]).unwrap()
    }

    fn witness() -> SignerKey {
        SignerKey::from_seed("witness.example/w", KeyKind::CosignatureV1, &[6; 32]).unwrap()
    }

    fn policy() -> Policy {
        let text = format!(
            "log {}\nwitness W {}\nquorum W\n",
            verifier::write::format_verifier_key(&log_key().verifier),
            verifier::write::format_verifier_key(&witness().verifier)
        );
        parse_policy(text.as_bytes()).unwrap()
    }

    fn append(dir: &Path, from: u64, n: u64, tag: &str) {
        let mut log = Log::open(dir, log_key(), LockMode::Fail, &mut || {}).unwrap();
        log.append((from..from + n).map(|i| Ok(format!("{tag}{i}").into_bytes())), &mut |_, _| {}).unwrap();
    }

    #[test]
    fn cosigns_consistent_growth_and_refuses_forks_and_rollbacks() {
        let root = tempfile::tempdir().unwrap();
        let (dir, state) = (root.path().join("log"), root.path().join("state"));
        drop(Log::init(&dir, log_key()).unwrap());
        append(&dir, 0, 300, "e");
        let fetch = DirFetch(dir.clone());
        let c = witness_cosign(&witness(), &log_key().verifier, &fetch, &state, 1_800_000_000, &mut || {})
            .unwrap();
        assert_eq!((c.previous_size, c.checkpoint.size), (0, 300));
        assert!(add_cosignature(&dir, &c.note, &witness().verifier, LockMode::Fail).unwrap());
        let bytes = std::fs::read(dir.join("checkpoint")).unwrap();
        verifier::verify_checkpoint_with_policy(&bytes, &policy()).unwrap();

        append(&dir, 300, 10, "e");
        let c = witness_cosign(&witness(), &log_key().verifier, &fetch, &state, 1_800_000_100, &mut || {})
            .unwrap();
        assert_eq!((c.previous_size, c.checkpoint.size), (300, 310));

        // A fork: the same key signs a different history of a larger size.
        let forked = root.path().join("fork");
        drop(Log::init(&forked, log_key()).unwrap());
        append(&forked, 0, 320, "x");
        let e = witness_cosign(
            &witness(),
            &log_key().verifier,
            &DirFetch(forked.clone()),
            &state,
            1_800_000_200,
            &mut || {},
        )
        .unwrap_err();
        assert!(matches!(e, WitnessError::Refused { ref reason, .. } if reason.starts_with("fork")), "{e}");
        // A rollback: an older checkpoint.
        let old = root.path().join("old");
        drop(Log::init(&old, log_key()).unwrap());
        append(&old, 0, 300, "e");
        let e = witness_cosign(
            &witness(),
            &log_key().verifier,
            &DirFetch(old),
            &state,
            1_800_000_300,
            &mut || {},
        )
        .unwrap_err();
        assert!(
            matches!(e, WitnessError::Refused { ref reason, .. } if reason.starts_with("rollback")),
            "{e}"
        );
        // Same size, different root.
        let e = witness_cosign(
            &witness(),
            &log_key().verifier,
            &DirFetch(forked),
            &state,
            1_800_000_400,
            &mut || {},
        );
        assert!(e.is_err());
        // The honest log still gets cosigned.
        witness_cosign(&witness(), &log_key().verifier, &fetch, &state, 1_800_000_500, &mut || {}).unwrap();
    }

    /// The log's checkpoint carries 100 signature lines (the log's, 98 by unknown keys, one
    /// forged under the witness's own name): the state and the returned note keep only the
    /// log's verified line and the cosignature, so the next run reads the state back.
    #[test]
    fn only_verified_lines_are_recorded() {
        let root = tempfile::tempdir().unwrap();
        let (dir, state) = (root.path().join("log"), root.path().join("state"));
        drop(Log::init(&dir, log_key()).unwrap());
        append(&dir, 0, 20, "e");
        let mut note = parse_note(&std::fs::read(dir.join("checkpoint")).unwrap()).unwrap();
        let log_sig = note.signatures[0].clone();
        for i in 0..98 {
            note.signatures
                .push(verifier::NoteSignature { name: format!("junk{i}.example"), ..log_sig.clone() });
        }
        let mut forged = cosign(&witness(), &note.text, 1_700_000_000).unwrap();
        forged.signature[10] ^= 1;
        note.signatures.push(forged);
        std::fs::write(dir.join("checkpoint"), format_note(&note)).unwrap();
        let fetch = DirFetch(dir.clone());
        let c = witness_cosign(&witness(), &log_key().verifier, &fetch, &state, 1_800_000_000, &mut || {})
            .unwrap();
        let stored = std::fs::read(witness_state_path(&state, "example.com/wlog")).unwrap();
        for n in [stored.as_slice(), c.note.as_bytes()] {
            let n = parse_note(n).unwrap();
            let names: Vec<&str> = n.signatures.iter().map(|s| s.name.as_str()).collect();
            assert_eq!(names, ["example.com/wlog", "witness.example/w"]);
        }
        verifier::verify_checkpoint_with_policy(&stored, &policy()).unwrap();
        append(&dir, 20, 5, "e");
        witness_cosign(&witness(), &log_key().verifier, &fetch, &state, 1_800_000_100, &mut || {}).unwrap();
    }

    /// A cosignature line that does not verify never replaces the one the checkpoint holds,
    /// and a note with two lines for the witness key is refused.
    #[test]
    fn merging_never_replaces_a_line_with_an_unverified_one() {
        let root = tempfile::tempdir().unwrap();
        let (dir, state) = (root.path().join("log"), root.path().join("state"));
        drop(Log::init(&dir, log_key()).unwrap());
        append(&dir, 0, 7, "e");
        let c = witness_cosign(
            &witness(),
            &log_key().verifier,
            &DirFetch(dir.clone()),
            &state,
            1_800_000_000,
            &mut || {},
        )
        .unwrap();
        assert!(add_cosignature(&dir, &c.note, &witness().verifier, LockMode::Fail).unwrap());
        let good = std::fs::read(dir.join("checkpoint")).unwrap();
        verifier::verify_checkpoint_with_policy(&good, &policy()).unwrap();
        let mut bad = parse_note(c.note.as_bytes()).unwrap();
        let last = bad.signatures[1].signature.len() - 1;
        bad.signatures[1].signature[last] ^= 1;
        assert!(add_cosignature(&dir, &format_note(&bad), &witness().verifier, LockMode::Fail).is_err());
        assert_eq!(std::fs::read(dir.join("checkpoint")).unwrap(), good);
        verifier::verify_checkpoint_with_policy(&good, &policy()).unwrap();
    }
}
