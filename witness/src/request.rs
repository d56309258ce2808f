//! The `add-checkpoint` request body: an `old N` line, at most 63 base64 proof hashes, an
//! empty line, then the signed checkpoint (C2SP tlog-witness).

use verifier::Hash;

/// Most consistency proof lines a client may send (tlog-witness: "MUST NOT send more than 63").
pub const MAX_PROOF_LINES: usize = 63;
/// Largest request body the witness reads, in bytes: the header and proof take under 3 KiB;
/// the rest is room for a checkpoint with many cosignatures. Larger bodies get 413.
pub const MAX_REQUEST_SIZE: usize = 64 * 1024;

/// A parsed `add-checkpoint` request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddCheckpointRequest {
    /// The size of the checkpoint the client believes the witness last cosigned.
    pub old_size: u64,
    /// RFC 6962 consistency proof from `old_size` to the checkpoint's size.
    pub proof: Vec<Hash>,
    /// The signed checkpoint (a note), as sent.
    pub checkpoint: Vec<u8>,
}

/// Why a request body is malformed (answered with 400).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    /// The first line is not `old <decimal>`.
    #[error("the first line must be `old <size>` (a decimal without leading zeros)")]
    OldLine,
    /// A proof line is not the standard base64 of 32 bytes.
    #[error("consistency proof line {0} is not a base64 SHA-256 hash")]
    ProofLine(usize),
    /// More than [`MAX_PROOF_LINES`] proof lines.
    #[error("more than 63 consistency proof lines")]
    TooManyProofLines,
    /// No empty line before the checkpoint, or no checkpoint after it.
    #[error("no empty line followed by a checkpoint")]
    NoCheckpoint,
}

/// A canonical ASCII decimal (no sign, no leading zeros) that fits in u64.
pub(crate) fn parse_decimal(s: &[u8]) -> Option<u64> {
    if s.is_empty() || s.len() > 20 || !s.iter().all(u8::is_ascii_digit) || (s.len() > 1 && s[0] == b'0') {
        return None;
    }
    std::str::from_utf8(s).ok()?.parse().ok()
}

impl AddCheckpointRequest {
    /// Parses a request body. The checkpoint itself is not parsed here.
    ///
    /// # Errors
    /// [`RequestError`] naming what is malformed.
    pub fn parse(body: &[u8]) -> Result<Self, RequestError> {
        let mut rest = body;
        let next_line = |rest: &mut &[u8]| -> Option<Vec<u8>> {
            let at = rest.iter().position(|&b| b == b'\n')?;
            let line = rest[..at].to_vec();
            *rest = &rest[at + 1..];
            Some(line)
        };
        let first = next_line(&mut rest).ok_or(RequestError::OldLine)?;
        let old_size = first.strip_prefix(b"old ").and_then(parse_decimal).ok_or(RequestError::OldLine)?;
        let mut proof = Vec::new();
        loop {
            let line = next_line(&mut rest).ok_or(RequestError::NoCheckpoint)?;
            if line.is_empty() {
                break;
            }
            if proof.len() == MAX_PROOF_LINES {
                return Err(RequestError::TooManyProofLines);
            }
            let hash = std::str::from_utf8(&line)
                .ok()
                .and_then(|s| Hash::parse_base64(s).ok())
                .ok_or(RequestError::ProofLine(proof.len() + 1))?;
            proof.push(hash);
        }
        if rest.is_empty() {
            return Err(RequestError::NoCheckpoint);
        }
        Ok(AddCheckpointRequest { old_size, proof, checkpoint: rest.to_vec() })
    }

    /// The request body, as [`AddCheckpointRequest::parse`] reads it.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = format!("old {}\n", self.old_size).into_bytes();
        for h in &self.proof {
            out.extend_from_slice(h.to_base64().as_bytes());
            out.push(b'\n');
        }
        out.push(b'\n');
        out.extend_from_slice(&self.checkpoint);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_malformed_bodies() {
        let r = AddCheckpointRequest {
            old_size: 20,
            proof: vec![Hash([1; 32]), Hash([2; 32])],
            checkpoint: b"o\n1\nx\n\n- sig\n".to_vec(),
        };
        assert_eq!(AddCheckpointRequest::parse(&r.to_bytes()).unwrap(), r);
        let ok = AddCheckpointRequest::parse(b"old 0\n\ncp\n").unwrap();
        assert_eq!((ok.old_size, ok.proof.len()), (0, 0));
        for (bad, want) in [
            (&b""[..], RequestError::OldLine),
            (b"old 01\n\ncp", RequestError::OldLine),
            (b"old -1\n\ncp", RequestError::OldLine),
            (b"old  1\n\ncp", RequestError::OldLine),
            (b"old 99999999999999999999\n\ncp", RequestError::OldLine),
            (b"new 1\n\ncp", RequestError::OldLine),
            (b"old 1\n", RequestError::NoCheckpoint),
            (b"old 1\n\n", RequestError::NoCheckpoint),
            (b"old 1\nnot base64\n\ncp", RequestError::ProofLine(1)),
        ] {
            assert_eq!(
                AddCheckpointRequest::parse(bad).unwrap_err(),
                want,
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
        let mut many = b"old 1\n".to_vec();
        for _ in 0..64 {
            many.extend_from_slice(Hash([0; 32]).to_base64().as_bytes());
            many.push(b'\n');
        }
        many.extend_from_slice(b"\ncp");
        assert_eq!(AddCheckpointRequest::parse(&many).unwrap_err(), RequestError::TooManyProofLines);
    }
}
