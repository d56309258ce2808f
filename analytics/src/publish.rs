//! Release manifests from a release directory, the publish transaction ([`publish_release`]),
//! file-by-file checks, and row proofs.
//! Formats in docs/formats.md ("Releases"). Hashing is streamed: memory does not grow with file
//! size (CSV row leaves are folded into their root as they are read).

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use verifier::write::RowLeafWriter;
use verifier::{
    FileDigest, FileFinding, Hash, MANIFEST_FORMAT, Manifest, PolicyRecord, Privacy, RELEASE_BUNDLE_FORMAT,
    ROW_PROOF_FORMAT, Recount, RecountSpec, Recounter, ReleaseBundle, Resource, RowProof, VC_CONTEXT,
    digest_sri, node_hash,
};

use crate::Error;

mod transaction;
pub use transaction::{
    PublishError, Published, Resumed, credential_log, publish_release, write_bundle, write_json,
};

/// The manifest's file name in a release directory.
pub const MANIFEST_FILE: &str = "manifest.json";
/// The release bundle's file name in a release directory.
pub const BUNDLE_FILE: &str = "manifest.bundle.json";

/// True for a temporary file `publish` writes `manifest.json` or `manifest.bundle.json` through
/// (`.manifest.json.PID-N.tmp`): not a release file, even when a killed run left one behind.
fn is_publish_temporary(rel: &str) -> bool {
    [MANIFEST_FILE, BUNDLE_FILE].iter().any(|f| {
        rel.strip_prefix('.')
            .and_then(|r| r.strip_prefix(*f))
            .is_some_and(|r| r.starts_with('.') && r.ends_with(".tmp"))
    })
}

/// Folds leaf hashes into an RFC 9162 root as they arrive (a stack of perfect subtrees).
#[derive(Debug, Default)]
pub struct RootBuilder {
    stack: Vec<(u64, Hash)>,
    count: u64,
}

impl RootBuilder {
    /// Adds the next leaf hash.
    pub fn push(&mut self, leaf: Hash) {
        self.count += 1;
        let mut node = (1u64, leaf);
        while let Some(&(size, left)) = self.stack.last() {
            if size != node.0 {
                break;
            }
            self.stack.pop();
            node = (size * 2, node_hash(&left, &node.1));
        }
        self.stack.push(node);
    }

    /// The root of all leaves pushed (the SHA-256 of nothing for none), and their number.
    pub fn finish(self) -> (Hash, u64) {
        let mut it = self.stack.into_iter().rev();
        let root = match it.next() {
            None => verifier::tree_root(&[]),
            Some((_, mut h)) => {
                for (_, left) in it {
                    h = node_hash(&left, &h);
                }
                h
            }
        };
        (root, self.count)
    }
}

/// A reader that hashes what passes through it (and recounts it, for the microdata).
struct Hashing<R> {
    inner: R,
    sha: Sha256,
    bytes: u64,
    recount: Option<Recounter>,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.sha.update(&buf[..n]);
        self.bytes += n as u64;
        if let Some(r) = &mut self.recount {
            r.update(&buf[..n]);
        }
        Ok(n)
    }
}

/// A problem with a file `publish`, `prove-row` or `verify` reads (not one it writes).
fn in_err(path: &Path, message: impl Into<String>) -> Error {
    Error::Input { path: path.to_path_buf(), message: message.into() }
}

/// What hashing one file found.
#[derive(Debug, Clone, PartialEq)]
pub struct FileFacts {
    /// SHA-256 of the bytes.
    pub sha256: [u8; 32],
    /// Size.
    pub bytes: u64,
    /// For CSV: header, data rows and rows root.
    pub table: Option<(Vec<String>, u64, Hash)>,
    /// The class recount, when one was asked for (a message if the file cannot be recounted).
    pub recount: Option<Result<Recount, String>>,
}

/// Hashes a file once, streaming; with `tables`, CSV files are also parsed into their rows root;
/// with `recount`, its classes are recounted in the same pass.
pub fn file_facts(path: &Path, tables: bool, recount: Option<RecountSpec>) -> Result<FileFacts, Error> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let mut h = Hashing {
        inner: std::io::BufReader::with_capacity(1 << 20, file),
        sha: Sha256::new(),
        bytes: 0,
        recount: recount.map(Recounter::new),
    };
    let is_csv = tables && path.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    let table = if is_csv {
        let mut rdr = csv::ReaderBuilder::new().has_headers(true).from_reader(&mut h);
        let columns: Vec<String> = rdr
            .headers()
            .map_err(|e| in_err(path, format!("CSV header: {e}")))?
            .iter()
            .map(str::to_string)
            .collect();
        let mut root = RootBuilder::default();
        let mut leaves = RowLeafWriter::new(&columns).map_err(|e| in_err(path, e.to_string()))?;
        let mut rec = csv::StringRecord::new();
        loop {
            match rdr.read_record(&mut rec) {
                Ok(false) => break,
                Ok(true) => {
                    root.push(leaves.leaf(rec.iter()).map_err(|e| in_err(path, e.to_string()))?);
                }
                Err(e) => return Err(in_err(path, format!("CSV: {e}"))),
            }
        }
        let (r, n) = root.finish();
        Some((columns, n, r))
    } else {
        None
    };
    std::io::copy(&mut h, &mut std::io::sink()).map_err(|e| Error::io(path, e))?;
    let recount = h.recount.map(|r| r.finish().map_err(|e| e.to_string()));
    Ok(FileFacts { sha256: h.sha.finalize().into(), bytes: h.bytes, table, recount })
}

/// The release's files (relative `/` paths, sorted), without the manifest and its bundle (nor
/// their temporary files).
pub fn release_files(dir: &Path) -> Result<Vec<String>, Error> {
    fn walk(dir: &Path, prefix: &str, out: &mut Vec<String>) -> Result<(), Error> {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .map_err(|e| Error::io(dir, e))?
            .collect::<Result<_, _>>()
            .map_err(|e| Error::io(dir, e))?;
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let name = e.file_name().to_string_lossy().into_owned();
            let rel = if prefix.is_empty() { name.clone() } else { format!("{prefix}/{name}") };
            let ty = e.file_type().map_err(|err| Error::io(&e.path(), err))?;
            if ty.is_dir() {
                walk(&e.path(), &rel, out)?;
            } else if ty.is_file() {
                if rel != MANIFEST_FILE && rel != BUNDLE_FILE && !is_publish_temporary(&rel) {
                    if !verifier::safe_relative_path(&rel) {
                        return Err(in_err(
                            &e.path(),
                            "has a name a browser would not read as a plain path (one of \\ % : ? # or a control character); rename it",
                        ));
                    }
                    out.push(rel);
                }
            } else {
                return Err(in_err(&e.path(), "is neither a file nor a directory (links are not published)"));
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    walk(dir, "", &mut out)?;
    Ok(out)
}

fn media_type(path: &str) -> &'static str {
    match path.rsplit('.').next() {
        Some("csv") => "text/csv",
        Some("parquet") => "application/vnd.apache.parquet",
        Some("json") => "application/json",
        Some("html") => "text/html",
        _ => "application/octet-stream",
    }
}

/// The release's microdata: the file whose classes `publish` and `verify` recount.
pub const MICRODATA_FILE: &str = "microdata.csv";

/// Builds the manifest of the release in `dir` (made by `anonymise`: its report supplies the
/// policy and privacy figures).
///
/// The figures are not taken on trust: the microdata's classes are recounted while it is
/// hashed, and a report whose k, l, row or suppressed counts differ from what the data has is
/// refused ([`Error::Input`] naming report.json and each difference).
pub fn build_manifest(dir: &Path, publisher: &str, created: &str) -> Result<Manifest, Error> {
    let report_path = dir.join("report.json");
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&report_path).map_err(|e| Error::io(&report_path, e))?)
            .map_err(|e| in_err(&report_path, format!("not a report: {e}")))?;
    let num = |p: &str| report.pointer(p).and_then(serde_json::Value::as_u64);
    let float = |p: &str| report.pointer(p).and_then(serde_json::Value::as_f64);
    let missing =
        |p: &str| in_err(&report_path, format!("has no {p}: is this a release made by `anonymise`?"));
    let policy_text =
        report.pointer("/policy/text").and_then(|v| v.as_str()).ok_or_else(|| missing("/policy/text"))?;
    let privacy = Privacy {
        k: num("/policy/k").ok_or_else(|| missing("/policy/k"))?,
        achieved_k: num("/result/achieved_k").ok_or_else(|| missing("/result/achieved_k"))?,
        // Every entry must read: one that does not is an error, never a claim silently dropped.
        achieved_l: report
            .pointer("/result/achieved_l")
            .and_then(|v| v.as_array())
            .and_then(|a| {
                a.iter()
                    .map(|d| Some((d.get("column")?.as_str()?.to_string(), d.get("distinct_l")?.as_u64()?)))
                    .collect::<Option<Vec<_>>>()
            })
            .ok_or_else(|| missing("/result/achieved_l (a list of {column, distinct_l})"))?,
        quasi_identifiers: report
            .pointer("/attributes")
            .and_then(|v| v.as_array())
            .and_then(|a| a.iter().map(|d| Some(d.get("column")?.as_str()?.to_string())).collect())
            .ok_or_else(|| missing("/attributes (a list of {column})"))?,
        records: num("/input/rows").ok_or_else(|| missing("/input/rows"))?,
        suppressed: num("/result/records_suppressed").ok_or_else(|| missing("/result/records_suppressed"))?,
        metric: report.pointer("/policy/metric").and_then(|v| v.as_str()).unwrap_or_default().to_string(),
        loss: float("/information_loss/loss").unwrap_or(0.0),
        entropy_bits: float("/information_loss/entropy_bits").unwrap_or(0.0),
        discernibility: report
            .pointer("/information_loss/discernibility")
            .map(|v| v.to_string())
            .unwrap_or_default(),
        recoding: report.pointer("/policy/recoding").and_then(|v| v.as_str()).unwrap_or("global").to_string(),
    };
    let spec = RecountSpec {
        quasi_identifiers: privacy.quasi_identifiers.clone(),
        sensitive: privacy.achieved_l.iter().map(|(c, _)| c.clone()).collect(),
    };
    let mut recount = None;
    let mut resources = Vec::new();
    for rel in release_files(dir)? {
        let mut facts = file_facts(&dir.join(&rel), true, (rel == MICRODATA_FILE).then(|| spec.clone()))?;
        if let Some(r) = facts.recount.take() {
            recount = Some(r);
        }
        let (columns, rows, rows_root) = match facts.table {
            Some((c, n, r)) => (Some(c), Some(n), Some(r.to_base64())),
            None => (None, None, None),
        };
        resources.push(Resource {
            media_type: media_type(&rel).to_string(),
            digest_sri: digest_sri(&facts.sha256),
            bytes: facts.bytes,
            rows,
            columns,
            rows_root,
            id: rel,
        });
    }
    let name = dir
        .canonicalize()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "release".into());
    let m = Manifest {
        context: vec![VC_CONTEXT.to_string()],
        format: MANIFEST_FORMAT.to_string(),
        publisher: publisher.to_string(),
        name,
        created: created.to_string(),
        tool: format!("ledgerless {}", env!("CARGO_PKG_VERSION")),
        policy: PolicyRecord {
            sha256: Hash(Sha256::digest(policy_text.as_bytes()).into()).to_hex(),
            text: policy_text.to_string(),
        },
        privacy,
        related_resource: resources,
    };
    m.validate().map_err(|e| in_err(dir, e.to_string()))?;
    let microdata = dir.join(MICRODATA_FILE);
    let recount = match recount {
        None => {
            return Err(in_err(
                &microdata,
                "is missing: the release's k and l cannot be confirmed without its microdata",
            ));
        }
        Some(Err(e)) => return Err(in_err(&microdata, format!("cannot recount its classes: {e}"))),
        Some(Ok(r)) => r,
    };
    let problems = verifier::confirm_recount(&m.privacy, &recount);
    if !problems.is_empty() {
        return Err(in_err(
            &report_path,
            format!(
                "its figures differ from what {MICRODATA_FILE} holds ({}); refusing to publish claims the data does not bear out: re-run `ledgerless anonymise`",
                problems.join("; ")
            ),
        ));
    }
    Ok(m)
}

/// The verdict on one file of a release.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase", tag = "status", content = "detail")]
pub enum FileStatus {
    /// Bytes, size and (for tables) rows as published.
    Verified,
    /// Different content; says what differs.
    Altered(String),
    /// Listed in the manifest but absent.
    Missing,
    /// Present but not in the manifest.
    Extra,
}

/// What checking a release's files found.
#[derive(Debug, Clone, PartialEq)]
pub struct FilesCheck {
    /// Each file's verdict, listed files first, then extra ones.
    pub files: Vec<(String, FileStatus)>,
    /// The microdata file recounted, and what the recount found: either the problems (empty
    /// when every privacy claim of the manifest holds) or why it could not be recounted.
    pub recount: Result<(String, Recount, Vec<String>), String>,
}

impl FilesCheck {
    /// Every file verified and the recount confirms the manifest's claims.
    pub fn verified(&self) -> bool {
        self.files.iter().all(|(_, s)| *s == FileStatus::Verified)
            && self.recount.as_ref().is_ok_and(|(_, _, problems)| problems.is_empty())
    }
}

/// Checks every listed file of `dir` against the manifest, names files it does not list, and
/// recounts the microdata's classes (in the same streaming pass) to confirm the k, l, rows and
/// suppressed rows the manifest claims.
pub fn check_files(dir: &Path, manifest: &Manifest) -> Result<FilesCheck, Error> {
    let microdata = verifier::release_microdata(manifest);
    let mut recount = Err(match &microdata {
        None => verifier::no_microdata(manifest).unwrap_or_default(),
        Some((r, _)) => format!("{} is missing", r.id),
    });
    let mut out = Vec::new();
    for r in &manifest.related_resource {
        let path: PathBuf = r.id.split('/').fold(dir.to_path_buf(), |p, part| p.join(part));
        if !path.is_file() {
            out.push((r.id.clone(), file_status(&path, verifier::check_listed_file(r, None))?));
            continue;
        }
        // Same bytes means same rows: only the digest is needed here (and, for the
        // microdata, the recount, in the same pass).
        let spec = microdata.as_ref().filter(|(m, _)| m.id == r.id).map(|(_, s)| s.clone());
        let facts = file_facts(&path, false, spec).map(|mut f| {
            if let Some(rc) = f.recount.take() {
                recount = rc.map(|c| {
                    let problems = verifier::confirm_recount(&manifest.privacy, &c);
                    (r.id.clone(), c, problems)
                });
            }
            f
        });
        let got = match facts {
            Err(e) => {
                out.push((r.id.clone(), FileStatus::Altered(e.to_string())));
                continue;
            }
            Ok(f) => FileDigest { bytes: f.bytes, sha256: f.sha256 },
        };
        out.push((r.id.clone(), file_status(&path, verifier::check_listed_file(r, Some(&got)))?));
    }
    for f in release_files(dir)? {
        if verifier::check_file(manifest, &f, None) == FileFinding::Extra {
            out.push((f, FileStatus::Extra));
        }
    }
    Ok(FilesCheck { files: out, recount })
}

/// The verifier's finding on one file ([`verifier::check_file`], the comparison the browser
/// makes too), in the words `ledgerless verify` prints; a malformed listing is an error.
fn file_status(path: &Path, finding: FileFinding) -> Result<FileStatus, Error> {
    Ok(match finding {
        FileFinding::Verified => FileStatus::Verified,
        FileFinding::Size { got, listed } => FileStatus::Altered(format!("{got} bytes, published {listed}")),
        FileFinding::Digest { got, listed } => {
            FileStatus::Altered(format!("SHA-256 {}, published {listed}", digest_sri(&got)))
        }
        FileFinding::Missing => FileStatus::Missing,
        FileFinding::Extra => FileStatus::Extra,
        FileFinding::BadListing(e) => return Err(in_err(path, e)),
    })
}

/// A proof that data row `row` (zero-based) of `file` is in the release published in `dir`.
pub fn prove_row(dir: &Path, file: &str, row: u64) -> Result<RowProof, Error> {
    let bundle_path = dir.join(BUNDLE_FILE);
    let bytes = std::fs::read(&bundle_path)
        .map_err(|e| in_err(&bundle_path, format!("cannot read ({e}); publish the release first")))?;
    let release = ReleaseBundle::parse(&bytes).map_err(|e| in_err(&bundle_path, e.to_string()))?;
    let res = release
        .manifest
        .resource(file)
        .ok_or_else(|| in_err(dir, format!("{file:?} is not a file of the published release")))?;
    let (Some(columns), Some(rows)) = (res.columns.clone(), res.rows) else {
        return Err(in_err(dir, format!("{file:?} is not a table (no rows)")));
    };
    if row >= rows {
        return Err(in_err(
            dir,
            format!("{file:?} has {rows} rows (0 to {}); there is no row {row}", rows - 1),
        ));
    }
    // One streaming pass: the whole root (to check the file) and each sibling subtree of the
    // row's RFC 9162 audit path, so memory does not grow with the number of rows.
    let path = dir.join(file);
    let ranges = audit_path_ranges(row, rows);
    let mut siblings: Vec<RootBuilder> = ranges.iter().map(|_| RootBuilder::default()).collect();
    let mut whole = RootBuilder::default();
    let mut values = Vec::new();
    let mut rdr = csv::Reader::from_path(&path).map_err(|e| in_err(&path, e.to_string()))?;
    let mut rec = csv::StringRecord::new();
    let mut writer = RowLeafWriter::new(&columns).map_err(|e| in_err(&path, e.to_string()))?;
    let mut i = 0u64;
    while rdr.read_record(&mut rec).map_err(|e| in_err(&path, e.to_string()))? {
        let leaf = writer.leaf(rec.iter()).map_err(|e| in_err(&path, e.to_string()))?;
        whole.push(leaf);
        if let Some(k) = ranges.iter().position(|&(a, b)| a <= i && i < b) {
            siblings[k].push(leaf);
        }
        if i == row {
            values = rec.iter().map(str::to_string).collect();
        }
        i += 1;
    }
    let (root, n) = whole.finish();
    if n != rows || root.to_base64() != res.rows_root.clone().unwrap_or_default() {
        return Err(in_err(
            &path,
            "its rows differ from the published ones; run `ledgerless verify` on the release",
        ));
    }
    let proof: Vec<Hash> = siblings.into_iter().map(|b| b.finish().0).collect();
    Ok(RowProof {
        format: ROW_PROOF_FORMAT.to_string(),
        release,
        file: file.to_string(),
        row,
        values,
        proof: proof.iter().map(Hash::to_base64).collect(),
    })
}

/// The leaf ranges whose subtree hashes form the RFC 9162 audit path of leaf `m` in a tree of
/// `n` leaves, in proof order (nearest sibling first).
fn audit_path_ranges(m: u64, n: u64) -> Vec<(u64, u64)> {
    fn go(m: u64, lo: u64, hi: u64, out: &mut Vec<(u64, u64)>) {
        let n = hi - lo;
        if n <= 1 {
            return;
        }
        let k = if n.is_power_of_two() { n / 2 } else { 1 << (63 - (n - 1).leading_zeros()) };
        if m < lo + k {
            go(m, lo, lo + k, out);
            out.push((lo + k, hi));
        } else {
            go(m, lo + k, hi, out);
            out.push((lo, lo + k));
        }
    }
    let mut out = Vec::new();
    go(m, 0, n, &mut out);
    out
}

/// The release bundle of a manifest and its tlog-proof.
pub fn bundle(manifest: Manifest, tlog_proof: String) -> ReleaseBundle {
    ReleaseBundle { format: RELEASE_BUNDLE_FORMAT.to_string(), manifest, tlog_proof }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression: a malformed `achieved_l` entry used to be dropped, so the manifest silently
    /// claimed less than the report; now the report is refused.
    #[test]
    fn a_malformed_l_diversity_entry_is_refused_not_dropped() {
        let dir = std::env::temp_dir().join(format!("ledgerless-publish-l-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let report = serde_json::json!({
            "policy": {"text": "k = 2\n", "k": 2},
            "result": {"achieved_k": 2, "achieved_l": [{"column": "diagnosis"}]},
        });
        std::fs::write(dir.join("report.json"), report.to_string()).expect("write report");
        let e = build_manifest(&dir, "example.org/releases", "2026-01-01T00:00:00Z")
            .expect_err("an l claim without distinct_l");
        let _ = std::fs::remove_dir_all(&dir);
        assert!(e.to_string().contains("/result/achieved_l"), "{e}");
    }

    /// A killed `publish` may leave its temporary files; they are never release files.
    #[test]
    fn publish_temporaries_are_not_release_files() {
        for t in [".manifest.json.12-0.tmp", ".manifest.bundle.json.345-2.tmp"] {
            assert!(is_publish_temporary(t), "{t}");
        }
        for f in [
            "manifest.json.tmp",
            ".manifest.jsonx.tmp",
            ".manifest.json.1-0",
            "tables/a.tmp",
            ".report.json.1-0.tmp",
        ] {
            assert!(!is_publish_temporary(f), "{f}");
        }
    }

    #[test]
    fn streaming_root_equals_rfc9162_root() {
        for n in [0usize, 1, 2, 3, 5, 8, 13, 64, 100] {
            let leaves: Vec<Hash> = (0..n).map(|i| verifier::leaf_hash(&i.to_le_bytes())).collect();
            let mut b = RootBuilder::default();
            leaves.iter().for_each(|l| b.push(*l));
            assert_eq!(b.finish(), (verifier::tree_root(&leaves), n as u64), "n = {n}");
        }
    }

    #[test]
    fn streamed_audit_paths_verify() {
        for n in [1u64, 2, 3, 5, 8, 13, 100] {
            let leaves: Vec<Hash> = (0..n).map(|i| verifier::leaf_hash(&i.to_le_bytes())).collect();
            let root = verifier::tree_root(&leaves);
            for m in 0..n {
                let proof: Vec<Hash> = audit_path_ranges(m, n)
                    .iter()
                    .map(|&(a, b)| verifier::tree_root(&leaves[a as usize..b as usize]))
                    .collect();
                verifier::verify_inclusion(m, n, &leaves[m as usize], &proof, &root).unwrap();
            }
        }
    }
}
