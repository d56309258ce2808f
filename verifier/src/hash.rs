//! SHA-256 hashes and the RFC 9162 §2.1.1 leaf and node hash functions.

use core::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The size in bytes of a SHA-256 hash.
pub const HASH_SIZE: usize = 32;

/// A SHA-256 hash: a Merkle tree node, leaf or root.
///
/// Equality is constant-time, so comparing a computed root with an expected one
/// leaks nothing about where they differ.
#[derive(Clone, Copy, Default, serde::Serialize, serde::Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct Hash(pub [u8; HASH_SIZE]);

impl Hash {
    /// Hash of the empty tree, `SHA-256("")` (RFC 9162 §2.1.1: MTH({}) = HASH()).
    pub const EMPTY_TREE: Hash = Hash([
        0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24, 0x27,
        0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
    ]);

    /// Returns the hash held in `bytes`, or `None` unless it is exactly 32 bytes long.
    pub fn from_slice(bytes: &[u8]) -> Option<Hash> {
        <[u8; HASH_SIZE]>::try_from(bytes).ok().map(Hash)
    }

    /// Parses a hash written in standard, padded base64 (RFC 4648 §4), as in
    /// checkpoints, proofs and tlog-proof files.
    ///
    /// # Errors
    /// [`HashParseError`] if the text is not canonical base64 or does not decode to 32 bytes.
    pub fn parse_base64(text: &str) -> Result<Hash, HashParseError> {
        // 32 bytes encode to exactly 44 characters; checking first bounds the work on hostile input.
        if text.len() != 44 {
            return Err(HashParseError::Length { got: text.len() });
        }
        let bytes = STANDARD.decode(text).map_err(|_| HashParseError::Base64)?;
        Hash::from_slice(&bytes).ok_or(HashParseError::Length { got: text.len() })
    }

    /// Formats the hash in standard, padded base64.
    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.0)
    }

    /// Formats the hash as lowercase hex.
    pub fn to_hex(&self) -> String {
        let mut s = String::with_capacity(64);
        for b in self.0 {
            s.push(char::from_digit(u32::from(b >> 4), 16).unwrap_or('0'));
            s.push(char::from_digit(u32::from(b & 0xf), 16).unwrap_or('0'));
        }
        s
    }

    /// The raw 32 bytes.
    pub fn as_bytes(&self) -> &[u8; HASH_SIZE] {
        &self.0
    }
}

impl PartialEq for Hash {
    fn eq(&self, other: &Self) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}
impl Eq for Hash {}

impl core::hash::Hash for Hash {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        // Consistent with the constant-time PartialEq: equal values hash equally.
        self.0.hash(state);
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash({})", self.to_hex())
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_base64())
    }
}

impl From<Hash> for String {
    fn from(h: Hash) -> String {
        h.to_base64()
    }
}

impl TryFrom<String> for Hash {
    type Error = HashParseError;
    fn try_from(s: String) -> Result<Hash, HashParseError> {
        Hash::parse_base64(&s)
    }
}

/// Why a base64 hash could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HashParseError {
    /// The text is not canonical standard base64.
    #[error("hash is not valid standard base64")]
    Base64,
    /// The text does not encode exactly 32 bytes.
    #[error("hash is {got} base64 characters, want 44 (32 bytes)")]
    Length {
        /// Length of the text given.
        got: usize,
    },
}

/// Computes the RFC 9162 §2.1.1 leaf hash `SHA-256(0x00 ‖ entry)`.
pub fn leaf_hash(entry: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0x00]);
    h.update(entry);
    Hash(h.finalize().into())
}

/// SHA-256's initial state (FIPS 180-4 §5.3.3).
const SHA256_H0: [u32; 8] =
    [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];

/// Computes the RFC 9162 §2.1.1 interior node hash `SHA-256(0x01 ‖ left ‖ right)`.
///
/// Proof verification is almost entirely this function, so it feeds sha2's compression
/// function the two padded blocks of the 65-byte message directly (FIPS 180-4 §5.1.1),
/// skipping the streaming API's buffering; tests check it against `Sha256::digest`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut blocks = [[0u8; 64]; 2];
    blocks[0][0] = 0x01;
    blocks[0][1..33].copy_from_slice(&left.0);
    blocks[0][33..].copy_from_slice(&right.0[..31]);
    blocks[1][0] = right.0[31];
    blocks[1][1] = 0x80;
    blocks[1][56..].copy_from_slice(&(65u64 * 8).to_be_bytes());
    let mut state = SHA256_H0;
    sha2::block_api::compress256(&mut state, &blocks);
    let mut out = [0u8; 32];
    for (chunk, word) in out.chunks_exact_mut(4).zip(state) {
        chunk.copy_from_slice(&word.to_be_bytes());
    }
    Hash(out)
}

/// The [`rs_merkle::Hasher`] that makes rs_merkle build RFC 9162 trees.
///
/// rs_merkle is given leaf hashes already made with [`leaf_hash`]; this hasher adds the
/// 0x01 prefix to interior nodes and promotes a lone right-most node unchanged, which is
/// exactly RFC 9162's left-balanced tree (tests compare it with the RFC 6962 reference tree).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Rfc9162Hasher;

impl rs_merkle::Hasher for Rfc9162Hasher {
    type Hash = [u8; HASH_SIZE];

    fn hash(data: &[u8]) -> [u8; HASH_SIZE] {
        Sha256::digest(data).into()
    }

    fn concat_and_hash(left: &[u8; HASH_SIZE], right: Option<&[u8; HASH_SIZE]>) -> [u8; HASH_SIZE] {
        match right {
            Some(right) => node_hash(&Hash(*left), &Hash(*right)).0,
            None => *left,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_tree_is_sha256_of_nothing() {
        assert_eq!(Hash(Sha256::digest(b"").into()), Hash::EMPTY_TREE);
    }

    #[test]
    fn node_hash_is_sha256_of_the_prefixed_pair() {
        for seed in 0u8..=255 {
            let (l, r) = (leaf_hash(&[seed]), leaf_hash(&[seed, 1]));
            let mut h = Sha256::new();
            h.update([0x01]);
            h.update(l.0);
            h.update(r.0);
            assert_eq!(node_hash(&l, &r), Hash(h.finalize().into()));
        }
    }

    #[test]
    fn base64_roundtrip_and_rejects() {
        let h = leaf_hash(b"L123456");
        assert_eq!(Hash::parse_base64(&h.to_base64()), Ok(h));
        assert!(Hash::parse_base64("").is_err());
        // 43 chars + '=' but with non-zero trailing bits is not canonical.
        let mut s = h.to_base64();
        s.replace_range(42..43, "B");
        if s != h.to_base64() {
            // Either a different hash or a rejection; never the same hash.
            assert_ne!(Hash::parse_base64(&s).ok(), Some(h));
        }
        assert!(Hash::parse_base64("ZG9uJ3QgY2FyZSAx").is_err());
    }
}
