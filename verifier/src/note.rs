//! C2SP signed notes: parsing, formatting, keys, Ed25519 signing and verification.
//!
//! SPEC: <https://c2sp.org/signed-note>. Limits and error cases follow Go's
//! `golang.org/x/mod/sumdb/note`, with which these notes interoperate byte for byte.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signature, Verifier as _, VerifyingKey};
#[cfg(feature = "write")]
use ed25519_dalek::{Signer as _, SigningKey};
use sha2::{Digest, Sha256};

/// The most signatures a note may carry (Go's limit; C2SP requires accepting at least 16).
pub const MAX_SIGNATURES: usize = 100;

/// The largest note accepted, in bytes. Why: a checkpoint with 100 signatures is under 20 KiB;
/// 1 MiB bounds the work and memory a hostile note can cause.
pub const MAX_NOTE_SIZE: usize = 1 << 20;

/// The signature line prefix: em dash (U+2014) and a space.
const SIG_PREFIX: &str = "\u{2014} ";

/// Signature type byte of an Ed25519 note signature (signed-note §Signature types).
pub(crate) const ALG_ED25519: u8 = 0x01;
/// Signature type byte of an Ed25519 `cosignature/v1` (tlog-cosignature).
pub(crate) const ALG_COSIGNATURE_V1: u8 = 0x04;

/// Why a note or key could not be parsed, or a note not verified.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NoteError {
    /// The note is not a well-formed signed note; the text says which rule it breaks.
    #[error("malformed note: {0}")]
    Malformed(&'static str),
    /// A verifier or private key is not well-formed; the text says which rule it breaks.
    #[error("malformed key: {0}")]
    MalformedKey(&'static str),
    /// Two trusted keys share a name and key ID, so signatures cannot be attributed.
    #[error("ambiguous key {name}+{key_id:08x}: listed more than once")]
    AmbiguousKey {
        /// Key name.
        name: String,
        /// Key ID.
        key_id: u32,
    },
    /// A signature by a trusted key does not verify: the note was altered or forged.
    #[error("invalid signature by {name}+{key_id:08x}")]
    InvalidSignature {
        /// Key name.
        name: String,
        /// Key ID.
        key_id: u32,
    },
    /// No signature on the note is by any trusted key.
    #[error("no signature by {}", wanted.join(", "))]
    NoTrustedSignature {
        /// The trusted keys, as `name+keyid`.
        wanted: Vec<String>,
    },
}

/// Computes a C2SP key ID: the first four bytes of `SHA-256(name ‖ "\n" ‖ alg ‖ public key)`.
pub fn key_id(name: &str, alg: u8, public_key: &[u8]) -> u32 {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update(b"\n");
    h.update([alg]);
    h.update(public_key);
    let d: [u8; 32] = h.finalize().into();
    u32::from_be_bytes([d[0], d[1], d[2], d[3]])
}

/// Reports whether `name` is a valid key name: non-empty, no Unicode spaces, no `+`.
pub fn is_valid_key_name(name: &str) -> bool {
    !name.is_empty() && !name.chars().any(|c| c.is_whitespace() || c == '+')
}

/// What a verifier key verifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum KeyKind {
    /// Ed25519 note signatures (type 0x01): a log's checkpoint signature.
    Ed25519,
    /// Ed25519 timestamped cosignatures (type 0x04): a witness's cosignature.
    CosignatureV1,
}

impl KeyKind {
    /// The signature type byte.
    pub fn alg(self) -> u8 {
        match self {
            KeyKind::Ed25519 => ALG_ED25519,
            KeyKind::CosignatureV1 => ALG_COSIGNATURE_V1,
        }
    }
}

/// A public key that verifies note signatures: a name, a key ID and an Ed25519 key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifierKey {
    /// Key name (for a log key, the log's origin).
    pub name: String,
    /// Key ID, derived from the name, type and key.
    pub key_id: u32,
    /// Signature type.
    pub kind: KeyKind,
    /// The Ed25519 public key.
    pub public_key: VerifyingKey,
}

impl VerifierKey {
    /// Builds a verifier key of `kind` for `name` and an Ed25519 public key.
    ///
    /// # Errors
    /// [`NoteError::MalformedKey`] if the name is not a valid key name.
    pub fn new(name: &str, kind: KeyKind, public_key: VerifyingKey) -> Result<Self, NoteError> {
        if !is_valid_key_name(name) {
            return Err(NoteError::MalformedKey("key name is empty or has a space or '+'"));
        }
        let key_id = key_id(name, kind.alg(), public_key.as_bytes());
        Ok(VerifierKey { name: name.to_owned(), key_id, kind, public_key })
    }

    /// The same public key as a cosignature/v1 key, with its key ID recomputed for type 0x04.
    pub fn to_cosignature_key(&self) -> VerifierKey {
        let key_id = key_id(&self.name, ALG_COSIGNATURE_V1, self.public_key.as_bytes());
        VerifierKey { kind: KeyKind::CosignatureV1, key_id, ..self.clone() }
    }

    /// `name+keyid`, how keys are named in messages.
    pub fn label(&self) -> String {
        format!("{}+{:08x}", self.name, self.key_id)
    }

    /// Verifies a raw Ed25519 signature over `msg`.
    ///
    /// Strictness: RFC 8032 with cofactorless verification, non-canonical S rejected and
    /// small-order keys and R accepted, exactly as Go's crypto/ed25519 (see
    /// `docs/design/0003-ed25519-strictness.md`), so we accept precisely the notes Go accepts.
    pub fn verify_raw(&self, msg: &[u8], sig: &[u8]) -> bool {
        let Ok(sig) = <[u8; 64]>::try_from(sig) else {
            return false;
        };
        self.public_key.verify(msg, &Signature::from_bytes(&sig)).is_ok()
    }
}

/// Parses a C2SP verifier key, `name+hex8+base64(type ‖ public key)`.
///
/// Only Ed25519 (0x01) and cosignature/v1 (0x04) keys are supported.
///
/// # Errors
/// [`NoteError::MalformedKey`] if any part is malformed, the key ID does not match the key,
/// or the type is unsupported.
pub fn parse_verifier_key(vkey: &str) -> Result<VerifierKey, NoteError> {
    let vkey = vkey.trim_end_matches(['\n', '\r']);
    let (name, rest) = vkey.split_once('+').ok_or(NoteError::MalformedKey("want name+keyid+key"))?;
    let (id_hex, key_b64) = rest.split_once('+').ok_or(NoteError::MalformedKey("want name+keyid+key"))?;
    if !is_valid_key_name(name) {
        return Err(NoteError::MalformedKey("key name is empty or has a space or '+'"));
    }
    let (id, kind, bytes, alg_and_key) =
        parse_key_material(id_hex, key_b64, "Ed25519 public key is not 32 bytes")?;
    if key_id(name, alg_and_key[0], &alg_and_key[1..]) != id {
        return Err(NoteError::MalformedKey("key ID does not match the name and key"));
    }
    let public_key = VerifyingKey::from_bytes(&bytes)
        .map_err(|_| NoteError::MalformedKey("not a valid Ed25519 public key"))?;
    Ok(VerifierKey { name: name.to_owned(), key_id: id, kind, public_key })
}

#[cfg(feature = "write")]
/// Formats a verifier key as `name+hex8+base64(type ‖ public key)`.
pub fn format_verifier_key(key: &VerifierKey) -> String {
    let mut bytes = Vec::with_capacity(33);
    bytes.push(key.kind.alg());
    bytes.extend_from_slice(key.public_key.as_bytes());
    format!("{}+{:08x}+{}", key.name, key.key_id, STANDARD.encode(bytes))
}

/// Parses the `hex8+base64(type ‖ 32 bytes)` part shared by verifier and private keys:
/// returns the key ID, the kind, the 32 key bytes and the decoded `type ‖ bytes`.
fn parse_key_material(
    id_hex: &str,
    key_b64: &str,
    wrong_length: &'static str,
) -> Result<(u32, KeyKind, [u8; 32], Vec<u8>), NoteError> {
    let id = parse_key_id_hex(id_hex)?;
    let key =
        STANDARD.decode(key_b64).map_err(|_| NoteError::MalformedKey("key is not valid standard base64"))?;
    let (&alg, material) = key.split_first().ok_or(NoteError::MalformedKey("key is empty"))?;
    let kind = match alg {
        ALG_ED25519 => KeyKind::Ed25519,
        ALG_COSIGNATURE_V1 => KeyKind::CosignatureV1,
        _ => return Err(NoteError::MalformedKey("unsupported signature type (want 0x01 or 0x04)")),
    };
    let bytes: [u8; 32] = material.try_into().map_err(|_| NoteError::MalformedKey(wrong_length))?;
    Ok((id, kind, bytes, key))
}

fn parse_key_id_hex(id_hex: &str) -> Result<u32, NoteError> {
    // Exactly 8 lowercase hex digits, as every implementation formats them.
    if id_hex.len() != 8 || !id_hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
        return Err(NoteError::MalformedKey("key ID is not 8 lowercase hex digits"));
    }
    u32::from_str_radix(id_hex, 16).map_err(|_| NoteError::MalformedKey("key ID is not hex"))
}

#[cfg(feature = "write")]
/// A private key that signs notes (type 0x01) or cosignatures (type 0x04).
#[derive(Clone)]
pub struct SignerKey {
    /// The public half.
    pub verifier: VerifierKey,
    signing_key: SigningKey,
}

#[cfg(feature = "write")]
impl core::fmt::Debug for SignerKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // Never print the private key.
        write!(f, "SignerKey({})", self.verifier.label())
    }
}

#[cfg(feature = "write")]
impl SignerKey {
    /// Builds a signer from a 32-byte Ed25519 seed.
    ///
    /// # Errors
    /// [`NoteError::MalformedKey`] if the name is not a valid key name.
    pub fn from_seed(name: &str, kind: KeyKind, seed: &[u8; 32]) -> Result<Self, NoteError> {
        let signing_key = SigningKey::from_bytes(seed);
        let verifier = VerifierKey::new(name, kind, signing_key.verifying_key())?;
        Ok(SignerKey { verifier, signing_key })
    }

    /// Signs `msg` with Ed25519 (deterministic, RFC 8032).
    pub fn sign_raw(&self, msg: &[u8]) -> [u8; 64] {
        self.signing_key.sign(msg).to_bytes()
    }

    /// The 32-byte seed, for writing the key back to a file.
    pub fn seed(&self) -> [u8; 32] {
        self.signing_key.to_bytes()
    }
}

#[cfg(feature = "write")]
/// Parses a private key, `PRIVATE+KEY+name+hex8+base64(type ‖ seed)`.
///
/// # Errors
/// [`NoteError::MalformedKey`] if any part is malformed or the key ID does not match.
pub fn parse_signer_key(skey: &str) -> Result<SignerKey, NoteError> {
    let skey = skey.trim_end_matches(['\n', '\r']);
    let rest = skey
        .strip_prefix("PRIVATE+KEY+")
        .ok_or(NoteError::MalformedKey("private key does not start with PRIVATE+KEY+"))?;
    let (name, rest) = rest.split_once('+').ok_or(NoteError::MalformedKey("want name+keyid+key"))?;
    let (id_hex, key_b64) = rest.split_once('+').ok_or(NoteError::MalformedKey("want name+keyid+key"))?;
    let (id, kind, seed, _) = parse_key_material(id_hex, key_b64, "Ed25519 seed is not 32 bytes")?;
    let signer = SignerKey::from_seed(name, kind, &seed)?;
    if signer.verifier.key_id != id {
        return Err(NoteError::MalformedKey("key ID does not match the name and key"));
    }
    Ok(signer)
}

#[cfg(feature = "write")]
/// Formats a private key as `PRIVATE+KEY+name+hex8+base64(type ‖ seed)`.
pub fn format_signer_key(key: &SignerKey) -> String {
    let mut bytes = Vec::with_capacity(33);
    bytes.push(key.verifier.kind.alg());
    bytes.extend_from_slice(&key.seed());
    format!("PRIVATE+KEY+{}+{:08x}+{}", key.verifier.name, key.verifier.key_id, STANDARD.encode(bytes))
}

/// One signature line of a note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteSignature {
    /// Key name.
    pub name: String,
    /// Key ID (first four bytes of the decoded signature).
    pub key_id: u32,
    /// The signature bytes after the key ID.
    pub signature: Vec<u8>,
}

impl NoteSignature {
    /// `name+keyid`, how signers are named in messages.
    pub fn label(&self) -> String {
        format!("{}+{:08x}", self.name, self.key_id)
    }

    fn format_line(&self) -> String {
        let mut bytes = Vec::with_capacity(4 + self.signature.len());
        bytes.extend_from_slice(&self.key_id.to_be_bytes());
        bytes.extend_from_slice(&self.signature);
        format!("{SIG_PREFIX}{} {}\n", self.name, STANDARD.encode(bytes))
    }
}

/// A parsed, not yet verified, signed note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// The note text, ending in a newline. Untrusted until a signature is verified.
    pub text: String,
    /// The signature lines, in order.
    pub signatures: Vec<NoteSignature>,
}

/// Parses a signed note. Signatures are not verified; see [`verify_note`].
///
/// # Errors
/// [`NoteError::Malformed`] if the note is too large, not UTF-8, has control characters,
/// lacks the blank line and signature block, has a malformed signature line, or has more
/// than [`MAX_SIGNATURES`] signatures.
pub fn parse_note(msg: &[u8]) -> Result<Note, NoteError> {
    if msg.len() > MAX_NOTE_SIZE {
        return Err(NoteError::Malformed("note is larger than 1 MiB"));
    }
    let msg = core::str::from_utf8(msg).map_err(|_| NoteError::Malformed("note is not UTF-8"))?;
    if msg.bytes().any(|b| b < 0x20 && b != b'\n') {
        return Err(NoteError::Malformed("note has a control character"));
    }
    let split = msg.rfind("\n\n").ok_or(NoteError::Malformed("no blank line before the signatures"))?;
    let (text, sigs) = (&msg[..=split], &msg[split + 2..]);
    if sigs.is_empty() {
        return Err(NoteError::Malformed("no signatures"));
    }
    let sigs = sigs
        .strip_suffix('\n')
        .ok_or(NoteError::Malformed("last signature line does not end in a newline"))?;
    let mut signatures = Vec::new();
    for line in sigs.split('\n') {
        if signatures.len() == MAX_SIGNATURES {
            return Err(NoteError::Malformed("more than 100 signatures"));
        }
        signatures.push(parse_signature_line(line)?);
    }
    Ok(Note { text: text.to_owned(), signatures })
}

fn parse_signature_line(line: &str) -> Result<NoteSignature, NoteError> {
    let line = line
        .strip_prefix(SIG_PREFIX)
        .ok_or(NoteError::Malformed("signature line does not start with an em dash and space"))?;
    let (name, b64) =
        line.split_once(' ').ok_or(NoteError::Malformed("signature line has no space after the key name"))?;
    if !is_valid_key_name(name) {
        return Err(NoteError::Malformed("signature key name is empty or has a space or '+'"));
    }
    let sig =
        STANDARD.decode(b64).map_err(|_| NoteError::Malformed("signature is not valid standard base64"))?;
    if sig.len() < 5 {
        return Err(NoteError::Malformed("signature is shorter than a key ID and one byte"));
    }
    Ok(NoteSignature {
        name: name.to_owned(),
        key_id: u32::from_be_bytes([sig[0], sig[1], sig[2], sig[3]]),
        signature: sig[4..].to_vec(),
    })
}

#[cfg_attr(not(feature = "write"), allow(unreachable_pub))] // compact bundles rebuild text with it
/// Formats a note: its text, a blank line and one line per signature.
pub fn format_note(note: &Note) -> String {
    let mut out = String::with_capacity(note.text.len() + 1 + 100 * note.signatures.len());
    out.push_str(&note.text);
    out.push('\n');
    for s in &note.signatures {
        out.push_str(&s.format_line());
    }
    out
}

#[cfg(feature = "write")]
/// Signs `text` (which must end in a newline and have no blank-line-only ending ambiguity)
/// with each Ed25519 note key in `signers`, returning the signed note.
///
/// # Errors
/// [`NoteError::Malformed`] if the text is empty, lacks a final newline, or has control
/// characters; [`NoteError::MalformedKey`] if a signer is not a type 0x01 key.
pub fn sign_note(text: &str, signers: &[&SignerKey]) -> Result<String, NoteError> {
    if text.is_empty() || !text.ends_with('\n') {
        return Err(NoteError::Malformed("note text must end in a newline"));
    }
    if text.bytes().any(|b| b < 0x20 && b != b'\n') {
        return Err(NoteError::Malformed("note has a control character"));
    }
    let mut signatures = Vec::with_capacity(signers.len());
    for s in signers {
        if s.verifier.kind != KeyKind::Ed25519 {
            return Err(NoteError::MalformedKey(
                "only type 0x01 keys sign notes; cosign with cosign_checkpoint",
            ));
        }
        signatures.push(NoteSignature {
            name: s.verifier.name.clone(),
            key_id: s.verifier.key_id,
            signature: s.sign_raw(text.as_bytes()).to_vec(),
        });
    }
    Ok(format_note(&Note { text: text.to_owned(), signatures }))
}

/// A set of trusted keys, each identified by its (name, key ID).
#[derive(Debug, Clone, Default)]
pub struct Verifiers {
    keys: Vec<VerifierKey>,
}

impl Verifiers {
    /// Builds a key set.
    ///
    /// # Errors
    /// [`NoteError::AmbiguousKey`] if two keys share a name and key ID.
    pub fn new(keys: Vec<VerifierKey>) -> Result<Self, NoteError> {
        for (i, k) in keys.iter().enumerate() {
            if keys[..i].iter().any(|o| o.name == k.name && o.key_id == k.key_id) {
                return Err(NoteError::AmbiguousKey { name: k.name.clone(), key_id: k.key_id });
            }
        }
        Ok(Verifiers { keys })
    }

    /// Finds the key with this name and key ID.
    pub fn get(&self, name: &str, key_id: u32) -> Option<&VerifierKey> {
        self.keys.iter().find(|k| k.name == name && k.key_id == key_id)
    }

    /// The keys, in the order given.
    pub fn keys(&self) -> &[VerifierKey] {
        &self.keys
    }
}

/// A signature by a trusted key that verified.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct VerifiedSignature {
    /// Key name.
    pub name: String,
    /// Key ID.
    pub key_id: u32,
    /// Kind of the key that verified it.
    pub kind: KeyKind,
    /// For cosignatures, the POSIX time the witness signed at.
    pub timestamp: Option<u64>,
}

/// Verifies every signature on `note` made by a key in `verifiers`.
///
/// Signatures by unknown keys (name or ID differ) are ignored. Every signature by a known key
/// is verified, a repeated one too (it counts once): tlog-witness requires a witness to refuse
/// a note carrying any failing signature by a trusted key, whatever its position. (Go's
/// `note.Open` skips a repeat unverified; we are stricter.) Type 0x01 keys verify the text; type 0x04 keys verify a
/// `cosignature/v1` over it (tlog-cosignature).
///
/// # Errors
/// [`NoteError::InvalidSignature`] if any signature by a trusted key fails (the note was
/// altered or forged: C2SP says such notes should be rejected whole), and
/// [`NoteError::NoTrustedSignature`] if no trusted key signed at all.
pub fn verify_note(note: &Note, verifiers: &Verifiers) -> Result<Vec<VerifiedSignature>, NoteError> {
    let mut verified: Vec<VerifiedSignature> = Vec::new();
    for sig in &note.signatures {
        let Some(key) = verifiers.get(&sig.name, sig.key_id) else {
            continue;
        };
        let repeated = verified.iter().any(|v| v.name == sig.name && v.key_id == sig.key_id);
        let invalid = || NoteError::InvalidSignature { name: sig.name.clone(), key_id: sig.key_id };
        let timestamp = match key.kind {
            KeyKind::Ed25519 => {
                if !key.verify_raw(note.text.as_bytes(), &sig.signature) {
                    return Err(invalid());
                }
                None
            }
            KeyKind::CosignatureV1 => {
                let (timestamp, raw) = split_cosignature(&sig.signature).ok_or_else(invalid)?;
                let msg = cosignature_message(timestamp, &note.text);
                if !key.verify_raw(msg.as_bytes(), raw) {
                    return Err(invalid());
                }
                Some(timestamp)
            }
        };
        if repeated {
            continue;
        }
        verified.push(VerifiedSignature {
            name: sig.name.clone(),
            key_id: sig.key_id,
            kind: key.kind,
            timestamp,
        });
    }
    if verified.is_empty() {
        return Err(NoteError::NoTrustedSignature {
            wanted: verifiers.keys().iter().map(VerifierKey::label).collect(),
        });
    }
    Ok(verified)
}

/// Splits a cosignature/v1 signature (after the key ID) into its timestamp and Ed25519 part.
///
/// Returns `None` unless it is exactly 8 + 64 bytes with a timestamp at most 2^63 - 1.
///
/// SPEC: <https://c2sp.org/tlog-cosignature> `timestamped_signature`.
pub fn split_cosignature(sig: &[u8]) -> Option<(u64, &[u8])> {
    if sig.len() != 72 {
        return None;
    }
    let mut ts = [0u8; 8];
    ts.copy_from_slice(&sig[..8]);
    let timestamp = u64::from_be_bytes(ts);
    if timestamp > i64::MAX as u64 {
        return None;
    }
    Some((timestamp, &sig[8..]))
}

/// The message a cosignature/v1 signs: `cosignature/v1\ntime T\n` and the checkpoint text.
pub(crate) fn cosignature_message(timestamp: u64, checkpoint_text: &str) -> String {
    format!("cosignature/v1\ntime {timestamp}\n{checkpoint_text}")
}

#[cfg(feature = "write")]
/// Makes the cosignature/v1 signature line of `witness` over `checkpoint_text` at `timestamp`.
///
/// # Errors
/// [`NoteError::MalformedKey`] unless `witness` is a type 0x04 key, and
/// [`NoteError::Malformed`] if the timestamp exceeds 2^63 - 1.
pub fn cosign(
    witness: &SignerKey,
    checkpoint_text: &str,
    timestamp: u64,
) -> Result<NoteSignature, NoteError> {
    if witness.verifier.kind != KeyKind::CosignatureV1 {
        return Err(NoteError::MalformedKey("only type 0x04 keys make cosignatures"));
    }
    if timestamp > i64::MAX as u64 {
        return Err(NoteError::Malformed("cosignature timestamp exceeds 2^63 - 1"));
    }
    let raw = witness.sign_raw(cosignature_message(timestamp, checkpoint_text).as_bytes());
    let mut signature = Vec::with_capacity(72);
    signature.extend_from_slice(&timestamp.to_be_bytes());
    signature.extend_from_slice(&raw);
    Ok(NoteSignature { name: witness.verifier.name.clone(), key_id: witness.verifier.key_id, signature })
}

#[cfg(test)]
mod tests {
    use super::*;

    const PETER_VKEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    const PETER_SKEY: &str = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";

    #[test]
    fn keys_roundtrip() {
        let v = parse_verifier_key(PETER_VKEY).unwrap();
        assert_eq!(format_verifier_key(&v), PETER_VKEY);
        let s = parse_signer_key(PETER_SKEY).unwrap();
        assert_eq!(format_signer_key(&s), PETER_SKEY);
        assert_eq!(s.verifier, v);
        assert_eq!(format!("{s:?}"), "SignerKey(PeterNeumann+c74f20a3)");
    }

    #[test]
    fn every_substring_and_mutation_of_a_vkey_is_rejected() {
        for i in 0..PETER_VKEY.len() {
            for j in i..=PETER_VKEY.len() {
                if (i, j) == (0, PETER_VKEY.len()) {
                    continue;
                }
                assert!(parse_verifier_key(&PETER_VKEY[i..j]).is_err(), "{}", &PETER_VKEY[i..j]);
            }
        }
        let bytes = PETER_VKEY.as_bytes();
        for i in 0..bytes.len() {
            let mut m = bytes.to_vec();
            m[i] = m[i].wrapping_add(1);
            if let Ok(s) = String::from_utf8(m) {
                assert!(parse_verifier_key(&s).is_err(), "{s}");
            }
        }
    }

    #[test]
    fn cosignature_roundtrip() {
        let w = SignerKey::from_seed("witness.example/w1", KeyKind::CosignatureV1, &[9; 32]).unwrap();
        let text = "example.com/log\n1\nbjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0=\n";
        let log = SignerKey::from_seed("example.com/log", KeyKind::Ed25519, &[7; 32]).unwrap();
        let mut note = parse_note(sign_note(text, &[&log]).unwrap().as_bytes()).unwrap();
        note.signatures.push(cosign(&w, text, 1_700_000_000).unwrap());
        let reparsed = parse_note(format_note(&note).as_bytes()).unwrap();
        let vs = Verifiers::new(vec![log.verifier.clone(), w.verifier.clone()]).unwrap();
        let got = verify_note(&reparsed, &vs).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[1].timestamp, Some(1_700_000_000));
        // A cosignature made for another time does not verify.
        let mut bad = reparsed.clone();
        bad.signatures[1].signature[7] ^= 1;
        assert!(matches!(verify_note(&bad, &vs), Err(NoteError::InvalidSignature { .. })));
    }

    /// Regression (interop check against tlog-witness): a failing repeat of a trusted key's
    /// signature rejects the note wherever it stands; a valid repeat counts once.
    #[test]
    fn a_failing_repeated_signature_rejects_the_note_in_any_position() {
        let text = "example.com/log\n1\nbjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0=\n";
        let log = SignerKey::from_seed("example.com/log", KeyKind::Ed25519, &[7; 32]).unwrap();
        let note = parse_note(sign_note(text, &[&log]).unwrap().as_bytes()).unwrap();
        let vs = Verifiers::new(vec![log.verifier.clone()]).unwrap();
        let mut forged = note.signatures[0].clone();
        forged.signature = vec![0; 64];
        for sigs in [
            vec![note.signatures[0].clone(), forged.clone()],
            vec![forged.clone(), note.signatures[0].clone()],
        ] {
            let n = Note { signatures: sigs, ..note.clone() };
            let again = parse_note(format_note(&n).as_bytes()).unwrap();
            assert!(matches!(verify_note(&again, &vs), Err(NoteError::InvalidSignature { .. })));
        }
        let twice = Note { signatures: vec![note.signatures[0].clone(); 2], ..note.clone() };
        assert_eq!(verify_note(&twice, &vs).unwrap().len(), 1);
    }
}
