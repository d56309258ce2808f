//! Credentials: the W3C VC Data Model 2.0 shape, salted claim commitments, the log entry,
//! offline bundles with selective disclosure, and Bitstring Status List revocation.
//!
//! Format: `docs/formats.md` ("Credentials"). The log entry holds no personal data: only the
//! issuer, type, validity window, status index and the root of a Merkle tree over salted
//! claims. A bundle carries the disclosed claims with their salts and a multi-proof, and the
//! C2SP tlog-proof of the entry; the entry is recomputed from the bundle, so every field of the
//! bundle is covered by the log's signed root.

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use sha2::{Digest, Sha256};

use crate::hash::{Hash, leaf_hash};
use crate::merkle::verify_multiproof;

/// The `format` of a bundle this version reads and writes.
pub const BUNDLE_FORMAT: &str = "ledgerless-bundle/v1";
/// The `format` of a credential log entry.
pub const ENTRY_FORMAT: &str = "ledgerless-credential/v1";
/// The `format` of a status-list log entry.
pub const STATUS_ENTRY_FORMAT: &str = "ledgerless-status-list/v1";
/// The W3C VC Data Model 2.0 context.
pub const VC_CONTEXT: &str = "https://www.w3.org/ns/credentials/v2";
/// Where a log publishes its revocation list, relative to the log's root.
pub const STATUS_LIST_PATH: &str = "status/revocation.json";
/// Where the tlog-proof of the current status list is published.
pub const STATUS_PROOF_PATH: &str = "status/revocation.tlog-proof";
/// Largest bundle accepted. Why: a bundle with 64 claims of 64 KiB is under 6 MiB; more is
/// not a credential.
pub const MAX_BUNDLE_SIZE: usize = 8 << 20;
/// Most claims in one credential.
pub const MAX_CLAIMS: usize = 256;
/// Largest claim value, in bytes (hostile 1 MB strings are refused at issuance, bounded here).
pub const MAX_CLAIM_SIZE: usize = 1 << 20;
/// Smallest status list, in bits (W3C Bitstring Status List: at least 16 KiB).
pub const MIN_STATUS_BITS: usize = 131_072;

/// The credential as shown to people: the W3C VC Data Model 2.0 shape.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Credential {
    /// Always `["https://www.w3.org/ns/credentials/v2"]`.
    #[serde(rename = "@context")]
    pub context: Vec<String>,
    /// `["VerifiableCredential", <type>]`.
    #[serde(rename = "type")]
    pub types: Vec<String>,
    /// The issuer: the origin of its log.
    pub issuer: String,
    /// Start of validity (RFC 3339, UTC).
    #[serde(rename = "validFrom", default, skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<String>,
    /// End of validity (RFC 3339, UTC).
    #[serde(rename = "validUntil", default, skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<String>,
    /// The disclosed claims, name → value.
    #[serde(rename = "credentialSubject")]
    pub credential_subject: BTreeMap<String, String>,
    /// The revocation status entry.
    #[serde(rename = "credentialStatus")]
    pub credential_status: CredentialStatus,
}

/// A W3C `BitstringStatusListEntry`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialStatus {
    /// Always `BitstringStatusListEntry`.
    #[serde(rename = "type")]
    pub status_type: String,
    /// Always `revocation`.
    #[serde(rename = "statusPurpose")]
    pub status_purpose: String,
    /// The credential's bit in the list, as a decimal string (as the W3C spec writes it).
    #[serde(rename = "statusListIndex")]
    pub status_list_index: String,
    /// The list, relative to the issuer's log ([`STATUS_LIST_PATH`]).
    #[serde(rename = "statusListCredential")]
    pub status_list_credential: String,
}

impl CredentialStatus {
    /// The only status a bundle may carry: bit `index` of the issuer's revocation list (the
    /// pinned values `check_bundle` requires, so writers and tests cannot drift from them).
    pub fn revocation(index: u64) -> CredentialStatus {
        CredentialStatus {
            status_type: STATUS_ENTRY_TYPE.to_owned(),
            status_purpose: STATUS_PURPOSE.to_owned(),
            status_list_index: index.to_string(),
            status_list_credential: STATUS_LIST_PATH.to_owned(),
        }
    }
}

/// `credentialStatus.type` of every bundle.
const STATUS_ENTRY_TYPE: &str = "BitstringStatusListEntry";
/// `credentialStatus.statusPurpose` of every bundle.
const STATUS_PURPOSE: &str = "revocation";

/// One disclosed claim's commitment data.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DisclosedClaim {
    /// Claim name (a key of `credentialSubject`).
    pub name: String,
    /// Its 16-byte salt, standard base64.
    pub salt: String,
    /// Its leaf's position in the claim tree (claims sorted by name).
    pub index: u64,
}

/// What proves the disclosed claims belong to the committed credential.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Disclosure {
    /// Root of the claim tree.
    #[serde(rename = "claimsRoot")]
    pub claims_root: Hash,
    /// Number of claims in the credential (disclosed or not).
    #[serde(rename = "claimsCount")]
    pub claims_count: u64,
    /// The disclosed claims, by increasing index.
    pub claims: Vec<DisclosedClaim>,
    /// rs_merkle multi-proof of the disclosed leaves.
    pub proof: Vec<Hash>,
}

/// A holder's offline bundle: everything needed to verify a credential.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bundle {
    /// Always [`BUNDLE_FORMAT`].
    pub format: String,
    /// The credential.
    pub credential: Credential,
    /// Claim commitments for the disclosed claims.
    pub disclosure: Disclosure,
    /// The C2SP tlog-proof of the credential's log entry.
    #[serde(rename = "tlogProof")]
    pub tlog_proof: String,
}

/// The log entry of a credential (canonical JSON, RFC 8785).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialEntry {
    /// Always [`ENTRY_FORMAT`].
    pub format: String,
    /// The issuer (log origin).
    pub issuer: String,
    /// Credential type.
    #[serde(rename = "type")]
    pub credential_type: String,
    /// Start of validity.
    #[serde(rename = "validFrom", default, skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<String>,
    /// End of validity.
    #[serde(rename = "validUntil", default, skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<String>,
    /// Bit in the issuer's status list.
    #[serde(rename = "statusIndex")]
    pub status_index: u64,
    /// Root of the claim tree.
    #[serde(rename = "claimsRoot")]
    pub claims_root: Hash,
    /// Number of claims.
    #[serde(rename = "claimsCount")]
    pub claims_count: u64,
}

/// The log entry committing to a published status list.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StatusListEntry {
    /// Always [`STATUS_ENTRY_FORMAT`].
    pub format: String,
    /// The issuer (log origin).
    pub issuer: String,
    /// Always `revocation`.
    pub purpose: String,
    /// Lowercase hex SHA-256 of the status list file's exact bytes.
    pub sha256: String,
}

/// Why a credential could not be built or parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct CredentialError(pub String);

/// RFC 8785 canonical JSON of a value.
///
/// # Errors
/// [`CredentialError`] if the value cannot be serialised (never for our own types).
pub fn canonical_json<T: serde::Serialize>(value: &T) -> Result<Vec<u8>, CredentialError> {
    serde_json_canonicalizer::to_vec(value).map_err(|e| CredentialError(format!("canonical JSON: {e}")))
}

/// The leaf hash of a salted claim: `leaf_hash(JCS({"name","salt","value"}))`.
///
/// The canonical form is written directly (the keys are already in RFC 8785 order and
/// JSON string escaping is the same as RFC 8785's); a test checks it against a general JCS
/// implementation on hostile strings.
///
/// # Errors
/// Never for valid strings; kept fallible for the serialiser.
pub fn claim_leaf(name: &str, salt_b64: &str, value: &str) -> Result<Hash, CredentialError> {
    let mut buf = Vec::with_capacity(32 + name.len() + salt_b64.len() + value.len());
    let json_str = |buf: &mut Vec<u8>, s: &str| {
        serde_json::to_writer(&mut *buf, s).map_err(|e| CredentialError(format!("canonical JSON: {e}")))
    };
    buf.extend_from_slice(b"{\"name\":");
    json_str(&mut buf, name)?;
    buf.extend_from_slice(b",\"salt\":");
    json_str(&mut buf, salt_b64)?;
    buf.extend_from_slice(b",\"value\":");
    json_str(&mut buf, value)?;
    buf.push(b'}');
    Ok(leaf_hash(&buf))
}

/// The canonical bytes of a status-list log entry for `list_bytes`.
///
/// # Errors
/// Never in practice (serialiser failure).
pub fn status_list_entry(issuer: &str, list_bytes: &[u8]) -> Result<Vec<u8>, CredentialError> {
    let digest: [u8; 32] = Sha256::digest(list_bytes).into();
    canonical_json(&StatusListEntry {
        format: STATUS_ENTRY_FORMAT.to_owned(),
        issuer: issuer.to_owned(),
        purpose: "revocation".to_owned(),
        sha256: Hash(digest).to_hex(),
    })
}

impl Bundle {
    /// Parses a bundle, strictly: no unknown fields, bounded size.
    ///
    /// # Errors
    /// [`CredentialError`] naming what is wrong.
    pub fn parse(bytes: &[u8]) -> Result<Bundle, CredentialError> {
        if bytes.len() > MAX_BUNDLE_SIZE {
            return Err(CredentialError(format!(
                "bundle is {} bytes, more than the 8 MiB limit",
                bytes.len()
            )));
        }
        serde_json::from_slice(bytes).map_err(|e| CredentialError(format!("not a ledgerless bundle: {e}")))
    }

    /// The credential's type (the second `type` entry).
    pub fn credential_type(&self) -> &str {
        self.credential.types.get(1).map_or("", String::as_str)
    }

    /// Rebuilds the exact log entry this bundle claims, from its own fields.
    ///
    /// # Errors
    /// [`CredentialError`] if a fixed field has the wrong value or the status index is not a
    /// canonical decimal.
    pub fn entry(&self) -> Result<Vec<u8>, CredentialError> {
        let c = &self.credential;
        let bad = |s: String| Err(CredentialError(s));
        if self.format != BUNDLE_FORMAT {
            return bad(format!("format is {:?}, want {BUNDLE_FORMAT:?}", self.format));
        }
        if c.context != [VC_CONTEXT] {
            return bad(format!("@context must be [{VC_CONTEXT:?}]"));
        }
        if c.types.len() != 2 || c.types[0] != "VerifiableCredential" || c.types[1].is_empty() {
            return bad("type must be [\"VerifiableCredential\", <credential type>]".to_owned());
        }
        let s = &c.credential_status;
        if s.status_type != STATUS_ENTRY_TYPE
            || s.status_purpose != STATUS_PURPOSE
            || s.status_list_credential != STATUS_LIST_PATH
        {
            return bad(format!(
                "credentialStatus must be a revocation BitstringStatusListEntry in {STATUS_LIST_PATH}"
            ));
        }
        let status_index = crate::checkpoint::parse_decimal(&s.status_list_index)
            .ok_or_else(|| CredentialError("statusListIndex is not a decimal number".to_owned()))?;
        canonical_json(&CredentialEntry {
            format: ENTRY_FORMAT.to_owned(),
            issuer: c.issuer.clone(),
            credential_type: c.types[1].clone(),
            valid_from: c.valid_from.clone(),
            valid_until: c.valid_until.clone(),
            status_index,
            claims_root: self.disclosure.claims_root,
            claims_count: self.disclosure.claims_count,
        })
    }

    /// Checks the disclosed claims against the committed claim root.
    ///
    /// # Errors
    /// [`CredentialError`] if names disagree with `credentialSubject`, indices are not
    /// increasing with names, a salt is malformed, or the multi-proof fails.
    pub fn check_claims(&self) -> Result<(), CredentialError> {
        let d = &self.disclosure;
        let subject = &self.credential.credential_subject;
        if d.claims_count == 0 || d.claims_count > MAX_CLAIMS as u64 {
            return Err(CredentialError(format!(
                "claimsCount {} is not between 1 and {MAX_CLAIMS}",
                d.claims_count
            )));
        }
        if d.claims.len() != subject.len() {
            return Err(CredentialError(format!(
                "{} claims disclosed in credentialSubject but {} in the disclosure",
                subject.len(),
                d.claims.len()
            )));
        }
        let mut indices = Vec::with_capacity(d.claims.len());
        let mut leaves = Vec::with_capacity(d.claims.len());
        for (i, claim) in d.claims.iter().enumerate() {
            let value = subject.get(&claim.name).ok_or_else(|| {
                CredentialError(format!("claim {:?} is not in credentialSubject", claim.name))
            })?;
            if i > 0 && (d.claims[i - 1].name >= claim.name || d.claims[i - 1].index >= claim.index) {
                return Err(CredentialError("disclosed claims are not in name and index order".to_owned()));
            }
            let salt = STANDARD
                .decode(&claim.salt)
                .map_err(|_| CredentialError(format!("salt of {:?} is not base64", claim.name)))?;
            if salt.len() != 16 {
                return Err(CredentialError(format!("salt of {:?} is not 16 bytes", claim.name)));
            }
            indices.push(claim.index);
            leaves.push(claim_leaf(&claim.name, &claim.salt, value)?);
        }
        if leaves.is_empty() {
            // Nothing disclosed: nothing to prove, and a proof would be unauthenticated bytes.
            if !d.proof.is_empty() {
                return Err(CredentialError("no claim is disclosed but the proof is not empty".to_owned()));
            }
            return Ok(());
        }
        verify_multiproof(&indices, d.claims_count, &leaves, &d.proof, &d.claims_root)
            .map_err(|e| CredentialError(format!("disclosed claims do not match the committed claims: {e}")))
    }
}

/// Parses an RFC 3339 timestamp to POSIX seconds.
///
/// # Errors
/// [`CredentialError`] if it is not RFC 3339.
pub fn parse_time(s: &str) -> Result<i64, CredentialError> {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .map(|t| t.unix_timestamp())
        .map_err(|_| CredentialError(format!("{s:?} is not an RFC 3339 time (e.g. 2026-11-21T00:00:00Z)")))
}

/// Formats POSIX seconds as RFC 3339 UTC (`2026-11-21T09:30:00Z`).
pub fn format_time(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_else(|| unix.to_string())
}

/// A decoded W3C Bitstring Status List.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusList {
    /// The bits, index 0 = most significant bit of byte 0.
    pub bits: Vec<u8>,
}

impl StatusList {
    #[cfg(feature = "write")]
    /// An all-clear list of at least `n` bits (and at least 131,072).
    pub fn new(n: usize) -> StatusList {
        let bits = n.max(MIN_STATUS_BITS).div_ceil(8).next_multiple_of(MIN_STATUS_BITS / 8);
        StatusList { bits: vec![0; bits] }
    }

    /// Whether bit `index` is set; `None` if the list is shorter.
    pub fn get(&self, index: u64) -> Option<bool> {
        let byte = self.bits.get(usize::try_from(index / 8).ok()?)?;
        Some(byte & (0x80 >> (index % 8)) != 0)
    }

    #[cfg(feature = "write")]
    /// Sets bit `index`, growing the list by 16 KiB steps if needed.
    pub fn set(&mut self, index: u64) {
        let byte = (index / 8) as usize;
        if byte >= self.bits.len() {
            self.bits.resize((byte + 1).next_multiple_of(MIN_STATUS_BITS / 8), 0);
        }
        self.bits[byte] |= 0x80 >> (index % 8);
    }

    #[cfg(feature = "write")]
    /// Encodes as the W3C `encodedList`: multibase `u` + base64url (no padding) of GZIP.
    ///
    /// # Errors
    /// [`CredentialError`] if compression fails: never an empty or truncated list.
    pub fn encode(&self) -> Result<String, CredentialError> {
        use std::io::Write as _;
        let gzip_failed = |e: std::io::Error| CredentialError(format!("status list: GZIP failed: {e}"));
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&self.bits).map_err(gzip_failed)?;
        let data = gz.finish().map_err(gzip_failed)?;
        Ok(format!("u{}", URL_SAFE_NO_PAD.encode(data)))
    }

    /// Decodes an `encodedList`.
    ///
    /// # Errors
    /// [`CredentialError`] if it is not multibase base64url GZIP of at least 16 KiB, or
    /// decompresses past 16 MiB (a decompression bomb).
    pub fn decode(encoded: &str) -> Result<StatusList, CredentialError> {
        use std::io::Read as _;
        let b64 = encoded.strip_prefix('u').ok_or_else(|| {
            CredentialError("encodedList does not start with the multibase 'u' prefix".to_owned())
        })?;
        let gz = URL_SAFE_NO_PAD
            .decode(b64)
            .map_err(|_| CredentialError("encodedList is not base64url".to_owned()))?;
        let mut bits = Vec::new();
        flate2::read::GzDecoder::new(&gz[..])
            .take(16 << 20)
            .read_to_end(&mut bits)
            .map_err(|e| CredentialError(format!("encodedList is not GZIP: {e}")))?;
        if bits.len() < MIN_STATUS_BITS / 8 {
            return Err(CredentialError(format!(
                "status list has {} bits, fewer than 131,072",
                bits.len() * 8
            )));
        }
        if bits.len() >= 16 << 20 {
            return Err(CredentialError("status list decompresses past 16 MiB".to_owned()));
        }
        Ok(StatusList { bits })
    }
}

#[cfg(feature = "write")]
/// Builds the W3C `BitstringStatusListCredential` JSON for a log's revocation list.
///
/// # Errors
/// [`CredentialError`] if the list cannot be compressed or the JSON serialised.
pub fn status_list_credential(
    issuer: &str,
    list: &StatusList,
    valid_from: &str,
) -> Result<Vec<u8>, CredentialError> {
    let v = serde_json::json!({
        "@context": [VC_CONTEXT],
        "id": STATUS_LIST_PATH,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer,
        "validFrom": valid_from,
        "credentialSubject": {
            "id": format!("{STATUS_LIST_PATH}#list"),
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": list.encode()?,
        }
    });
    let mut out = serde_json::to_vec_pretty(&v).map_err(|e| CredentialError(e.to_string()))?;
    out.push(b'\n');
    Ok(out)
}

/// Reads the status list out of a `BitstringStatusListCredential`, checking its issuer.
///
/// # Errors
/// [`CredentialError`] if it is not such a credential, is for another issuer or purpose.
pub fn parse_status_list_credential(bytes: &[u8], issuer: &str) -> Result<StatusList, CredentialError> {
    if bytes.len() > 32 << 20 {
        return Err(CredentialError("status list file is larger than 32 MiB".to_owned()));
    }
    let v: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| CredentialError(format!("status list is not JSON: {e}")))?;
    if v["issuer"] != issuer {
        return Err(CredentialError(format!("status list issuer is {}, want {issuer:?}", v["issuer"])));
    }
    let s = &v["credentialSubject"];
    if s["type"] != "BitstringStatusList" || s["statusPurpose"] != "revocation" {
        return Err(CredentialError("not a revocation BitstringStatusList".to_owned()));
    }
    let encoded = s["encodedList"].as_str().ok_or_else(|| CredentialError("no encodedList".to_owned()))?;
    StatusList::decode(encoded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_list_roundtrip_and_w3c_example() {
        let mut l = StatusList::new(10);
        assert_eq!(l.bits.len(), 16_384);
        l.set(0);
        l.set(131_071);
        l.set(200_000);
        let d = StatusList::decode(&l.encode().unwrap()).unwrap();
        assert_eq!(d, l);
        assert_eq!(d.get(0), Some(true));
        assert_eq!(d.get(1), Some(false));
        assert_eq!(d.get(200_000), Some(true));
        assert_eq!(d.get(u64::MAX), None);
        // The W3C specification's example list: 131,072 clear bits.
        let w3c = StatusList::decode("uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA")
            .unwrap();
        assert_eq!(w3c.bits.len(), 16_384);
        assert!(w3c.bits.iter().all(|&b| b == 0));
        assert!(StatusList::decode("zabc").is_err());
    }

    /// Regression: a GZIP failure used to encode an empty list (`"u"`), which no reader could
    /// parse; encoding now returns the error, and a written list always reads back.
    #[test]
    fn status_list_credential_reads_back_and_empty_encoding_is_refused() {
        let mut l = StatusList::new(200_000);
        l.set(7);
        let json = status_list_credential("did:web:example.com", &l, "2026-01-01T00:00:00Z").unwrap();
        assert_eq!(parse_status_list_credential(&json, "did:web:example.com").unwrap(), l);
        assert_ne!(l.encode().unwrap(), "u");
        assert!(StatusList::decode("u").is_err(), "the old fallback's output is not a list");
    }

    #[test]
    fn claim_leaf_is_jcs() {
        #[derive(serde::Serialize)]
        struct Leaf<'a> {
            value: &'a str,
            name: &'a str,
            salt: &'a str,
        }
        let hostile = [
            "",
            "plain",
            "quote\" back\\slash",
            "\u{0}\u{1f}\u{7f}\u{80}\u{2028}\u{2029}",
            "<script>alert(1)</script>",
            "\t\n\r\u{8}\u{c}",
            "émoji 😀 𝄞",
            "\u{ffff}\u{10ffff}",
            "{\"deep\":[[[[]]]]}",
        ];
        for n in hostile {
            for v in hostile {
                let jcs =
                    canonical_json(&Leaf { value: v, name: n, salt: "AAAAAAAAAAAAAAAAAAAAAA==" }).unwrap();
                assert_eq!(
                    claim_leaf(n, "AAAAAAAAAAAAAAAAAAAAAA==", v).unwrap(),
                    leaf_hash(&jcs),
                    "{n:?} {v:?}"
                );
            }
        }
    }

    #[test]
    fn a_bundle_disclosing_nothing_has_an_empty_proof() {
        let b = Bundle {
            format: BUNDLE_FORMAT.to_owned(),
            credential: Credential {
                context: vec![VC_CONTEXT.to_owned()],
                types: vec!["VerifiableCredential".to_owned(), "T".to_owned()],
                issuer: "example.org/log".to_owned(),
                valid_from: None,
                valid_until: None,
                credential_subject: BTreeMap::new(),
                credential_status: CredentialStatus::revocation(0),
            },
            disclosure: Disclosure {
                claims_root: Hash([7; 32]),
                claims_count: 3,
                claims: vec![],
                proof: vec![],
            },
            tlog_proof: String::new(),
        };
        b.check_claims().unwrap();
        let mut junk = b.clone();
        junk.disclosure.proof = vec![Hash([1; 32])];
        assert!(junk.check_claims().is_err());
    }

    #[test]
    fn times() {
        assert_eq!(parse_time("1970-01-01T00:00:00Z").unwrap(), 0);
        assert_eq!(
            parse_time("2026-11-21T01:00:00+01:00").unwrap(),
            parse_time("2026-11-21T00:00:00Z").unwrap()
        );
        assert!(parse_time("2026-11-21").is_err());
        assert_eq!(format_time(0), "1970-01-01T00:00:00Z");
    }
}
