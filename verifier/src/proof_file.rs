//! Proof files: one standard-base64 hash per line, as `ledgerless log prove` prints them.

use crate::hash::Hash;

/// Most hashes in a proof file. Why: an inclusion proof has at most 64 hashes and a
/// consistency proof at most 65 in a tree of 2^64 leaves.
pub const MAX_PROOF_FILE_HASHES: usize = 65;

/// Why a proof file could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed proof file: {0}")]
pub struct ProofFileError(pub String);

/// Parses a proof file: one base64 hash per line; the last newline is optional and an
/// empty file is an empty proof.
///
/// # Errors
/// [`ProofFileError`] naming the line if it is not UTF-8, has an empty or malformed line,
/// or has more than 65 hashes.
pub fn parse_proof_hashes(bytes: &[u8]) -> Result<Vec<Hash>, ProofFileError> {
    if bytes.len() > MAX_PROOF_FILE_HASHES * 46 {
        return Err(ProofFileError(format!("more than {MAX_PROOF_FILE_HASHES} hashes")));
    }
    let text = core::str::from_utf8(bytes).map_err(|_| ProofFileError("not UTF-8".to_owned()))?;
    let body = text.strip_suffix('\n').unwrap_or(text);
    if body.is_empty() {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for (i, line) in body.split('\n').enumerate() {
        if out.len() == MAX_PROOF_FILE_HASHES {
            return Err(ProofFileError(format!("more than {MAX_PROOF_FILE_HASHES} hashes")));
        }
        let h = Hash::parse_base64(line).map_err(|e| ProofFileError(format!("line {}: {e}", i + 1)))?;
        out.push(h);
    }
    Ok(out)
}

#[cfg(feature = "write")]
/// Formats hashes one per line, each ending in a newline.
pub fn format_proof_hashes(hashes: &[Hash]) -> String {
    let mut out = String::with_capacity(45 * hashes.len());
    for h in hashes {
        out.push_str(&h.to_base64());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse() {
        let h = crate::hash::leaf_hash(b"a");
        let f = format_proof_hashes(&[h, h]);
        assert_eq!(parse_proof_hashes(f.as_bytes()).unwrap(), vec![h, h]);
        assert_eq!(parse_proof_hashes(f.trim_end().as_bytes()).unwrap(), vec![h, h]);
        assert_eq!(parse_proof_hashes(b"").unwrap(), vec![]);
        assert_eq!(parse_proof_hashes(b"\n").unwrap(), vec![]);
        let e = parse_proof_hashes(format!("{h}\n\n{h}\n").as_bytes()).unwrap_err();
        assert!(e.0.starts_with("line 2"), "{e}");
        assert!(parse_proof_hashes(format!("{h}\r\n").as_bytes()).is_err());
    }
}
