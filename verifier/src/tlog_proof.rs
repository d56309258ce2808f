//! C2SP tlog-proof: an offline proof that an entry is in a log, with the signed checkpoint.
//!
//! SPEC: <https://c2sp.org/tlog-proof>

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::checkpoint::parse_decimal;
use crate::hash::Hash;

/// The first line of every v1 proof.
pub const TLOG_PROOF_HEADER: &str = "c2sp.org/tlog-proof@v1";

/// Most inclusion-proof hashes: a tree of at most 2^64 leaves has paths of at most 64 nodes.
pub const MAX_PROOF_HASHES: usize = 64;

/// A parsed tlog-proof. Nothing in it is trusted until the checkpoint and proof verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlogProof {
    /// Opaque, unauthenticated application data.
    pub extra: Option<Vec<u8>>,
    /// Zero-based index of the entry in the log.
    pub index: u64,
    /// RFC 9162 inclusion proof, from the leaf's sibling upwards.
    pub hashes: Vec<Hash>,
    /// The signed checkpoint note, verbatim.
    pub checkpoint: String,
}

/// Why a tlog-proof file could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed tlog-proof: {0}")]
pub struct TlogProofError(pub String);

/// Parses a tlog-proof file.
///
/// # Errors
/// [`TlogProofError`] if the header, `extra` or `index` line, a hash line, or the blank line
/// before the checkpoint is wrong, or there are more than 64 hashes.
pub fn parse_tlog_proof(bytes: &[u8]) -> Result<TlogProof, TlogProofError> {
    let bad = |s: &str| TlogProofError(s.to_owned());
    if bytes.len() > crate::note::MAX_NOTE_SIZE + 8192 {
        return Err(bad("file is larger than a proof can be"));
    }
    let text = core::str::from_utf8(bytes).map_err(|_| bad("not UTF-8"))?;
    let rest = text
        .strip_prefix(TLOG_PROOF_HEADER)
        .and_then(|r| r.strip_prefix('\n'))
        .ok_or_else(|| bad("first line is not c2sp.org/tlog-proof@v1"))?;
    let (mut line, mut rest) = rest.split_once('\n').ok_or_else(|| bad("no index line"))?;
    let mut extra = None;
    if let Some(b64) = line.strip_prefix("extra ") {
        extra = Some(STANDARD.decode(b64).map_err(|_| bad("extra data is not valid standard base64"))?);
        (line, rest) = rest.split_once('\n').ok_or_else(|| bad("no index line"))?;
    }
    let index = line.strip_prefix("index ").ok_or_else(|| bad("no index line")).and_then(|n| {
        parse_decimal(n).ok_or_else(|| bad("index is not a decimal number without leading zeros"))
    })?;
    let mut hashes = Vec::new();
    loop {
        let (line, next) = rest.split_once('\n').ok_or_else(|| bad("no blank line before the checkpoint"))?;
        rest = next;
        if line.is_empty() {
            break;
        }
        if hashes.len() == MAX_PROOF_HASHES {
            return Err(bad("more than 64 proof hashes"));
        }
        hashes.push(
            Hash::parse_base64(line)
                .map_err(|e| TlogProofError(format!("proof hash {}: {e}", hashes.len() + 1)))?,
        );
    }
    if rest.is_empty() {
        return Err(bad("no checkpoint after the blank line"));
    }
    Ok(TlogProof { extra, index, hashes, checkpoint: rest.to_owned() })
}

#[cfg_attr(not(feature = "write"), allow(unreachable_pub))] // compact bundles rebuild text with it
/// Formats a tlog-proof; [`parse_tlog_proof`] reads it back to an equal value.
pub fn format_tlog_proof(p: &TlogProof) -> String {
    let mut out = String::with_capacity(64 + 45 * p.hashes.len() + p.checkpoint.len());
    out.push_str(TLOG_PROOF_HEADER);
    out.push('\n');
    if let Some(extra) = &p.extra {
        out.push_str("extra ");
        out.push_str(&STANDARD.encode(extra));
        out.push('\n');
    }
    out.push_str(&format!("index {}\n", p.index));
    for h in &p.hashes {
        out.push_str(&h.to_base64());
        out.push('\n');
    }
    out.push('\n');
    out.push_str(&p.checkpoint);
    out
}
