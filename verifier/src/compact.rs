//! Compact bundles: a credential bundle as deterministic CBOR, written as decimal digits in
//! QR codes and links (`SITE#c1=<digits>`) or as base64url (`SITE#c1u=…`, shorter text).
//!
//! Format: `docs/formats.md` ("Compact bundles"); reasons and measurements:
//! `docs/design/0012-compact-bundles.md`. The compact form carries exactly what offline
//! verification needs and leaves out what is constant or recomputed: the VC constants, the
//! claim root (from the disclosed claims and their multi-proof) and the checkpoint's root hash
//! (from the entry and its inclusion proof). Decoding rebuilds an ordinary [`Bundle`] with the
//! byte-exact tlog-proof and checkpoint text, so both forms go through [`crate::check_bundle`].
//! A wrong recomputed root is not a weaker check: the log's signature over the rebuilt
//! checkpoint then fails.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use minicbor::data::Type;

use crate::checkpoint::{Checkpoint, format_checkpoint, parse_checkpoint, parse_decimal};
use crate::credential::{
    BUNDLE_FORMAT, Bundle, Credential, CredentialStatus, DisclosedClaim, Disclosure, MAX_CLAIMS, VC_CONTEXT,
    claim_leaf, format_time, parse_time,
};
use crate::hash::{HASH_SIZE, Hash, leaf_hash};
use crate::merkle::{root_from_inclusion_proof, root_from_multiproof};
use crate::note::{MAX_SIGNATURES, Note, NoteSignature, format_note, is_valid_key_name, parse_note};
use crate::tlog_proof::{MAX_PROOF_HASHES, TlogProof, format_tlog_proof, parse_tlog_proof};

/// The fragment key of a compact bundle in a link: `SITE#c1=<digits>`. The `1` is the
/// version of the whole compact form (binary layout and text encoding).
pub const COMPACT_LINK_KEY: &str = "c1";
/// The fragment key of the older JSON form: `SITE#bundle=<base64url(bundle JSON)>`.
pub const JSON_LINK_KEY: &str = "bundle";
/// The fragment key of a compact bundle written in base64url (shorter text, larger QR code):
/// `SITE#c1u=<base64url>`.
pub const COMPACT_LINK_KEY_BASE64URL: &str = "c1u";
/// Largest compact bundle (CBOR) accepted. Why: the largest QR code holds under 3 KB; a
/// bundle of 256 claims is not shared by link.
pub const MAX_COMPACT_SIZE: usize = 64 << 10;
/// Largest compact text (digits) accepted: 17 digits per 7 bytes of the largest bundle.
pub const MAX_COMPACT_TEXT: usize = MAX_COMPACT_SIZE.div_ceil(7) * 17;

// CBOR map keys, in the order they must appear (formats.md, "Compact bundles").
const K_ISSUER: u64 = 1;
const K_TYPE: u64 = 2;
const K_VALID_FROM: u64 = 3;
const K_VALID_UNTIL: u64 = 4;
const K_STATUS_INDEX: u64 = 5;
const K_CLAIMS_COUNT: u64 = 6;
const K_CLAIMS: u64 = 7;
const K_CLAIMS_ROOT: u64 = 8;
const K_CLAIMS_PROOF: u64 = 9;
const K_INDEX: u64 = 10;
const K_SIZE: u64 = 11;
const K_ROOT: u64 = 12;
const K_INCLUSION: u64 = 13;
const K_ORIGIN: u64 = 14;
const K_EXTENSIONS: u64 = 15;
const K_SIGNATURES: u64 = 16;

/// Why a compact bundle could not be read, or a bundle could not be written compactly.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CompactError {
    /// The text is not the compact digit encoding.
    #[error("compact bundle text: {0}")]
    Text(String),
    /// Larger than [`MAX_COMPACT_SIZE`].
    #[error("compact bundle is larger than 64 KiB: not a bundle")]
    TooLarge,
    /// The CBOR is malformed, lacks a field or has a field of the wrong type.
    #[error("compact bundle CBOR: {0}")]
    Cbor(String),
    /// The fields do not rebuild a bundle (a proof of the wrong length, an index outside the tree).
    #[error("compact bundle does not rebuild a bundle: {0}")]
    Rebuild(String),
    /// Well-formed, but not the one deterministic encoding of the bundle it holds.
    #[error(
        "compact bundle is not in canonical form (a field is encoded differently from how the writer encodes it): altered or not made by ledgerless"
    )]
    NotCanonical,
    /// The bundle has something the compact form cannot carry exactly.
    #[error("this bundle cannot be written in compact form: {0}; share its JSON form instead")]
    NotRepresentable(String),
    /// A link carries no bundle.
    #[error("{0}")]
    Link(String),
}

fn cbor_err(e: minicbor::decode::Error) -> CompactError {
    CompactError::Cbor(e.to_string())
}

// ---------------------------------------------------------------------------------------
// Bundle <-> CBOR

/// The fields a compact bundle stores: taken from a bundle, or read from CBOR.
#[derive(Debug, Default, PartialEq, Eq)]
struct Fields {
    issuer: String,
    credential_type: String,
    valid_from: Option<Date>,
    valid_until: Option<Date>,
    status_index: u64,
    claims_count: u64,
    /// (name, value, salt, index), in name order.
    claims: Vec<(String, String, [u8; 16], u64)>,
    /// Present when no claim is disclosed or the claims and multi-proof give another root.
    claims_root: Option<Hash>,
    claims_proof: Vec<Hash>,
    index: u64,
    size: u64,
    /// Present when the entry and inclusion proof give another root (or none).
    root: Option<Hash>,
    inclusion: Vec<Hash>,
    origin: Option<String>,
    extensions: Vec<String>,
    signatures: Vec<NoteSignature>,
}

/// A validity date: POSIX seconds when that formats back to the exact string, else the text.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Date {
    Unix(i64),
    Text(String),
}

impl Date {
    fn of(s: &str) -> Date {
        match parse_time(s) {
            Ok(t) if format_time(t) == s => Date::Unix(t),
            _ => Date::Text(s.to_owned()),
        }
    }

    fn text(&self) -> String {
        match self {
            Date::Unix(t) => format_time(*t),
            Date::Text(s) => s.clone(),
        }
    }
}

/// Splits a bundle into the compact fields, refusing what the compact form cannot carry.
fn fields_of(b: &Bundle) -> Result<Fields, CompactError> {
    let nr = |s: String| CompactError::NotRepresentable(s);
    let entry = b.entry().map_err(|e| nr(e.to_string()))?;
    let c = &b.credential;
    let d = &b.disclosure;
    let status_index = parse_decimal(&c.credential_status.status_list_index)
        .ok_or_else(|| nr("statusListIndex is not a decimal number".to_owned()))?;
    if d.claims_count > MAX_CLAIMS as u64 {
        return Err(nr(format!("claimsCount {} is more than {MAX_CLAIMS}", d.claims_count)));
    }
    if d.claims.len() != c.credential_subject.len() {
        return Err(nr("credentialSubject and the disclosure name different claims".to_owned()));
    }
    let mut claims = Vec::with_capacity(d.claims.len());
    for (claim, (name, value)) in d.claims.iter().zip(&c.credential_subject) {
        if claim.name != *name {
            return Err(nr("credentialSubject and the disclosure name different claims".to_owned()));
        }
        let salt: [u8; 16] = STANDARD
            .decode(&claim.salt)
            .ok()
            .and_then(|s| s.try_into().ok())
            .filter(|s: &[u8; 16]| STANDARD.encode(s) == claim.salt)
            .ok_or_else(|| nr(format!("the salt of {name:?} is not canonical base64 of 16 bytes")))?;
        claims.push((name.clone(), value.clone(), salt, claim.index));
    }
    // The claim root is left out when the disclosed claims and multi-proof give it; kept
    // otherwise (nothing disclosed, or a bundle that will fail its Claims check).
    let claims_root = if claims.is_empty() {
        Some(d.claims_root)
    } else {
        let (indices, leaves) = claim_leaves(&claims)?;
        match root_from_multiproof(&indices, d.claims_count, &leaves, &d.proof) {
            Ok(root) if root == d.claims_root => None,
            _ => Some(d.claims_root),
        }
    };
    let proof = parse_tlog_proof(b.tlog_proof.as_bytes()).map_err(|e| nr(e.to_string()))?;
    if proof.extra.is_some() {
        return Err(nr("its tlog-proof has extra data, which nothing authenticates".to_owned()));
    }
    let note = parse_note(proof.checkpoint.as_bytes()).map_err(|e| nr(e.to_string()))?;
    let cp = parse_checkpoint(&note.text).map_err(|e| nr(e.to_string()))?;
    let derived = root_from_inclusion_proof(proof.index, cp.size, &leaf_hash(&entry), &proof.hashes);
    let root = (derived.ok() != Some(cp.root_hash)).then_some(cp.root_hash);
    Ok(Fields {
        issuer: c.issuer.clone(),
        credential_type: b.credential_type().to_owned(),
        valid_from: c.valid_from.as_deref().map(Date::of),
        valid_until: c.valid_until.as_deref().map(Date::of),
        status_index,
        claims_count: d.claims_count,
        claims,
        claims_root,
        claims_proof: d.proof.clone(),
        index: proof.index,
        size: cp.size,
        root,
        inclusion: proof.hashes,
        origin: (cp.origin != c.issuer).then_some(cp.origin),
        extensions: cp.extensions,
        signatures: note.signatures,
    })
}

/// The claim-tree indices and leaf hashes of the disclosed claims.
fn claim_leaves(claims: &[(String, String, [u8; 16], u64)]) -> Result<(Vec<u64>, Vec<Hash>), CompactError> {
    let mut indices = Vec::with_capacity(claims.len());
    let mut leaves = Vec::with_capacity(claims.len());
    for (name, value, salt, index) in claims {
        indices.push(*index);
        leaves.push(
            claim_leaf(name, &STANDARD.encode(salt), value)
                .map_err(|e| CompactError::Rebuild(e.to_string()))?,
        );
    }
    Ok((indices, leaves))
}

/// Rebuilds the bundle from its compact fields: the claim root, the entry, the checkpoint's
/// root hash, the checkpoint note and the tlog-proof text.
fn bundle_of(f: Fields) -> Result<Bundle, CompactError> {
    let rebuild = |s: String| CompactError::Rebuild(s);
    let claims_root = match f.claims_root {
        Some(root) => root,
        None => {
            let (indices, leaves) = claim_leaves(&f.claims)?;
            root_from_multiproof(&indices, f.claims_count, &leaves, &f.claims_proof)
                .map_err(|e| rebuild(format!("the claims and their multi-proof: {e}")))?
        }
    };
    let mut bundle = Bundle {
        format: BUNDLE_FORMAT.to_owned(),
        credential: Credential {
            context: vec![VC_CONTEXT.to_owned()],
            types: vec!["VerifiableCredential".to_owned(), f.credential_type],
            issuer: f.issuer,
            valid_from: f.valid_from.as_ref().map(Date::text),
            valid_until: f.valid_until.as_ref().map(Date::text),
            credential_subject: f.claims.iter().map(|(n, v, _, _)| (n.clone(), v.clone())).collect(),
            credential_status: CredentialStatus::revocation(f.status_index),
        },
        disclosure: Disclosure {
            claims_root,
            claims_count: f.claims_count,
            claims: f
                .claims
                .iter()
                .map(|(name, _, salt, index)| DisclosedClaim {
                    name: name.clone(),
                    salt: STANDARD.encode(salt),
                    index: *index,
                })
                .collect(),
            proof: f.claims_proof,
        },
        tlog_proof: String::new(),
    };
    if bundle.credential.credential_subject.len() != f.claims.len() {
        return Err(rebuild("a claim name appears twice".to_owned()));
    }
    let entry = bundle.entry().map_err(|e| rebuild(e.to_string()))?;
    let root_hash = match f.root {
        Some(root) => root,
        None => root_from_inclusion_proof(f.index, f.size, &leaf_hash(&entry), &f.inclusion)
            .map_err(|e| rebuild(format!("the inclusion proof: {e}")))?,
    };
    let checkpoint = format_checkpoint(&Checkpoint {
        origin: f.origin.unwrap_or_else(|| bundle.credential.issuer.clone()),
        size: f.size,
        root_hash,
        extensions: f.extensions,
    });
    let note = format_note(&Note { text: checkpoint, signatures: f.signatures });
    bundle.tlog_proof =
        format_tlog_proof(&TlogProof { extra: None, index: f.index, hashes: f.inclusion, checkpoint: note });
    Ok(bundle)
}

type Enc = minicbor::Encoder<Vec<u8>>;
type EncResult = Result<(), minicbor::encode::Error<core::convert::Infallible>>;

fn hashes_bytes(hashes: &[Hash]) -> Vec<u8> {
    hashes.iter().flat_map(|h| h.0).collect()
}

fn encode_date(e: &mut Enc, d: &Date) -> EncResult {
    match d {
        Date::Unix(t) => e.i64(*t).map(drop),
        Date::Text(s) => e.str(s).map(drop),
    }
}

fn fields_to_cbor(f: &Fields) -> Vec<u8> {
    let mut e = Enc::new(Vec::new());
    // Writing to a Vec cannot fail (its error type is Infallible).
    let _: EncResult = write_fields(&mut e, f);
    e.into_writer()
}

/// The deterministic CBOR of the fields: a definite-length map with integer keys in
/// increasing order, absent optional fields left out, shortest integer encodings.
fn write_fields(e: &mut Enc, f: &Fields) -> EncResult {
    let present = [
        true,
        true,
        f.valid_from.is_some(),
        f.valid_until.is_some(),
        true,
        true,
        !f.claims.is_empty(),
        f.claims_root.is_some(),
        !f.claims_proof.is_empty(),
        true,
        true,
        f.root.is_some(),
        !f.inclusion.is_empty(),
        f.origin.is_some(),
        !f.extensions.is_empty(),
        true,
    ];
    e.map(present.iter().filter(|p| **p).count() as u64)?;
    e.u64(K_ISSUER)?.str(&f.issuer)?;
    e.u64(K_TYPE)?.str(&f.credential_type)?;
    if let Some(d) = &f.valid_from {
        e.u64(K_VALID_FROM)?;
        encode_date(e, d)?;
    }
    if let Some(d) = &f.valid_until {
        e.u64(K_VALID_UNTIL)?;
        encode_date(e, d)?;
    }
    e.u64(K_STATUS_INDEX)?.u64(f.status_index)?;
    e.u64(K_CLAIMS_COUNT)?.u64(f.claims_count)?;
    if !f.claims.is_empty() {
        e.u64(K_CLAIMS)?.array(f.claims.len() as u64)?;
        for (name, value, salt, index) in &f.claims {
            e.array(4)?.str(name)?.str(value)?.bytes(salt)?.u64(*index)?;
        }
    }
    if let Some(root) = &f.claims_root {
        e.u64(K_CLAIMS_ROOT)?.bytes(&root.0)?;
    }
    if !f.claims_proof.is_empty() {
        e.u64(K_CLAIMS_PROOF)?.bytes(&hashes_bytes(&f.claims_proof))?;
    }
    e.u64(K_INDEX)?.u64(f.index)?;
    e.u64(K_SIZE)?.u64(f.size)?;
    if let Some(root) = &f.root {
        e.u64(K_ROOT)?.bytes(&root.0)?;
    }
    if !f.inclusion.is_empty() {
        e.u64(K_INCLUSION)?.bytes(&hashes_bytes(&f.inclusion))?;
    }
    if let Some(origin) = &f.origin {
        e.u64(K_ORIGIN)?.str(origin)?;
    }
    if !f.extensions.is_empty() {
        e.u64(K_EXTENSIONS)?.array(f.extensions.len() as u64)?;
        for x in &f.extensions {
            e.str(x)?;
        }
    }
    e.u64(K_SIGNATURES)?.array(f.signatures.len() as u64)?;
    let origin = f.origin.as_deref().unwrap_or(&f.issuer);
    for s in &f.signatures {
        if s.name == origin {
            e.array(2)?;
        } else {
            e.array(3)?.str(&s.name)?;
        }
        e.u32(s.key_id)?.bytes(&s.signature)?;
    }
    Ok(())
}

/// Reads a definite length, bounded by `max`.
fn definite(len: Option<u64>, max: usize, what: &str) -> Result<usize, CompactError> {
    let n = len.ok_or_else(|| CompactError::Cbor(format!("{what} has an indefinite length")))?;
    usize::try_from(n)
        .ok()
        .filter(|n| *n <= max)
        .ok_or_else(|| CompactError::Cbor(format!("{what} has {n} items, more than {max}")))
}

fn read_hashes(d: &mut minicbor::Decoder<'_>, max: usize, what: &str) -> Result<Vec<Hash>, CompactError> {
    let bytes = d.bytes().map_err(cbor_err)?;
    if bytes.len() % HASH_SIZE != 0 || bytes.is_empty() || bytes.len() / HASH_SIZE > max {
        return Err(CompactError::Cbor(format!(
            "{what} is {} bytes, not 1 to {max} hashes of 32 bytes",
            bytes.len()
        )));
    }
    Ok(bytes.chunks_exact(HASH_SIZE).filter_map(Hash::from_slice).collect())
}

fn read_date(d: &mut minicbor::Decoder<'_>) -> Result<Date, CompactError> {
    match d.datatype().map_err(cbor_err)? {
        Type::String => Ok(Date::Text(d.str().map_err(cbor_err)?.to_owned())),
        _ => Ok(Date::Unix(d.i64().map_err(cbor_err)?)),
    }
}

fn read_fields(cbor: &[u8]) -> Result<Fields, CompactError> {
    let bad = |s: &str| CompactError::Cbor(s.to_owned());
    let mut d = minicbor::Decoder::new(cbor);
    let n = definite(d.map().map_err(cbor_err)?, K_SIGNATURES as usize, "the top-level map")?;
    let mut f = Fields::default();
    let mut last = 0;
    let mut seen = [false; K_SIGNATURES as usize + 1];
    for _ in 0..n {
        let key = d.u64().map_err(cbor_err)?;
        if key <= last || key > K_SIGNATURES {
            return Err(CompactError::Cbor(format!("map key {key} is unknown or out of order")));
        }
        last = key;
        seen[key as usize] = true;
        match key {
            K_ISSUER => f.issuer = d.str().map_err(cbor_err)?.to_owned(),
            K_TYPE => f.credential_type = d.str().map_err(cbor_err)?.to_owned(),
            K_VALID_FROM => f.valid_from = Some(read_date(&mut d)?),
            K_VALID_UNTIL => f.valid_until = Some(read_date(&mut d)?),
            K_STATUS_INDEX => f.status_index = d.u64().map_err(cbor_err)?,
            K_CLAIMS_COUNT => {
                f.claims_count = d.u64().map_err(cbor_err)?;
                if f.claims_count > MAX_CLAIMS as u64 {
                    return Err(bad("the claims count is more than 256"));
                }
            }
            K_CLAIMS => {
                let n = definite(d.array().map_err(cbor_err)?, MAX_CLAIMS, "the claims")?;
                for _ in 0..n {
                    if definite(d.array().map_err(cbor_err)?, 4, "a claim")? != 4 {
                        return Err(bad("a claim is not [name, value, salt, index]"));
                    }
                    let name = d.str().map_err(cbor_err)?.to_owned();
                    let value = d.str().map_err(cbor_err)?.to_owned();
                    let salt = <[u8; 16]>::try_from(d.bytes().map_err(cbor_err)?)
                        .map_err(|_| bad("a claim's salt is not 16 bytes"))?;
                    let index = d.u64().map_err(cbor_err)?;
                    f.claims.push((name, value, salt, index));
                }
            }
            K_CLAIMS_ROOT => {
                f.claims_root = Some(
                    Hash::from_slice(d.bytes().map_err(cbor_err)?)
                        .ok_or_else(|| bad("the claims root is not 32 bytes"))?,
                );
            }
            K_CLAIMS_PROOF => f.claims_proof = read_hashes(&mut d, MAX_CLAIMS, "the claims' multi-proof")?,
            K_INDEX => f.index = d.u64().map_err(cbor_err)?,
            K_SIZE => f.size = d.u64().map_err(cbor_err)?,
            K_ROOT => {
                f.root = Some(
                    Hash::from_slice(d.bytes().map_err(cbor_err)?)
                        .ok_or_else(|| bad("the checkpoint root is not 32 bytes"))?,
                );
            }
            K_INCLUSION => f.inclusion = read_hashes(&mut d, MAX_PROOF_HASHES, "the inclusion proof")?,
            K_ORIGIN => f.origin = Some(d.str().map_err(cbor_err)?.to_owned()),
            K_EXTENSIONS => {
                let n = definite(d.array().map_err(cbor_err)?, 64, "the checkpoint extensions")?;
                for _ in 0..n {
                    f.extensions.push(d.str().map_err(cbor_err)?.to_owned());
                }
            }
            K_SIGNATURES => {
                let n = definite(d.array().map_err(cbor_err)?, MAX_SIGNATURES, "the signatures")?;
                for _ in 0..n {
                    let parts = definite(d.array().map_err(cbor_err)?, 3, "a signature")?;
                    let name = match parts {
                        2 => None,
                        3 => Some(d.str().map_err(cbor_err)?.to_owned()),
                        _ => return Err(bad("a signature is not [name,] key ID, bytes")),
                    };
                    let key_id = d.u32().map_err(cbor_err)?;
                    let signature = d.bytes().map_err(cbor_err)?.to_vec();
                    // The origin is known only once the map is read: fill in below.
                    if name.as_deref() == Some("") {
                        return Err(bad("a signature's key name is empty"));
                    }
                    f.signatures.push(NoteSignature { name: name.unwrap_or_default(), key_id, signature });
                }
            }
            _ => return Err(CompactError::Cbor(format!("map key {key} is unknown"))),
        }
    }
    if d.position() != cbor.len() {
        return Err(bad("data after the end of the bundle"));
    }
    for (key, what) in [
        (K_ISSUER, "issuer"),
        (K_TYPE, "credential type"),
        (K_STATUS_INDEX, "status index"),
        (K_CLAIMS_COUNT, "claims count"),
        (K_INDEX, "log index"),
        (K_SIZE, "tree size"),
        (K_SIGNATURES, "signatures"),
    ] {
        if !seen[key as usize] {
            return Err(CompactError::Cbor(format!("no {what} (key {key})")));
        }
    }
    if f.claims.is_empty() && f.claims_root.is_none() {
        return Err(bad("no claim is disclosed and there is no claims root (key 8)"));
    }
    let origin = f.origin.clone().unwrap_or_else(|| f.issuer.clone());
    for s in &mut f.signatures {
        if s.name.is_empty() {
            s.name.clone_from(&origin);
        }
        if !is_valid_key_name(&s.name) || s.signature.is_empty() {
            return Err(bad("a signature has an invalid key name or no bytes"));
        }
    }
    Ok(f)
}

// ---------------------------------------------------------------------------------------
// Binary

/// Encodes a bundle in the compact binary form: its deterministic CBOR.
///
/// # Errors
/// [`CompactError::NotRepresentable`] if the bundle has anything the compact form cannot
/// carry exactly (fixed fields with other values, a non-canonical salt or status index,
/// unauthenticated extra data in its tlog-proof); the bundle decoded from the output always
/// equals the input.
#[cfg_attr(not(feature = "write"), allow(dead_code, unreachable_pub))]
pub fn encode_compact(bundle: &Bundle) -> Result<Vec<u8>, CompactError> {
    let cbor = fields_to_cbor(&fields_of(bundle)?);
    match decode_compact(&cbor) {
        Ok(back) if back == *bundle => Ok(cbor),
        Ok(_) => Err(CompactError::NotRepresentable(
            "it does not decode back to the same bundle (a field is written in a non-canonical way)"
                .to_owned(),
        )),
        Err(e) => Err(CompactError::NotRepresentable(format!("it does not decode back: {e}"))),
    }
}

/// Decodes the compact binary form (deterministic CBOR) into the ordinary bundle, byte-exact
/// tlog-proof and checkpoint text included. Nothing is trusted yet: verify the result with
/// [`crate::check_bundle`] as any bundle.
///
/// # Errors
/// [`CompactError`] naming what is wrong: oversized input, malformed or non-canonical CBOR,
/// or fields that do not rebuild a bundle.
pub fn decode_compact(cbor: &[u8]) -> Result<Bundle, CompactError> {
    if cbor.len() > MAX_COMPACT_SIZE {
        return Err(CompactError::TooLarge);
    }
    let bundle = bundle_of(read_fields(cbor)?)?;
    // One encoding per bundle: anything the writer would not have written is refused (a
    // non-shortest integer, a root that could have been left out, a non-canonical date).
    match fields_of(&bundle) {
        Ok(f) if fields_to_cbor(&f) == cbor => Ok(bundle),
        _ => Err(CompactError::NotCanonical),
    }
}

// ---------------------------------------------------------------------------------------
// Text: decimal digits

/// Digits needed for a final group of `k` bytes (1..=7): the fewest `d` with 10^d ≥ 256^k.
const DIGITS: [usize; 8] = [0, 3, 5, 8, 10, 13, 15, 17];

/// Writes bytes as decimal digits: each group of 7 bytes (big-endian) as 17 digits, a final
/// shorter group of k bytes as `DIGITS[k]` digits, zero-padded on the left. QR numeric mode
/// stores 3 digits in 10 bits, so this costs 8.10 bits a byte (base45 8.25, base64 in byte mode 10.67).
pub fn encode_digits(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(7) * 17);
    for chunk in bytes.chunks(7) {
        let mut n: u64 = 0;
        for b in chunk {
            n = (n << 8) | u64::from(*b);
        }
        out.push_str(&format!("{n:0width$}", width = DIGITS[chunk.len()]));
    }
    out
}

/// Reads [`encode_digits`] text back, refusing any other character, a length no byte count
/// gives, and a group whose value does not fit its bytes (so each byte string has one text).
///
/// # Errors
/// [`CompactError::Text`] naming what is wrong.
pub fn decode_digits(text: &str) -> Result<Vec<u8>, CompactError> {
    if text.len() > MAX_COMPACT_TEXT {
        return Err(CompactError::Text(format!(
            "{} digits is more than a compact bundle can be",
            text.len()
        )));
    }
    if let Some(c) = text.chars().find(|c| !c.is_ascii_digit()) {
        return Err(CompactError::Text(format!("{c:?} is not a digit (the text is digits only)")));
    }
    let tail = text.len() % 17;
    let tail_bytes = DIGITS.iter().position(|d| *d == tail).filter(|k| *k < 7).ok_or_else(|| {
        CompactError::Text(format!("{} digits is not a length the encoding gives (cut short?)", text.len()))
    })?;
    let mut out = Vec::with_capacity(text.len() / 17 * 7 + tail_bytes);
    let bytes = text.as_bytes();
    let mut at = 0;
    while at < bytes.len() {
        let (width, k) = if bytes.len() - at >= 17 { (17, 7) } else { (tail, tail_bytes) };
        let group = &text[at..at + width];
        let n: u64 =
            group.parse().map_err(|_| CompactError::Text("a digit group does not parse".to_owned()))?;
        if n >> (8 * k) != 0 {
            return Err(CompactError::Text(format!("the digit group {group} is too large for {k} bytes")));
        }
        out.extend_from_slice(&n.to_be_bytes()[8 - k..]);
        at += width;
    }
    Ok(out)
}

/// The compact text of a bundle: [`encode_digits`] of [`encode_compact`].
///
/// # Errors
/// As [`encode_compact`].
#[cfg_attr(not(feature = "write"), allow(dead_code, unreachable_pub))]
pub fn encode_compact_text(bundle: &Bundle) -> Result<String, CompactError> {
    encode_compact(bundle).map(|b| encode_digits(&b))
}

/// Decodes compact text (digits) into a bundle.
///
/// # Errors
/// As [`decode_digits`] and [`decode_compact`].
pub fn decode_compact_text(text: &str) -> Result<Bundle, CompactError> {
    decode_compact(&decode_digits(text)?)
}

// ---------------------------------------------------------------------------------------
// Links

/// Reads compact base64url text (no padding, canonical: unused bits zero).
///
/// # Errors
/// [`CompactError::Text`] if it is not.
pub fn decode_base64url(text: &str) -> Result<Vec<u8>, CompactError> {
    if text.len() > MAX_COMPACT_SIZE.div_ceil(3) * 4 {
        return Err(CompactError::TooLarge);
    }
    URL_SAFE_NO_PAD
        .decode(text)
        .map_err(|_| CompactError::Text("not base64url without padding (A-Z a-z 0-9 - _)".to_owned()))
}

/// The bundles a verification link (or just its fragment) carries, each as bundle JSON or
/// why it could not be read: `#c1=<digits>` and `#c1u=<base64url>` (compact), and
/// `#bundle=<base64url(JSON)>` (the older form), several joined by `&`, other parameters
/// ignored. A compact bundle is
/// rebuilt and given as its JSON, so both forms go through the same checks.
pub fn bundles_in_link(link: &str) -> Vec<Result<Vec<u8>, CompactError>> {
    let fragment = link.split_once('#').map_or(link, |(_, f)| f);
    let mut out = Vec::new();
    for part in fragment.split('&') {
        let Some((key, value)) = part.split_once('=') else { continue };
        if key == COMPACT_LINK_KEY {
            out.push(decode_compact_text(value).map(|b| bundle_json(&b)));
        } else if key == COMPACT_LINK_KEY_BASE64URL {
            out.push(decode_base64url(value).and_then(|b| decode_compact(&b)).map(|b| bundle_json(&b)));
        } else if key == JSON_LINK_KEY {
            out.push(URL_SAFE_NO_PAD.decode(value.trim_end_matches('=')).map_err(|_| {
                CompactError::Link("the link's bundle= part is not valid base64url".to_owned())
            }));
        }
    }
    out
}

/// The JSON of a bundle (without spaces), as [`crate::check_bundle`] and `Bundle::parse` read it.
pub fn bundle_json(bundle: &Bundle) -> Vec<u8> {
    // Serialising these plain structs cannot fail: every map key is a string.
    serde_json::to_vec(bundle).unwrap_or_default()
}
