//! C2SP checkpoints: the signed statement of a log's size and root hash.
//!
//! SPEC: <https://c2sp.org/tlog-checkpoint>

use crate::hash::Hash;
use crate::note::{
    KeyKind, Note, NoteError, VerifiedSignature, VerifierKey, Verifiers, parse_note, verify_note,
};
use crate::policy::Policy;

/// The body of a checkpoint: origin, tree size, root hash and extension lines.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Checkpoint {
    /// The log's identity, conventionally a schema-less URL; by default it must equal the log
    /// key's name, unless the trust names another origin for that key.
    pub origin: String,
    /// Number of entries in the tree.
    pub size: u64,
    /// RFC 9162 root hash of the tree.
    pub root_hash: Hash,
    /// Opaque, non-empty extension lines after the root hash.
    pub extensions: Vec<String>,
}

/// Why a checkpoint was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CheckpointError {
    /// The checkpoint body or its note is not well-formed.
    #[error("malformed checkpoint: {0}")]
    Malformed(String),
    /// A signature by a trusted key does not verify.
    #[error("bad signature by {name}: the checkpoint was altered or forged")]
    BadSignature {
        /// `name+keyid` of the key.
        name: String,
    },
    /// No trusted log key signed the checkpoint.
    #[error("no signature by {}", wanted.join(", "))]
    NoTrustedSignature {
        /// The trusted log keys, as `name+keyid`.
        wanted: Vec<String>,
    },
    /// The checkpoint's origin is not the name of the log key that signed it.
    #[error("checkpoint origin {origin:?} is not the name of its log key {key}")]
    OriginMismatch {
        /// The origin line.
        origin: String,
        /// The log key, `name+keyid`.
        key: String,
    },
    /// The checkpoint's origin is not the origin the trust names for its log key.
    #[error("checkpoint origin {origin:?} is not the expected origin {expected:?} for log key {key}")]
    UnexpectedOrigin {
        /// The origin line.
        origin: String,
        /// The origin the trust names for this key.
        expected: String,
        /// The log key, `name+keyid`.
        key: String,
    },
    /// The witness cosignatures do not meet the policy's quorum.
    #[error("witness quorum not met: {quorum}; valid cosignatures from: {}", if cosigners.is_empty() { "none".to_owned() } else { cosigners.join(", ") })]
    QuorumNotMet {
        /// The quorum rule, described.
        quorum: String,
        /// Witnesses whose cosignatures verified.
        cosigners: Vec<String>,
    },
}

impl From<NoteError> for CheckpointError {
    fn from(e: NoteError) -> Self {
        match e {
            NoteError::InvalidSignature { name, key_id } => {
                CheckpointError::BadSignature { name: format!("{name}+{key_id:08x}") }
            }
            NoteError::NoTrustedSignature { wanted } => CheckpointError::NoTrustedSignature { wanted },
            other => CheckpointError::Malformed(other.to_string()),
        }
    }
}

/// Parses a canonical ASCII decimal: digits only, no sign, no leading zeros, fits in u64.
pub(crate) fn parse_decimal(s: &str) -> Option<u64> {
    if s.is_empty() || s.len() > 20 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if s.len() > 1 && s.starts_with('0') {
        return None;
    }
    s.parse().ok()
}

/// Parses a checkpoint body (the note text, without signatures).
///
/// # Errors
/// [`CheckpointError::Malformed`] if a line is missing, the origin is empty, the size is not a
/// canonical decimal (no leading zeros), the root is not base64 of 32 bytes, an extension
/// line is empty, or the text does not end in a newline.
pub fn parse_checkpoint(text: &str) -> Result<Checkpoint, CheckpointError> {
    let malformed = |s: &str| CheckpointError::Malformed(s.to_owned());
    let body = text.strip_suffix('\n').ok_or_else(|| malformed("checkpoint does not end in a newline"))?;
    let mut lines = body.split('\n');
    let origin = lines.next().unwrap_or_default();
    if origin.is_empty() {
        return Err(malformed("origin line is empty"));
    }
    let size = lines.next().ok_or_else(|| malformed("no tree size line"))?;
    let size = parse_decimal(size)
        .ok_or_else(|| malformed("tree size is not a decimal number without leading zeros"))?;
    let root = lines.next().ok_or_else(|| malformed("no root hash line"))?;
    let root_hash = Hash::parse_base64(root).map_err(|e| malformed(&format!("root hash: {e}")))?;
    let mut extensions = Vec::new();
    for line in lines {
        if line.is_empty() {
            return Err(malformed("empty extension line"));
        }
        extensions.push(line.to_owned());
    }
    Ok(Checkpoint { origin: origin.to_owned(), size, root_hash, extensions })
}

#[cfg_attr(not(feature = "write"), allow(unreachable_pub))] // compact bundles rebuild text with it
/// Formats a checkpoint body, ready to be signed as a note.
pub fn format_checkpoint(c: &Checkpoint) -> String {
    let mut out = format!("{}\n{}\n{}\n", c.origin, c.size, c.root_hash.to_base64());
    for e in &c.extensions {
        out.push_str(e);
        out.push('\n');
    }
    out
}

/// A checkpoint whose log signature (and, under a policy, witness quorum) verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedCheckpoint {
    /// The checkpoint body.
    pub checkpoint: Checkpoint,
    /// The signed note it came from.
    pub note: Note,
    /// The log key that signed it, `name+keyid`.
    pub log_key: String,
    /// Cosignatures by trusted witnesses that verified.
    pub cosignatures: Vec<VerifiedSignature>,
}

/// Verifies a signed checkpoint against one log key.
///
/// Witness cosignatures are not required; see [`verify_checkpoint_with_policy`].
///
/// # Errors
/// [`CheckpointError::Malformed`], [`CheckpointError::NoTrustedSignature`] (with the key's
/// `name+keyid`), [`CheckpointError::BadSignature`], or [`CheckpointError::OriginMismatch`].
pub fn verify_checkpoint(
    signed: &[u8],
    log_key: &VerifierKey,
) -> Result<VerifiedCheckpoint, CheckpointError> {
    verify_checkpoint_for_origin(signed, log_key, None)
}

/// Verifies a signed checkpoint against one log key whose log may use an origin other than
/// the key's name (Go's checksum database: origin `go.sum database tree`, key `sum.golang.org`).
///
/// `origin` is the origin the caller trusts for this key; `None` means the key's name (the
/// strict default of [`verify_checkpoint`]). Either way exactly one origin is accepted.
///
/// # Errors
/// As [`verify_checkpoint`]; with an explicit `origin`, a different origin line is
/// [`CheckpointError::UnexpectedOrigin`] instead of [`CheckpointError::OriginMismatch`].
pub fn verify_checkpoint_for_origin(
    signed: &[u8],
    log_key: &VerifierKey,
    origin: Option<&str>,
) -> Result<VerifiedCheckpoint, CheckpointError> {
    if log_key.kind != KeyKind::Ed25519 {
        return Err(CheckpointError::Malformed(format!(
            "{} is a witness (cosignature) key, not a log key",
            log_key.label()
        )));
    }
    let note = parse_note(signed)?;
    // Only `log_key` is trusted, so an AmbiguousKey error cannot occur.
    let verifiers = Verifiers::new(vec![log_key.clone()])?;
    verify_note(&note, &verifiers)?;
    let checkpoint = parse_checkpoint(&note.text)?;
    match origin {
        None if checkpoint.origin != log_key.name => {
            return Err(CheckpointError::OriginMismatch { origin: checkpoint.origin, key: log_key.label() });
        }
        Some(expected) if checkpoint.origin != expected => {
            return Err(CheckpointError::UnexpectedOrigin {
                origin: checkpoint.origin,
                expected: expected.to_owned(),
                key: log_key.label(),
            });
        }
        _ => {}
    }
    Ok(VerifiedCheckpoint { checkpoint, note, log_key: log_key.label(), cosignatures: Vec::new() })
}

/// Verifies a signed checkpoint under a C2SP tlog-policy: signed by one of its logs, and
/// cosigned by witnesses meeting its quorum.
///
/// # Errors
/// As [`verify_checkpoint`], plus [`CheckpointError::QuorumNotMet`].
pub fn verify_checkpoint_with_policy(
    signed: &[u8],
    policy: &Policy,
) -> Result<VerifiedCheckpoint, CheckpointError> {
    let note = parse_note(signed)?;
    let mut keys: Vec<VerifierKey> = policy.logs.iter().map(|l| l.key.clone()).collect();
    keys.extend(policy.witnesses.iter().map(|w| w.key.clone()));
    let verifiers = Verifiers::new(keys)?;
    let verified = match verify_note(&note, &verifiers) {
        Err(NoteError::NoTrustedSignature { .. }) => {
            return Err(CheckpointError::NoTrustedSignature {
                wanted: policy.logs.iter().map(|l| l.key.label()).collect(),
            });
        }
        other => other?,
    };
    let checkpoint = parse_checkpoint(&note.text)?;
    // Prefer the log whose key name is the origin; any other log signature is a mismatch.
    let log_sigs: Vec<&VerifiedSignature> = verified.iter().filter(|v| v.kind == KeyKind::Ed25519).collect();
    let log_sig =
        log_sigs.iter().find(|v| v.name == checkpoint.origin).or_else(|| log_sigs.first()).ok_or_else(
            || CheckpointError::NoTrustedSignature {
                wanted: policy.logs.iter().map(|l| l.key.label()).collect(),
            },
        )?;
    let log_key = format!("{}+{:08x}", log_sig.name, log_sig.key_id);
    if checkpoint.origin != log_sig.name {
        return Err(CheckpointError::OriginMismatch { origin: checkpoint.origin, key: log_key });
    }
    let cosignatures: Vec<VerifiedSignature> =
        verified.into_iter().filter(|v| v.kind == KeyKind::CosignatureV1).collect();
    let cosigners: Vec<&str> =
        cosignatures.iter().filter_map(|c| policy.witness_named_by_key(&c.name, c.key_id)).collect();
    if !policy.quorum_met(&cosigners) {
        return Err(CheckpointError::QuorumNotMet {
            quorum: policy.describe_quorum(),
            cosigners: cosigners.iter().map(|s| (*s).to_owned()).collect(),
        });
    }
    Ok(VerifiedCheckpoint { checkpoint, note, log_key, cosignatures })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_format_roundtrip() {
        let text = "Log\n9944\ndGhlIHZpZXcgZnJvbSB0aGUgdHJlZSB0b3BzIGlzIGdyZWF0IQ==\n";
        // 37-byte root: malformed for SHA-256 logs.
        assert!(parse_checkpoint(text).is_err());
        let text = "example.com/log\n123\nbjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0=\nlots\nof\nlines\n";
        let c = parse_checkpoint(text).unwrap();
        assert_eq!(c.size, 123);
        assert_eq!(c.extensions, ["lots", "of", "lines"]);
        assert_eq!(format_checkpoint(&c), text);
    }

    #[test]
    fn rejects_noncanonical_sizes() {
        for size in ["0123", "-1", "+1", "", "1 ", "18446744073709551616", "0x10"] {
            let text = format!("o\n{size}\nbjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0=\n");
            assert!(parse_checkpoint(&text).is_err(), "{size:?}");
        }
        assert_eq!(parse_decimal("0"), Some(0));
        assert_eq!(parse_decimal("18446744073709551615"), Some(u64::MAX));
    }

    mod policy {
        use super::super::*;
        use crate::note::{SignerKey, cosign, format_note, format_verifier_key, sign_note};
        use crate::policy::parse_policy;

        fn key(name: &str, kind: KeyKind, seed: u8) -> SignerKey {
            SignerKey::from_seed(name, kind, &[seed; 32]).unwrap()
        }

        /// A checkpoint by `log`, cosigned by `witnesses` (a cosigner with `bad` is corrupted).
        fn note(log: &SignerKey, origin: &str, witnesses: &[&SignerKey], bad: Option<usize>) -> Vec<u8> {
            let text = format!("{origin}\n3\n{}\n", Hash::EMPTY_TREE.to_base64());
            let mut n = parse_note(sign_note(&text, &[log]).unwrap().as_bytes()).unwrap();
            for (i, w) in witnesses.iter().enumerate() {
                let mut sig = cosign(w, &text, 1_800_000_000 + i as u64).unwrap();
                if bad == Some(i) {
                    sig.signature[20] ^= 1;
                }
                n.signatures.push(sig);
            }
            format_note(&n).into_bytes()
        }

        #[test]
        fn quorum_rules() {
            let log = key("example.com/log", KeyKind::Ed25519, 1);
            let ws: Vec<SignerKey> =
                (0..3).map(|i| key(&format!("w{i}.example"), KeyKind::CosignatureV1, 10 + i)).collect();
            let stranger = key("w9.example", KeyKind::CosignatureV1, 99);
            let p = parse_policy(
                format!(
                    "log {}\nwitness A {}\nwitness B {}\nwitness C {}\ngroup G 2 A B C\nquorum G\n",
                    format_verifier_key(&log.verifier),
                    format_verifier_key(&ws[0].verifier),
                    format_verifier_key(&ws[1].verifier),
                    format_verifier_key(&ws[2].verifier)
                )
                .as_bytes(),
            )
            .unwrap();
            let o = "example.com/log";
            let v = verify_checkpoint_with_policy(&note(&log, o, &[&ws[0], &ws[2]], None), &p).unwrap();
            assert_eq!(v.cosignatures.len(), 2);
            // One witness twice, plus a stranger: still one cosigner, quorum not met.
            let e = verify_checkpoint_with_policy(&note(&log, o, &[&ws[1], &ws[1], &stranger], None), &p);
            assert!(
                matches!(e, Err(CheckpointError::QuorumNotMet { ref cosigners, .. }) if cosigners == &["B"]),
                "{e:?}"
            );
            // A corrupted cosignature by a policy witness rejects the checkpoint outright.
            let e = verify_checkpoint_with_policy(&note(&log, o, &[&ws[0], &ws[1]], Some(1)), &p);
            assert!(matches!(e, Err(CheckpointError::BadSignature { .. })), "{e:?}");
            // Witness cosignatures alone are not a log signature.
            let other_log = key("example.com/log", KeyKind::Ed25519, 2);
            let e =
                verify_checkpoint_with_policy(&note(&other_log, o, &ws.iter().collect::<Vec<_>>(), None), &p);
            assert!(matches!(e, Err(CheckpointError::NoTrustedSignature { .. })), "{e:?}");
            // The log key's name must be the origin.
            let e =
                verify_checkpoint_with_policy(&note(&log, "example.com/other", &[&ws[0], &ws[1]], None), &p);
            assert!(matches!(e, Err(CheckpointError::OriginMismatch { .. })), "{e:?}");
            let e = verify_checkpoint(&note(&log, "example.com/other", &[], None), &log.verifier);
            assert!(matches!(e, Err(CheckpointError::OriginMismatch { .. })), "{e:?}");
        }

        /// Go's checksum database: origin `go.sum database tree`, key `sum.golang.org`. The
        /// repository holds no signed sum.golang.org checkpoint, so a key of that name is made here.
        #[test]
        fn origin_other_than_key_name() {
            let log = key("sum.golang.org", KeyKind::Ed25519, 7);
            let go = "go.sum database tree";
            let signed = note(&log, go, &[], None);
            // Strict default: the origin must be the key's name, with the old message.
            let e = verify_checkpoint(&signed, &log.verifier).unwrap_err();
            assert!(matches!(e, CheckpointError::OriginMismatch { .. }), "{e:?}");
            assert!(e.to_string().contains("is not the name of its log key sum.golang.org+"), "{e}");
            assert_eq!(verify_checkpoint_for_origin(&signed, &log.verifier, None).unwrap_err(), e);
            // The trusted origin given explicitly: accepted.
            let v = verify_checkpoint_for_origin(&signed, &log.verifier, Some(go)).unwrap();
            assert_eq!(v.checkpoint.origin, go);
            // Another origin given: refused, naming both.
            let e = verify_checkpoint_for_origin(&signed, &log.verifier, Some("go.sum database tree2"))
                .unwrap_err();
            assert!(matches!(e, CheckpointError::UnexpectedOrigin { .. }), "{e:?}");
            let m = e.to_string();
            assert!(m.contains("\"go.sum database tree\"") && m.contains("\"go.sum database tree2\""), "{m}");
            // An explicit origin replaces the key-name rule: a checkpoint whose origin is the key's
            // name is refused when another origin was given.
            let named = note(&log, "sum.golang.org", &[], None);
            assert!(verify_checkpoint(&named, &log.verifier).is_ok());
            let e = verify_checkpoint_for_origin(&named, &log.verifier, Some(go)).unwrap_err();
            assert!(matches!(e, CheckpointError::UnexpectedOrigin { .. }), "{e:?}");
            // The signature still counts first: a different key signing the right origin fails.
            let other = key("sum.golang.org", KeyKind::Ed25519, 8);
            let e = verify_checkpoint_for_origin(&note(&other, go, &[], None), &log.verifier, Some(go));
            assert!(matches!(e, Err(CheckpointError::NoTrustedSignature { .. })), "{e:?}");
        }
    }
}
