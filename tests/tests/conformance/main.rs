//! Conformance vectors from other projects (in `tests/vectors/`), and property tests
//! against a naive RFC 9162 implementation. One test binary, split into modules.

mod ed25519;
mod go_tlog;
mod merkle_vectors;
mod parse_vectors;
mod properties;
mod rfc6962;
mod signed_note;
mod tessera;

use std::path::Path;

use serde_json::Value;
use verifier::Hash;

/// Reads `dir/rel`; a missing vector fails the test, naming the file.
pub(crate) fn read(dir: &Path, rel: &str) -> Vec<u8> {
    let path = dir.join(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("reading vector {}: {e}", path.display()))
}

pub(crate) fn json(dir: &Path, rel: &str) -> Value {
    serde_json::from_slice(&read(dir, rel)).unwrap_or_else(|e| panic!("parsing {rel}: {e}"))
}

pub(crate) fn hex_hash(s: &str) -> Hash {
    Hash::from_slice(&tests::hex(s)).unwrap_or_else(|| panic!("not a 32-byte hex hash: {s}"))
}

/// Decodes a base64 hash that a vector may have made deliberately malformed (not 32 bytes).
pub(crate) fn b64_hash(v: &Value) -> Option<Hash> {
    use base64::Engine as _;
    let s = v.as_str()?;
    let bytes = base64::engine::general_purpose::STANDARD.decode(s).ok()?;
    Hash::from_slice(&bytes)
}
