//! Release manifests: what a data publisher commits to its log for each anonymised release,
//! the bundle that proves a manifest is in the log, and proofs that one row is in a release.
//! Formats in docs/formats.md ("Releases").

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::credential::{VC_CONTEXT, canonical_json};
use crate::hash::{Hash, leaf_hash};

/// Why a release manifest, release bundle or row proof could not be built or parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ReleaseError(pub String);

/// `format` of a release manifest.
pub const MANIFEST_FORMAT: &str = "ledgerless-release-manifest/1";
/// `format` of a release bundle (manifest + tlog-proof).
pub const RELEASE_BUNDLE_FORMAT: &str = "ledgerless-release-bundle/1";
/// `format` of a row proof.
pub const ROW_PROOF_FORMAT: &str = "ledgerless-row-proof/1";
/// Largest release bundle or row proof accepted (bytes).
pub const MAX_RELEASE_SIZE: usize = 4 << 20;

/// A release manifest: the log entry (its RFC 8785 canonical JSON) a publisher appends.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Manifest {
    /// JSON-LD context: the W3C VC 2.0 context (for `relatedResource` and `digestSRI`).
    #[serde(rename = "@context")]
    pub context: Vec<String>,
    /// Always [`MANIFEST_FORMAT`].
    pub format: String,
    /// The publisher: its log's origin.
    pub publisher: String,
    /// The release's name (its directory name when published).
    pub name: String,
    /// When it was published (RFC 3339, UTC).
    pub created: String,
    /// The tool and version that made it.
    pub tool: String,
    /// The anonymisation policy.
    pub policy: PolicyRecord,
    /// What the release achieves.
    pub privacy: Privacy,
    /// Every file of the release.
    pub related_resource: Vec<Resource>,
}

/// The policy a release was made with.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PolicyRecord {
    /// SHA-256 (hex) of `text`.
    pub sha256: String,
    /// The policy file's text.
    pub text: String,
}

/// The privacy and utility figures of a release (from its report).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Privacy {
    /// The policy's k.
    pub k: u64,
    /// The smallest released class.
    pub achieved_k: u64,
    /// Per sensitive attribute: `[column, achieved distinct l]`.
    pub achieved_l: Vec<(String, u64)>,
    /// The quasi-identifier columns, in policy order: a class is the rows sharing their
    /// values, so anyone can recount the classes of the microdata and confirm `achievedK`.
    pub quasi_identifiers: Vec<String>,
    /// Rows released.
    pub records: u64,
    /// Rows whose quasi-identifiers are all `*`.
    pub suppressed: u64,
    /// The metric minimised.
    pub metric: String,
    /// Generalisation intensity, 0..1.
    pub loss: f64,
    /// Non-uniform entropy, bits.
    pub entropy_bits: f64,
    /// Discernibility (as a decimal string: it can exceed 2^53).
    pub discernibility: String,
    /// `global` (one level per quasi-identifier for every row) or `local` (levels vary by row;
    /// classes are still the rows with equal quasi-identifier values). Written only when
    /// `local`: a global manifest keeps the bytes it had before local recoding existed, so
    /// manifests logged earlier still re-serialise to their log entry.
    #[serde(default = "global_recoding", skip_serializing_if = "is_global")]
    pub recoding: String,
}

fn global_recoding() -> String {
    "global".into()
}

fn is_global(recoding: &str) -> bool {
    recoding == "global"
}

/// One file of a release.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Resource {
    /// Path relative to the release directory, `/`-separated.
    pub id: String,
    /// Media type.
    pub media_type: String,
    /// Subresource-integrity digest: `sha256-<base64>` (VC 2.0 spells it `digestSRI`).
    #[serde(rename = "digestSRI")]
    pub digest_sri: String,
    /// Size in bytes.
    pub bytes: u64,
    /// For CSV: data rows (the header excluded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows: Option<u64>,
    /// For CSV: the header's column names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub columns: Option<Vec<String>>,
    /// For CSV: RFC 9162 root (base64) over the rows' leaves ([`row_leaf`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows_root: Option<String>,
}

impl Resource {
    /// The SHA-256 this resource's `digestSRI` names.
    pub fn sha256(&self) -> Result<[u8; 32], ReleaseError> {
        let b64 = self
            .digest_sri
            .strip_prefix("sha256-")
            .ok_or_else(|| ReleaseError(format!("{}: digestSRI must start with sha256-", self.id)))?;
        let bytes = STANDARD
            .decode(b64)
            .map_err(|_| ReleaseError(format!("{}: digestSRI is not base64", self.id)))?;
        bytes.try_into().map_err(|_| ReleaseError(format!("{}: digestSRI is not 32 bytes", self.id)))
    }

    /// The rows root, if this is a table.
    pub fn root(&self) -> Result<Option<Hash>, ReleaseError> {
        self.rows_root
            .as_deref()
            .map(|r| Hash::parse_base64(r).map_err(|e| ReleaseError(format!("{}: rowsRoot: {e}", self.id))))
            .transpose()
    }
}

/// `sha256-<base64>` of a digest.
pub fn digest_sri(sha256: &[u8; 32]) -> String {
    format!("sha256-{}", STANDARD.encode(sha256))
}

/// The bytes whose RFC 9162 leaf hash commits to one CSV row:
/// `JCS({"columns": [...header...], "values": [...row...]})`.
pub(crate) fn row_leaf_bytes(columns: &[String], values: &[String]) -> Result<Vec<u8>, ReleaseError> {
    let mut w = RowLeafWriter::new(columns)?;
    w.write(values.iter().map(String::as_str))?;
    Ok(w.buf)
}

/// The RFC 9162 leaf hash of one CSV row.
pub fn row_leaf(columns: &[String], values: &[String]) -> Result<Hash, ReleaseError> {
    Ok(leaf_hash(&row_leaf_bytes(columns, values)?))
}

/// Writes row leaves of one table quickly: the canonical JSON is written directly (keys in
/// RFC 8785 order, strings escaped as RFC 8785 does; a test compares it with a general JCS
/// implementation), reusing one buffer and the header's bytes.
/// Re-exported as `verifier::write::RowLeafWriter`; without the `write` feature only
/// [`row_leaf`] uses it, so both sides hash rows with the same code.
#[derive(Debug, Clone)]
#[cfg_attr(not(feature = "write"), allow(unreachable_pub, dead_code))]
pub struct RowLeafWriter {
    prefix: Vec<u8>,
    buf: Vec<u8>,
}

#[cfg_attr(not(feature = "write"), allow(unreachable_pub, dead_code))]
impl RowLeafWriter {
    /// A writer for rows of a table with these columns.
    pub fn new(columns: &[String]) -> Result<Self, ReleaseError> {
        let mut prefix = b"{\"columns\":[".to_vec();
        for (i, c) in columns.iter().enumerate() {
            if i > 0 {
                prefix.push(b',');
            }
            serde_json::to_writer(&mut prefix, c)
                .map_err(|e| ReleaseError(format!("canonical JSON: {e}")))?;
        }
        prefix.extend_from_slice(b"],\"values\":[");
        Ok(RowLeafWriter { prefix, buf: Vec::new() })
    }

    fn write<'a>(&mut self, values: impl Iterator<Item = &'a str>) -> Result<(), ReleaseError> {
        self.buf.clear();
        self.buf.extend_from_slice(&self.prefix);
        for (i, v) in values.enumerate() {
            if i > 0 {
                self.buf.push(b',');
            }
            serde_json::to_writer(&mut self.buf, v)
                .map_err(|e| ReleaseError(format!("canonical JSON: {e}")))?;
        }
        self.buf.extend_from_slice(b"]}");
        Ok(())
    }

    /// The leaf hash of one row.
    pub fn leaf<'a>(&mut self, values: impl Iterator<Item = &'a str>) -> Result<Hash, ReleaseError> {
        self.write(values)?;
        Ok(leaf_hash(&self.buf))
    }
}

impl Manifest {
    /// Checks the manifest's own shape (not its files).
    pub fn validate(&self) -> Result<(), ReleaseError> {
        let err = |m: String| Err(ReleaseError(m));
        if self.format != MANIFEST_FORMAT {
            return err(format!("format is {:?}, want {MANIFEST_FORMAT:?}", self.format));
        }
        if self.context.first().map(String::as_str) != Some(VC_CONTEXT) {
            return err(format!("@context must start with {VC_CONTEXT}"));
        }
        let mut seen: Vec<&str> = Vec::new();
        for r in &self.related_resource {
            if !safe_relative_path(&r.id) {
                return err(format!("file {:?} is not a safe relative path", r.id));
            }
            if seen.contains(&r.id.as_str()) {
                return err(format!("file {:?} is listed twice", r.id));
            }
            seen.push(&r.id);
            r.sha256()?;
            r.root()?;
            if let Some(c) = &r.columns
                && let Some(dup) = c.iter().enumerate().find(|(i, x)| c[..*i].contains(x)).map(|(_, x)| x)
            {
                return err(format!("file {:?} names column {dup:?} twice", r.id));
            }
            if r.rows_root.is_some() != r.rows.is_some() || r.rows_root.is_some() != r.columns.is_some() {
                return err(format!("file {:?}: rows, columns and rowsRoot go together", r.id));
            }
        }
        Ok(())
    }

    /// The log entry: the manifest's canonical JSON.
    pub fn entry(&self) -> Result<Vec<u8>, ReleaseError> {
        canonical_json(self).map_err(|e| ReleaseError(e.0))
    }

    /// The resource with this path.
    pub fn resource(&self, id: &str) -> Option<&Resource> {
        self.related_resource.iter().find(|r| r.id == id)
    }
}

/// True for `a/b.csv`-style paths that mean the same as a file path and as a relative URL:
/// no empty, `.` or `..` parts, no leading `/`, and none of `\ % : ? #` or control characters
/// (so `%2e%2e`, `http:host` or `data:` cannot reach outside the release when a browser
/// resolves the path against the bundle's URL).
pub fn safe_relative_path(p: &str) -> bool {
    !p.is_empty()
        && !p.chars().any(|c| matches!(c, '\\' | '%' | ':' | '?' | '#') || c.is_control())
        && p.split('/').all(|part| !part.is_empty() && part != "." && part != "..")
}

/// Parses JSON of at most [`MAX_RELEASE_SIZE`] bytes, naming `what` in errors.
fn parse_bounded<T: serde::de::DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T, ReleaseError> {
    if bytes.len() > MAX_RELEASE_SIZE {
        return Err(ReleaseError(format!("{what}: larger than {MAX_RELEASE_SIZE} bytes")));
    }
    serde_json::from_slice(bytes).map_err(|e| ReleaseError(format!("{what}: {e}")))
}

/// A manifest with the tlog-proof of its entry: verifiable offline.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ReleaseBundle {
    /// Always [`RELEASE_BUNDLE_FORMAT`].
    pub format: String,
    /// The manifest.
    pub manifest: Manifest,
    /// C2SP tlog-proof of the manifest's entry.
    pub tlog_proof: String,
}

impl ReleaseBundle {
    /// Parses and checks the shape of a release bundle.
    pub fn parse(bytes: &[u8]) -> Result<ReleaseBundle, ReleaseError> {
        let b: ReleaseBundle = parse_bounded(bytes, "release bundle")?;
        if b.format != RELEASE_BUNDLE_FORMAT {
            return Err(ReleaseError(format!("format is {:?}, want {RELEASE_BUNDLE_FORMAT:?}", b.format)));
        }
        b.manifest.validate()?;
        Ok(b)
    }
}

/// A proof that one row is in a published release: the release bundle, the row and its path.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RowProof {
    /// Always [`ROW_PROOF_FORMAT`].
    pub format: String,
    /// The release it is from.
    pub release: ReleaseBundle,
    /// The file (a CSV resource of the manifest).
    pub file: String,
    /// Zero-based data row (the header is not a row).
    pub row: u64,
    /// The row's values, in the file's column order.
    pub values: Vec<String>,
    /// RFC 9162 inclusion proof of the row's leaf under the file's `rowsRoot` (base64 hashes).
    pub proof: Vec<String>,
}

impl RowProof {
    /// Parses a row proof.
    pub fn parse(bytes: &[u8]) -> Result<RowProof, ReleaseError> {
        if bytes.len() > MAX_RELEASE_SIZE {
            return Err(ReleaseError(format!("larger than {MAX_RELEASE_SIZE} bytes")));
        }
        let p: RowProof =
            serde_json::from_slice(bytes).map_err(|e| ReleaseError(format!("row proof: {e}")))?;
        if p.format != ROW_PROOF_FORMAT {
            return Err(ReleaseError(format!("format is {:?}, want {ROW_PROOF_FORMAT:?}", p.format)));
        }
        if p.release.format != RELEASE_BUNDLE_FORMAT {
            return Err(ReleaseError("release: not a release bundle".into()));
        }
        p.release.manifest.validate()?;
        Ok(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_leaf_bytes_are_jcs() {
        #[derive(serde::Serialize)]
        struct Row<'a> {
            columns: &'a [String],
            values: &'a [String],
        }
        let hostile = ["", "a\"b", "\\", "\u{0}\u{1f}\u{7f}", "é€😀", "</script>", "\u{2028}\u{2029}", "1e3"];
        let columns: Vec<String> = hostile.iter().map(|s| format!("c{s}")).collect();
        let values: Vec<String> = hostile.iter().map(|s| s.to_string()).collect();
        let want = canonical_json(&Row { columns: &columns, values: &values }).unwrap();
        assert_eq!(row_leaf_bytes(&columns, &values).unwrap(), want);
        assert_eq!(
            row_leaf_bytes(&[], &[]).unwrap(),
            canonical_json(&Row { columns: &[], values: &[] }).unwrap()
        );
    }

    #[test]
    fn recoding_is_written_only_for_local_releases_so_older_entries_keep_their_bytes() {
        // A privacy block as manifests were logged before local recoding: no `recoding`.
        let old = r#"{"achievedK":2,"achievedL":[],"discernibility":"8","entropyBits":0.5,"k":2,"loss":0.25,"metric":"loss","quasiIdentifiers":["a"],"records":4,"suppressed":0}"#;
        let p: Privacy = serde_json::from_str(old).unwrap();
        assert_eq!(p.recoding, "global");
        assert_eq!(String::from_utf8(canonical_json(&p).unwrap()).unwrap(), old);
        let local = Privacy { recoding: "local".into(), ..p };
        let bytes = String::from_utf8(canonical_json(&local).unwrap()).unwrap();
        assert!(bytes.contains(r#""recoding":"local""#), "{bytes}");
        assert_eq!(serde_json::from_str::<Privacy>(&bytes).unwrap(), local);
    }

    #[test]
    fn resources_use_the_vc_spelling_digest_sri() {
        let r = Resource {
            id: "a.csv".into(),
            media_type: "text/csv".into(),
            digest_sri: digest_sri(&[0; 32]),
            bytes: 1,
            rows: None,
            columns: None,
            rows_root: None,
        };
        let json = serde_json::to_string(&r).unwrap();
        assert!(json.contains("\"digestSRI\":\"sha256-"), "{json}");
        assert_eq!(serde_json::from_str::<Resource>(&json).unwrap(), r);
        assert!(serde_json::from_str::<Resource>(&json.replace("digestSRI", "digestSri")).is_err());
    }

    #[test]
    fn safe_paths_are_safe_as_urls_too() {
        for ok in ["microdata.csv", "tables/a b.csv", "données/t.csv", "a/b/c.parquet"] {
            assert!(safe_relative_path(ok), "{ok}");
        }
        for bad in [
            "",
            "/abs",
            "a//b",
            "./a",
            "a/../b",
            "..",
            "a\\b",
            "x/%2e%2e/%2e%2e/y",
            "http:evil.example/x",
            "data:text/plain,abc",
            "a?b",
            "a#b",
            "a\0b",
            "a\nb",
        ] {
            assert!(!safe_relative_path(bad), "{bad:?}");
        }
    }
}
