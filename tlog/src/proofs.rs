//! Proofs computed from a log's files alone: inclusion, consistency, tlog-proof.

use verifier::write::format_tlog_proof;
use verifier::{Checkpoint, Hash, TlogProof, parse_checkpoint, parse_note};

use crate::error::LogError;
use crate::storage::{Fetch, FetchTiles};

/// Reads a log's current checkpoint: the signed note bytes and its (unverified) body.
///
/// # Errors
/// [`LogError::NotALog`] if there is none, [`LogError::Verify`] if it is malformed.
pub fn read_checkpoint(fetch: &dyn Fetch) -> Result<(Vec<u8>, Checkpoint), LogError> {
    let bytes = fetch
        .fetch("checkpoint")
        .map_err(|e| LogError::NotALog(format!("{}: couldn't read the checkpoint: {e}", fetch.location())))?
        .ok_or_else(|| LogError::NotALog(format!("{} is not a log (no checkpoint)", fetch.location())))?;
    let note =
        parse_note(&bytes).map_err(|e| LogError::Verify(format!("{}/checkpoint: {e}", fetch.location())))?;
    let c = parse_checkpoint(&note.text)
        .map_err(|e| LogError::Verify(format!("{}/checkpoint: {e}", fetch.location())))?;
    Ok((bytes, c))
}

/// Builds the inclusion proof for `index` in the tree of `size` (default: the current size).
///
/// # Errors
/// [`LogError::OutOfRange`] unless `index < size <= current size`; tile errors.
pub fn prove_inclusion(fetch: &dyn Fetch, index: u64, size: Option<u64>) -> Result<Vec<Hash>, LogError> {
    let (_, c) = read_checkpoint(fetch)?;
    let size = size.unwrap_or(c.size);
    if size > c.size {
        return Err(LogError::OutOfRange(format!("size {size} is beyond the log's current size {}", c.size)));
    }
    if index >= size {
        return Err(LogError::OutOfRange(format!("index {index} is past the end of a tree of size {size}")));
    }
    Ok(verifier::prove_inclusion(&FetchTiles::new(fetch).with_latest(c.size), index, size)?)
}

/// Builds the consistency proof from `from` to `to` (default: the current size).
///
/// # Errors
/// [`LogError::OutOfRange`] unless `0 < from <= to <= current size`; tile errors.
pub fn prove_consistency(fetch: &dyn Fetch, from: u64, to: Option<u64>) -> Result<Vec<Hash>, LogError> {
    let (_, c) = read_checkpoint(fetch)?;
    let to = to.unwrap_or(c.size);
    if to > c.size {
        return Err(LogError::OutOfRange(format!("size {to} is beyond the log's current size {}", c.size)));
    }
    if from == 0 || from > to {
        return Err(LogError::OutOfRange(format!(
            "no consistency proof from size {from} to {to}: need 0 < from <= to (a tree of size 0 needs no proof)"
        )));
    }
    Ok(verifier::prove_consistency(&FetchTiles::new(fetch).with_latest(c.size), from, to)?)
}

/// Writes the C2SP tlog-proof for entry `index` against the log's current checkpoint.
///
/// # Errors
/// As [`prove_inclusion`].
pub fn tlog_proof(fetch: &dyn Fetch, index: u64) -> Result<String, LogError> {
    let (bytes, c) = read_checkpoint(fetch)?;
    let hashes = prove_inclusion(fetch, index, Some(c.size))?;
    let checkpoint =
        String::from_utf8(bytes).map_err(|_| LogError::Verify("checkpoint is not UTF-8".to_owned()))?;
    Ok(format_tlog_proof(&TlogProof { extra: None, index, hashes, checkpoint }))
}
