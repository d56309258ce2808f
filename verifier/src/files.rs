//! Comparing a release's files with its manifest: the one check both `ledgerless verify
//! RELEASEDIR` (analytics, reading a directory) and the browser's dataset page (hashing in a
//! Web Worker) make. Pure: the caller reads and hashes; this compares.

use crate::release::{Manifest, Resource};

/// A file's size and SHA-256, as the caller hashed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileDigest {
    /// Size in bytes.
    pub bytes: u64,
    /// SHA-256 of the bytes.
    pub sha256: [u8; 32],
}

/// What comparing one file with the manifest found. Each caller words it its own way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileFinding {
    /// Same size and SHA-256 as listed.
    Verified,
    /// A different size from the one listed.
    Size {
        /// The file's size.
        got: u64,
        /// The size the manifest lists.
        listed: u64,
    },
    /// The listed size, but a different SHA-256.
    Digest {
        /// The file's SHA-256.
        got: [u8; 32],
        /// The `digestSRI` the manifest lists.
        listed: String,
    },
    /// Listed, but not there.
    Missing,
    /// There, but the manifest does not list it.
    Extra,
    /// The manifest's entry for it is unusable (its `digestSRI` is malformed); a manifest
    /// that passed [`Manifest::validate`] never has one.
    BadListing(String),
}

/// Compares the file `id` (a `/`-separated path in the release) with `manifest`: `got` is
/// its size and digest, `None` when it is not there. A file the manifest does not list is
/// [`FileFinding::Extra`] whatever its content.
pub fn check_file(manifest: &Manifest, id: &str, got: Option<&FileDigest>) -> FileFinding {
    match manifest.resource(id) {
        Some(listed) => check_listed_file(listed, got),
        None => FileFinding::Extra,
    }
}

/// Compares a file with the manifest's entry for it (see [`check_file`]): size first, then
/// SHA-256.
pub fn check_listed_file(listed: &Resource, got: Option<&FileDigest>) -> FileFinding {
    let Some(got) = got else { return FileFinding::Missing };
    let want = match listed.sha256() {
        Ok(h) => h,
        Err(e) => return FileFinding::BadListing(e.to_string()),
    };
    if got.bytes != listed.bytes {
        FileFinding::Size { got: got.bytes, listed: listed.bytes }
    } else if got.sha256 != want {
        FileFinding::Digest { got: got.sha256, listed: listed.digest_sri.clone() }
    } else {
        FileFinding::Verified
    }
}

/// Why a manifest's privacy claims can never be recounted (it lists no CSV holding every
/// quasi-identifier and the claimed number of rows: see [`crate::release_microdata`]), in the
/// words both the CLI and the browser use; `None` when it lists its microdata.
pub fn no_microdata(manifest: &Manifest) -> Option<String> {
    crate::recount::release_microdata(manifest).is_none().then(|| {
        format!(
            "the manifest lists no CSV with every quasi-identifier ({}) and {} rows to recount",
            manifest.privacy.quasi_identifiers.join(", "),
            manifest.privacy.records
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::release::{PolicyRecord, Privacy, digest_sri};
    use sha2::Digest as _;

    fn digest(bytes: &[u8]) -> FileDigest {
        FileDigest { bytes: bytes.len() as u64, sha256: sha2::Sha256::digest(bytes).into() }
    }

    fn manifest(files: &[(&str, &[u8])]) -> Manifest {
        Manifest {
            context: vec![crate::VC_CONTEXT.into()],
            format: crate::MANIFEST_FORMAT.into(),
            publisher: "p.example/r".into(),
            name: "r".into(),
            created: "2026-01-01T00:00:00Z".into(),
            tool: "t".into(),
            policy: PolicyRecord { sha256: String::new(), text: String::new() },
            privacy: Privacy {
                k: 2,
                achieved_k: 2,
                achieved_l: vec![],
                quasi_identifiers: vec!["age".into()],
                records: 3,
                suppressed: 0,
                metric: "loss".into(),
                loss: 0.0,
                entropy_bits: 0.0,
                discernibility: "0".into(),
                recoding: "global".into(),
            },
            related_resource: files
                .iter()
                .map(|(id, b)| Resource {
                    id: (*id).into(),
                    media_type: "text/plain".into(),
                    digest_sri: digest_sri(&digest(b).sha256),
                    bytes: b.len() as u64,
                    rows: None,
                    columns: None,
                    rows_root: None,
                })
                .collect(),
        }
    }

    #[test]
    fn files_are_verified_only_with_the_listed_size_and_digest() {
        let m = manifest(&[("a.txt", b"abc"), ("t/b.txt", b"xyz")]);
        assert_eq!(check_file(&m, "a.txt", Some(&digest(b"abc"))), FileFinding::Verified);
        assert_eq!(check_file(&m, "t/b.txt", Some(&digest(b"xyz"))), FileFinding::Verified);
        // Wrong digest, same size.
        assert_eq!(
            check_file(&m, "a.txt", Some(&digest(b"abd"))),
            FileFinding::Digest {
                got: digest(b"abd").sha256,
                listed: m.related_resource[0].digest_sri.clone()
            }
        );
        // Wrong size: reported before the digest.
        assert_eq!(check_file(&m, "a.txt", Some(&digest(b"abcd"))), FileFinding::Size { got: 4, listed: 3 });
        // Missing file; extra file (whatever its bytes, even a listed file's).
        assert_eq!(check_file(&m, "a.txt", None), FileFinding::Missing);
        assert_eq!(check_file(&m, "c.txt", Some(&digest(b"abc"))), FileFinding::Extra);
        assert_eq!(check_file(&m, "b.txt", Some(&digest(b"xyz"))), FileFinding::Extra, "paths, not names");
        assert_eq!(check_file(&m, "c.txt", None), FileFinding::Extra);
        // A malformed listing never verifies.
        let mut bad = m.clone();
        bad.related_resource[0].digest_sri = "md5-abc".into();
        assert!(matches!(check_file(&bad, "a.txt", Some(&digest(b"abc"))), FileFinding::BadListing(_)));
    }

    #[test]
    fn a_manifest_without_microdata_says_why() {
        let m = manifest(&[("a.txt", b"abc")]);
        assert_eq!(
            no_microdata(&m).as_deref(),
            Some("the manifest lists no CSV with every quasi-identifier (age) and 3 rows to recount")
        );
    }
}
