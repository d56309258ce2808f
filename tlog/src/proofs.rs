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
    let prover = TlogProver::new(fetch)?;
    prover.tlog_proof(&FetchTiles::new(fetch).with_latest(prover.size()), index)
}

/// The log's current checkpoint, read once, for writing tlog-proofs of many entries (issuance
/// writes one per credential): each thread passes its own [`FetchTiles`], whose cache the
/// proofs share.
#[derive(Debug, Clone)]
pub struct TlogProver {
    checkpoint: String,
    size: u64,
}

impl TlogProver {
    /// Reads the log's current checkpoint.
    ///
    /// # Errors
    /// As [`read_checkpoint`]; [`LogError::Verify`] if the checkpoint is not UTF-8.
    pub fn new(fetch: &dyn Fetch) -> Result<Self, LogError> {
        let (bytes, c) = read_checkpoint(fetch)?;
        let checkpoint =
            String::from_utf8(bytes).map_err(|_| LogError::Verify("checkpoint is not UTF-8".to_owned()))?;
        Ok(TlogProver { checkpoint, size: c.size })
    }

    /// The size of the tree the proofs are against.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The C2SP tlog-proof for entry `index`, its hashes read through `tiles` (a
    /// [`FetchTiles`] of the same log).
    ///
    /// # Errors
    /// [`LogError::OutOfRange`] unless `index` is below the checkpoint's size; tile errors.
    pub fn tlog_proof(&self, tiles: &FetchTiles<'_>, index: u64) -> Result<String, LogError> {
        if index >= self.size {
            return Err(LogError::OutOfRange(format!(
                "index {index} is past the end of a tree of size {}",
                self.size
            )));
        }
        let hashes = verifier::prove_inclusion(tiles, index, self.size)?;
        Ok(format_tlog_proof(&TlogProof { extra: None, index, hashes, checkpoint: self.checkpoint.clone() }))
    }
}
