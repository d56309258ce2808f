//! The streaming check of one file: SHA-256 and size of the bytes fed in chunks, and the
//! verifier's class recount ([`verifier::Recounter`]: rows sharing all quasi-identifier values)
//! fed the same chunks, so anyone can confirm the claimed k and l on their own machine, exactly
//! as `ledgerless verify` does.

use sha2::Digest as _;

use super::{Recount, RecountSpec};

/// SHA-256 and size of a file fed in chunks, and optionally its recount.
#[derive(Debug)]
pub struct FileCheck {
    sha: sha2::Sha256,
    bytes: u64,
    recount: Option<verifier::Recounter>,
}

/// What checking one file found.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Checked {
    /// SHA-256 of the bytes.
    pub sha256: [u8; 32],
    /// Size.
    pub bytes: u64,
    /// The class recount, when one was asked for (its error as a sentence: it crosses the
    /// worker's JSON protocol).
    pub recount: Option<Result<Recount, String>>,
}

impl FileCheck {
    /// Starts checking a file; recounts classes if `spec` is given.
    pub fn new(spec: Option<RecountSpec>) -> FileCheck {
        FileCheck { sha: sha2::Sha256::new(), bytes: 0, recount: spec.map(verifier::Recounter::new) }
    }

    /// Feeds the next chunk.
    pub fn update(&mut self, chunk: &[u8]) {
        self.sha.update(chunk);
        self.bytes += chunk.len() as u64;
        if let Some(r) = &mut self.recount {
            r.update(chunk);
        }
    }

    /// Bytes fed so far.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// The result.
    pub fn finish(self) -> Checked {
        Checked {
            sha256: self.sha.finalize().into(),
            bytes: self.bytes,
            recount: self.recount.map(|r| r.finish().map_err(|e| e.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::fixtures::*;

    #[test]
    fn the_file_check_recounts_while_hashing_and_words_its_errors() {
        // The recount itself is tested in the verifier; here, that the page's check runs it.
        for chunk in [1, 7, 4096] {
            let r = run(CSV, chunk).expect("recount");
            assert_eq!((r.rows, r.suppressed, r.classes, r.smallest), (7, 1, 2, 3), "chunk {chunk}");
            assert_eq!(r.distinct_l, vec![("diagnosis".into(), 2)]);
        }
        assert_eq!(run("age,diagnosis\n1,a\n", 4).unwrap_err(), "the file has no column \"sex\"");
        assert_eq!(
            run(&CSV.replace(",9\n", "\n"), 9).unwrap_err(),
            "row 7 has 3 fields but the header has 4"
        );
        assert_eq!(run("", 9).unwrap_err(), "the file is empty (no header line)");
    }

    #[test]
    fn hash_and_size_match_a_one_shot_digest() {
        let data: Vec<u8> = (0..100_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let mut f = FileCheck::new(None);
        for c in data.chunks(4093) {
            f.update(c);
        }
        let c = f.finish();
        assert_eq!(c.sha256, <[u8; 32]>::from(sha2::Sha256::digest(&data)));
        assert_eq!((c.bytes, c.recount), (100_000, None));
    }
}
