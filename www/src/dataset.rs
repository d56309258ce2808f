//! Checking the files of a published release in the browser: streaming SHA-256 of a file fed
//! in chunks, and for the microdata CSV a recount of its equivalence classes (rows sharing all
//! quasi-identifier values) so anyone can confirm the claimed k and l on their own machine.
//! Pure: the Web Worker (`worker`) feeds it chunks; tested natively.

use std::collections::{HashMap, HashSet};

use sha2::Digest as _;

/// What to recount in a CSV: the quasi-identifier columns and the sensitive columns.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RecountSpec {
    /// Quasi-identifier column names (a class = rows with equal values in all of them).
    pub quasi_identifiers: Vec<String>,
    /// Sensitive columns whose distinct values per class are counted (distinct l).
    pub sensitive: Vec<String>,
}

/// What a recount found.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Recount {
    /// Data rows (the header excluded).
    pub rows: u64,
    /// Rows whose quasi-identifiers are all `*` (suppressed; they form no class).
    pub suppressed: u64,
    /// Equivalence classes among the other rows.
    pub classes: u64,
    /// The smallest class: the k the data achieves (0 if every row is suppressed).
    pub smallest: u64,
    /// Per sensitive column: the fewest distinct values in any class (distinct l).
    pub distinct_l: Vec<(String, u64)>,
}

/// The longest row the recount accepts (bytes); an unclosed quote would otherwise make the
/// rest of a 1 GB file one row.
const MAX_RECORD: usize = 16 << 20;

#[derive(Debug, Default)]
struct Class {
    rows: u64,
    sensitive: Vec<HashSet<Vec<u8>>>,
}

/// Streams a CSV (RFC 4180, as `anonymise` writes it) and counts its classes.
#[derive(Debug)]
pub struct Recounter {
    spec: RecountSpec,
    reader: csv_core::Reader,
    out: Vec<u8>,
    ends: Vec<usize>,
    out_len: usize,
    ends_len: usize,
    /// Column indices of the quasi-identifiers and sensitive columns, once the header is read.
    columns: Option<(Vec<usize>, Vec<usize>)>,
    width: usize,
    classes: HashMap<Vec<u8>, Class>,
    rows: u64,
    suppressed: u64,
    error: Option<String>,
    /// The file's first bytes, held until there are 3: csv-core strips a UTF-8 byte-order
    /// mark only when it arrives whole, and the result must not depend on chunking.
    head: Option<Vec<u8>>,
}

impl Recounter {
    /// A recounter for `spec`.
    pub fn new(spec: RecountSpec) -> Recounter {
        Recounter {
            spec,
            reader: csv_core::Reader::new(),
            out: vec![0; 4096],
            ends: vec![0; 64],
            out_len: 0,
            ends_len: 0,
            columns: None,
            width: 0,
            classes: HashMap::new(),
            rows: 0,
            suppressed: 0,
            error: None,
            head: Some(Vec::new()),
        }
    }

    /// Feeds the next bytes of the file (an empty chunk is no signal: see [`Recounter::finish`]).
    pub fn update(&mut self, input: &[u8]) {
        if let Some(mut head) = self.head.take() {
            head.extend_from_slice(input);
            if head.len() < 3 {
                self.head = Some(head);
            } else {
                self.parse(&head);
            }
        } else if !input.is_empty() {
            self.parse(input);
        }
    }

    /// Runs csv-core over `input`; an empty `input` tells it the file has ended.
    fn parse(&mut self, mut input: &[u8]) {
        while self.error.is_none() {
            let (res, nin, nout, nend) = self.reader.read_record(
                input,
                &mut self.out[self.out_len..],
                &mut self.ends[self.ends_len..],
            );
            input = &input[nin..];
            self.out_len += nout;
            self.ends_len += nend;
            match res {
                csv_core::ReadRecordResult::InputEmpty => {
                    if input.is_empty() {
                        return;
                    }
                }
                csv_core::ReadRecordResult::OutputFull => {
                    let n = self.out.len() * 2;
                    if n > MAX_RECORD {
                        self.error = Some(format!(
                            "row {} is longer than {} MiB (an unclosed quote?): not a table this page can recount",
                            self.rows + 1,
                            MAX_RECORD >> 20
                        ));
                        return;
                    }
                    self.out.resize(n, 0);
                }
                csv_core::ReadRecordResult::OutputEndsFull => {
                    let n = self.ends.len() * 2;
                    self.ends.resize(n, 0);
                }
                csv_core::ReadRecordResult::Record => {
                    self.record();
                    self.out_len = 0;
                    self.ends_len = 0;
                }
                csv_core::ReadRecordResult::End => return,
            }
        }
    }

    fn field(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.out[start..self.ends[i]]
    }

    fn record(&mut self) {
        let n = self.ends_len;
        let Some((qi, sens)) = &self.columns else {
            let names: Vec<String> =
                (0..n).map(|i| String::from_utf8_lossy(self.field(i)).into_owned()).collect();
            if let Some(dup) = names.iter().enumerate().find(|(i, x)| names[..*i].contains(x)).map(|(_, x)| x)
            {
                // Which of two same-named columns is "the" quasi-identifier would be a guess.
                self.error = Some(format!("the header names column {dup:?} twice"));
                return;
            }
            let find = |c: &String| {
                names.iter().position(|n| n == c).ok_or_else(|| format!("the file has no column {c:?}"))
            };
            let cols =
                self.spec.quasi_identifiers.iter().map(find).collect::<Result<Vec<_>, _>>().and_then(|q| {
                    Ok((q, self.spec.sensitive.iter().map(find).collect::<Result<Vec<_>, _>>()?))
                });
            match cols {
                Ok(c) => self.columns = Some(c),
                Err(e) => self.error = Some(e),
            }
            self.width = n;
            return;
        };
        if n != self.width {
            self.error =
                Some(format!("row {} has {n} fields but the header has {}", self.rows + 1, self.width));
            return;
        }
        self.rows += 1;
        if qi.iter().all(|&i| self.field(i) == b"*") {
            self.suppressed += 1;
            return;
        }
        // Length-prefixed fields: no two different rows share a key, whatever the values hold.
        let mut key = Vec::new();
        for &i in qi {
            let f = self.field(i);
            key.extend_from_slice(&(f.len() as u64).to_le_bytes());
            key.extend_from_slice(f);
        }
        let values: Vec<Vec<u8>> = sens.iter().map(|&i| self.field(i).to_vec()).collect();
        let class = self.classes.entry(key).or_default();
        class.rows += 1;
        if class.sensitive.is_empty() {
            class.sensitive = vec![HashSet::new(); values.len()];
        }
        for (set, v) in class.sensitive.iter_mut().zip(values) {
            set.insert(v);
        }
    }

    /// The recount, once every byte was fed.
    ///
    /// # Errors
    /// A message naming what is wrong: a missing column, a ragged row, malformed CSV.
    pub fn finish(mut self) -> Result<Recount, String> {
        if let Some(head) = self.head.take() {
            self.parse(&head);
        }
        self.parse(&[]);
        if let Some(e) = self.error {
            return Err(e);
        }
        if self.columns.is_none() {
            return Err("the file is empty (no header)".to_owned());
        }
        let smallest = self.classes.values().map(|c| c.rows).min().unwrap_or(0);
        let distinct_l = self
            .spec
            .sensitive
            .iter()
            .enumerate()
            .map(|(i, name)| {
                (name.clone(), self.classes.values().map(|c| c.sensitive[i].len() as u64).min().unwrap_or(0))
            })
            .collect();
        Ok(Recount {
            rows: self.rows,
            suppressed: self.suppressed,
            classes: self.classes.len() as u64,
            smallest,
            distinct_l,
        })
    }
}

/// SHA-256 and size of a file fed in chunks, and optionally its recount.
#[derive(Debug)]
pub struct FileCheck {
    sha: sha2::Sha256,
    bytes: u64,
    recount: Option<Recounter>,
}

/// What checking one file found.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Checked {
    /// SHA-256 of the bytes.
    pub sha256: [u8; 32],
    /// Size.
    pub bytes: u64,
    /// The class recount, when one was asked for.
    pub recount: Option<Result<Recount, String>>,
}

impl FileCheck {
    /// Starts checking a file; recounts classes if `spec` is given.
    pub fn new(spec: Option<RecountSpec>) -> FileCheck {
        FileCheck { sha: sha2::Sha256::new(), bytes: 0, recount: spec.map(Recounter::new) }
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
            recount: self.recount.map(Recounter::finish),
        }
    }
}

/// Where one listed file of a release stands in this browser.
#[derive(Debug, Clone, PartialEq)]
pub enum FileState {
    /// Not checked yet (not fetched, not dropped).
    Waiting,
    /// Being hashed: bytes done of total (0 if unknown).
    Hashing(u64, u64),
    /// Same size and SHA-256 as the manifest lists.
    Verified,
    /// Different content: what differs.
    Altered(String),
    /// Not on the site (HTTP 404).
    Missing,
    /// Could not be read.
    Failed(String),
}

impl FileState {
    /// The word shown and used as `data-status`.
    pub fn word(&self) -> &'static str {
        match self {
            FileState::Waiting => "waiting",
            FileState::Hashing(..) => "hashing",
            FileState::Verified => "verified",
            FileState::Altered(_) => "altered",
            FileState::Missing => "missing",
            FileState::Failed(_) => "failed",
        }
    }
}

/// Compares a checked file with what the manifest lists for it.
pub fn judge(expected: &verifier::Resource, got: &Checked) -> FileState {
    let want = match expected.sha256() {
        Ok(h) => h,
        Err(e) => return FileState::Failed(e.to_string()),
    };
    match (got.bytes == expected.bytes, got.sha256 == want) {
        (true, true) => FileState::Verified,
        (false, _) => {
            FileState::Altered(format!("{} bytes, the manifest lists {}", got.bytes, expected.bytes))
        }
        (true, false) => FileState::Altered("same size, different SHA-256".to_owned()),
    }
}

/// Which listed file a dropped file is: the one with its exact path, else the only one with
/// its name (a file dropped on its own has no directory). A bare name that several listed
/// files share (`a.csv`, `t/a.csv`) matches none: judging it against either would be a guess.
pub fn match_file(manifest: &verifier::Manifest, name: &str) -> Option<usize> {
    let files = &manifest.related_resource;
    if name.contains('/')
        && let Some(i) = files.iter().position(|r| r.id == name)
    {
        return Some(i);
    }
    let base = name.rsplit('/').next().unwrap_or(name);
    let mut same = files.iter().enumerate().filter(|(_, r)| r.id.rsplit('/').next() == Some(base));
    match (same.next(), same.next()) {
        (Some((i, _)), None) => Some(i),
        _ => None,
    }
}

/// The recount to run for a listed file: for the microdata (a CSV with every quasi-identifier
/// and one row per released record), its classes; none for tables (grouped by some
/// quasi-identifiers, one row per group) and other files.
pub fn recount_spec(manifest: &verifier::Manifest, file: &verifier::Resource) -> Option<RecountSpec> {
    let p = &manifest.privacy;
    let columns = file.columns.as_ref()?;
    if p.quasi_identifiers.is_empty()
        || !p.quasi_identifiers.iter().all(|q| columns.contains(q))
        || file.rows != Some(p.records)
    {
        return None;
    }
    Some(RecountSpec {
        quasi_identifiers: p.quasi_identifiers.clone(),
        sensitive: p.achieved_l.iter().map(|(c, _)| c.clone()).filter(|c| columns.contains(c)).collect(),
    })
}

/// Whether a recount confirms the manifest's claims, with a sentence saying so.
pub fn confirm(manifest: &verifier::Manifest, r: &Recount) -> (bool, String) {
    let p = &manifest.privacy;
    let mut problems = Vec::new();
    if r.smallest != p.achieved_k {
        problems.push(format!(
            "the smallest class has {} rows, the manifest claims k = {}",
            r.smallest, p.achieved_k
        ));
    }
    if r.smallest < p.k && r.classes > 0 {
        problems.push(format!("classes smaller than the policy's k = {}", p.k));
    }
    if r.rows != p.records {
        problems.push(format!("{} rows, the manifest claims {}", r.rows, p.records));
    }
    for (col, _) in &p.achieved_l {
        if !r.distinct_l.iter().any(|(c, _)| c == col) {
            problems.push(format!("the file has no column {col:?}, whose l the manifest claims"));
        }
    }
    if r.suppressed != p.suppressed {
        problems.push(format!("{} rows suppressed, the manifest claims {}", r.suppressed, p.suppressed));
    }
    for (col, l) in &r.distinct_l {
        if let Some((_, claimed)) = p.achieved_l.iter().find(|(c, _)| c == col)
            && l != claimed
        {
            problems.push(format!("{col}: distinct l = {l}, the manifest claims {claimed}"));
        }
    }
    if problems.is_empty() {
        let l: Vec<String> = r.distinct_l.iter().map(|(c, l)| format!("{c} l = {l}")).collect();
        let l = if l.is_empty() { String::new() } else { format!(", {}", l.join(", ")) };
        (
            true,
            format!(
                "Confirmed on this computer: {} rows in {} classes, the smallest has {} rows (k = {}){l}; {} rows suppressed.",
                r.rows, r.classes, r.smallest, p.achieved_k, r.suppressed
            ),
        )
    } else {
        (false, format!("The recount does not match: {}.", problems.join("; ")))
    }
}

/// What a check is about, in the words of "Could not check …".
fn check_noun(check: &str) -> &'static str {
    match check {
        "log-history" => "the publisher's log",
        "witness-quorum" => "the witnesses",
        _ => "everything",
    }
}

/// Bytes the worker reads per step: large for throughput, small for smooth progress.
pub const CHUNK: u64 = 8 << 20;

/// One file for the worker to check.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Job {
    /// The page's id for the file ([`ReleaseState::files`] index).
    pub id: u32,
    /// Fetch this URL (same site) instead of reading the posted `File`.
    pub url: Option<String>,
    /// Recount classes while hashing.
    pub recount: Option<RecountSpec>,
}

/// What the worker posts back.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Reply {
    /// The worker has loaded and takes jobs (messages sent before this would be lost).
    Ready,
    /// Bytes done of total (0 if the size is unknown).
    Progress(u32, u64, u64),
    /// The file was checked.
    Done(u32, Checked),
    /// The site has no such file (HTTP 404).
    Missing(u32),
    /// The file could not be read.
    Failed(u32, String),
}

/// Checks a `#release=` path: relative to the site (so it can only name a file of this
/// site's origin), without a scheme, host or backslash.
///
/// # Errors
/// Why the path is refused.
pub fn release_path(fragment: &str) -> Result<Option<String>, String> {
    let Some(rest) = fragment.trim_start_matches('#').strip_prefix("release") else { return Ok(None) };
    let Some(path) = rest.strip_prefix('=') else { return Ok(None) };
    let path = path.split('&').next().unwrap_or_default();
    if path.is_empty() {
        return Ok(None);
    }
    if path.contains(':') || path.starts_with('/') || path.contains('\\') || path.contains('%') {
        return Err(format!(
            "the link names {path:?}: a release link must name a file on this site by a relative path"
        ));
    }
    Ok(Some(path.to_owned()))
}

/// One listed (or extra) file as shown.
#[derive(Debug, Clone, PartialEq)]
pub struct FileRow {
    /// Its path in the release (or the dropped file's name, for an extra).
    pub id: String,
    /// What the manifest lists; `None` for a file the manifest does not list (extra).
    pub listed: Option<verifier::Resource>,
    /// Where it stands.
    pub state: FileState,
    /// The class recount and whether it confirms the manifest, for the microdata.
    pub recount: Option<Result<(bool, String), String>>,
}

/// The release page's state.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReleaseState {
    /// Which load this state belongs to: answers for an earlier link are dropped.
    pub load: u32,
    /// Where the bundle came from.
    pub source: String,
    /// The bundle's verification report.
    pub report: Option<verifier::Report>,
    /// The manifest, once parsed (even if verification failed, to show what it claims).
    pub manifest: Option<verifier::Manifest>,
    /// The bundle's URL on this site, when it came from a link (files are fetched next to it).
    pub base: Option<String>,
    /// Listed files first (in manifest order), then extras.
    pub files: Vec<FileRow>,
    /// Worker jobs still running: job id → row. A row checked again (fetched, then dropped)
    /// follows its newest job only; replies for unknown jobs are dropped.
    pub jobs: std::collections::HashMap<u32, usize>,
    /// The latest row proof checked: its report and the proof.
    pub row: Option<(verifier::Report, Option<verifier::RowProof>)>,
    /// A problem with the input itself.
    pub error: Option<String>,
}

/// What can happen on the release page.
#[derive(Debug, Clone)]
pub enum ReleaseAction {
    /// Load number `n` started (a new link or bundle): everything shown before goes.
    Loading(u32),
    /// Load `n` verified its bundle: source, report, manifest, base URL.
    Loaded(u32, String, verifier::Report, Option<verifier::Manifest>, Option<String>),
    /// Load `n` failed before there was a bundle to verify.
    LoadFailed(u32, String),
    /// Something the user did could not be done (the page stays as it is).
    Error(String),
    /// Job `job` checks the listed file in row `row`.
    Start(u32, usize),
    /// Job `job` checks a dropped file the manifest does not list: a new row.
    Extra(u32, String),
    /// The worker answered.
    Worker(Reply),
    /// The worker stopped working (it failed to load or crashed): running jobs fail.
    WorkerFailed(String),
    /// A row proof was checked.
    Row(verifier::Report, Option<verifier::RowProof>),
}

impl ReleaseState {
    /// The reducer.
    pub fn reduce(mut self, action: ReleaseAction) -> ReleaseState {
        match action {
            ReleaseAction::Loading(n) => {
                self = ReleaseState { load: n, row: self.row, ..ReleaseState::default() };
            }
            ReleaseAction::Loaded(n, source, report, manifest, base) if n == self.load => {
                self.files = match (&manifest, report.verified) {
                    (Some(m), true) => m
                        .related_resource
                        .iter()
                        .map(|r| FileRow {
                            id: r.id.clone(),
                            listed: Some(r.clone()),
                            state: FileState::Waiting,
                            recount: None,
                        })
                        .collect(),
                    _ => Vec::new(),
                };
                self.jobs.clear();
                (self.source, self.report, self.manifest, self.base, self.error) =
                    (source, Some(report), manifest, base, None);
            }
            ReleaseAction::LoadFailed(n, e) if n == self.load => self.error = Some(e),
            ReleaseAction::Loaded(..) | ReleaseAction::LoadFailed(..) => {}
            ReleaseAction::Error(e) => self.error = Some(e),
            ReleaseAction::Start(job, row) => {
                if let Some(f) = self.files.get_mut(row) {
                    (f.state, f.recount) = (FileState::Hashing(0, 0), None);
                    self.jobs.retain(|_, r| *r != row);
                    self.jobs.insert(job, row);
                }
            }
            ReleaseAction::Extra(job, name) => {
                self.files.push(FileRow {
                    id: name,
                    listed: None,
                    state: FileState::Hashing(0, 0),
                    recount: None,
                });
                self.jobs.insert(job, self.files.len() - 1);
            }
            ReleaseAction::Worker(reply) => self.worker(reply),
            ReleaseAction::WorkerFailed(e) => {
                for row in std::mem::take(&mut self.jobs).into_values() {
                    if let Some(f) = self.files.get_mut(row) {
                        f.state = FileState::Failed(e.clone());
                    }
                }
            }
            ReleaseAction::Row(report, proof) => self.row = Some((report, proof)),
        }
        self
    }

    fn worker(&mut self, reply: Reply) {
        let job = match &reply {
            Reply::Ready => return,
            Reply::Progress(id, ..) | Reply::Done(id, _) | Reply::Missing(id) | Reply::Failed(id, _) => *id,
        };
        let Some(&row) = self.jobs.get(&job) else { return };
        let finished = !matches!(reply, Reply::Progress(..));
        if finished {
            self.jobs.remove(&job);
        }
        let manifest = self.manifest.clone();
        let Some(f) = self.files.get_mut(row) else { return };
        match reply {
            Reply::Ready => {}
            Reply::Progress(_, done, total) => f.state = FileState::Hashing(done, total),
            Reply::Missing(_) => f.state = FileState::Missing,
            Reply::Failed(_, e) => f.state = FileState::Failed(e),
            Reply::Done(_, checked) => {
                f.state = match &f.listed {
                    Some(r) => judge(r, &checked),
                    None => FileState::Verified,
                };
                // A recount is only worth showing for the file as published.
                f.recount = match (checked.recount, &manifest, &f.state) {
                    (Some(Ok(rc)), Some(m), FileState::Verified) => Some(Ok(confirm(m, &rc))),
                    (Some(Err(e)), _, FileState::Verified) => Some(Err(e)),
                    _ => None,
                };
            }
        }
    }

    /// The headline: `data-verdict` (`valid`, `invalid` or `unchecked`) and its word. The
    /// manifest's verification alone gives "Manifest verified"; then every file checked counts:
    /// an altered, missing or unreadable file, or a recount that disagrees with the manifest,
    /// makes the release invalid; "Valid" only once every listed file is verified and the
    /// claims recounted. `None` before a bundle was verified.
    pub fn headline(&self) -> Option<(&'static str, String)> {
        let r = self.report.as_ref()?;
        if !r.verified {
            return Some(match r.failure() {
                Some(f) if f.outcome == verifier::Outcome::Unchecked => {
                    ("unchecked", format!("Could not check {}", check_noun(f.check)))
                }
                Some(f) if f.check == "publisher" => ("invalid", "Untrusted publisher".to_owned()),
                _ => ("invalid", "Invalid".to_owned()),
            });
        }
        if !self.problems().is_empty() {
            return Some(("invalid", "Invalid: the files are not as published".to_owned()));
        }
        if self.files.iter().any(|f| matches!(f.recount, Some(Err(_)))) {
            return Some(("unchecked", "Could not confirm the anonymity claims".to_owned()));
        }
        let listed: Vec<&FileRow> = self.files.iter().filter(|f| f.listed.is_some()).collect();
        if !listed.is_empty() && listed.iter().all(|f| f.state == FileState::Verified) {
            return Some(("valid", "Valid".to_owned()));
        }
        Some(("valid", "Manifest verified; files not all checked yet".to_owned()))
    }

    /// What is wrong with the files checked so far: each altered, missing or unreadable listed
    /// file, and each recount that contradicts the manifest.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        for f in self.files.iter().filter(|f| f.listed.is_some()) {
            match &f.state {
                FileState::Altered(why) => out.push(format!("{} is altered ({why})", f.id)),
                FileState::Missing => out.push(format!("{} is missing", f.id)),
                FileState::Failed(why) => out.push(format!("{} could not be checked ({why})", f.id)),
                _ => {}
            }
            if let Some(Ok((false, why))) = &f.recount {
                out.push(format!("{}: {why}", f.id));
            }
        }
        out
    }

    /// Whether a recount on this computer confirmed the manifest's k and l: `Some(true)` once a
    /// verified file's recount agrees (and none disagrees), `Some(false)` if one disagrees,
    /// `None` while they are only claimed.
    pub fn claims_confirmed(&self) -> Option<bool> {
        let recounts: Vec<_> = self.files.iter().filter_map(|f| f.recount.as_ref()).collect();
        if recounts.iter().any(|r| matches!(r, Ok((false, _)))) {
            Some(false)
        } else if !recounts.is_empty() && recounts.iter().all(|r| matches!(r, Ok((true, _)))) {
            Some(true)
        } else {
            None
        }
    }

    /// Whether every listed file is verified, no extra file was given, and every recount
    /// confirms the manifest.
    pub fn all_verified(&self) -> bool {
        !self.files.is_empty()
            && self.files.iter().all(|f| {
                f.listed.is_some()
                    && f.state == FileState::Verified
                    && !matches!(f.recount, Some(Err(_)) | Some(Ok((false, _))))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> RecountSpec {
        RecountSpec {
            quasi_identifiers: vec!["age".into(), "sex".into()],
            sensitive: vec!["diagnosis".into()],
        }
    }

    fn run(csv: &str, chunk: usize) -> Result<Recount, String> {
        let mut r = Recounter::new(spec());
        for c in csv.as_bytes().chunks(chunk) {
            r.update(c);
        }
        r.finish()
    }

    const CSV: &str = "age,sex,diagnosis,stay\n\
        20-29,F,J06,1\n20-29,F,I10,2\n20-29,F,J06,3\n\
        \"30-39\",M,\"E11, type 2\",4\n30-39,M,E11,1\n\
        *,*,Z00,0\n30-39,M,I10\n";

    #[test]
    fn counts_classes_in_any_chunking() {
        for chunk in [1, 2, 3, 7, 64, 4096] {
            let r = run(&CSV.replace("I10\n", "I10,9\n"), chunk).expect("recount");
            assert_eq!(
                r,
                Recount {
                    rows: 7,
                    suppressed: 1,
                    classes: 2,
                    smallest: 3,
                    distinct_l: vec![("diagnosis".into(), 2)],
                },
                "chunk {chunk}"
            );
        }
    }

    #[test]
    fn empty_chunks_and_a_split_byte_order_mark_change_nothing() {
        let csv = format!("\u{feff}{}", CSV.replace("I10\n", "I10,9\n"));
        let want = run(&csv, 4096).expect("recount");
        assert_eq!(want.rows, 7);
        for cut in 0..8 {
            let mut r = Recounter::new(spec());
            let (a, b) = csv.as_bytes().split_at(cut);
            for part in [&[][..], a, &[], &[], b, &[]] {
                r.update(part);
            }
            assert_eq!(r.finish().expect("recount"), want, "cut at {cut}");
        }
    }

    #[test]
    fn quoted_separators_and_no_final_newline() {
        let r = run("age,sex,diagnosis\n\"1,2\",F,a\n1,\"2,F\",b\n\"1,2\",F,c", 5).expect("recount");
        // "1,2"+"F" and "1"+"2,F" are different classes even though their joined text is equal.
        assert_eq!((r.rows, r.classes, r.smallest), (3, 2, 1));
        assert_eq!(r.distinct_l, vec![("diagnosis".into(), 1)]);
    }

    #[test]
    fn a_repeated_column_name_or_an_endless_row_is_refused() {
        // A decoy first "age" column must not stand in for the real one.
        assert_eq!(
            run("age,age,sex,diagnosis\nX,1,F,a\nX,2,F,b\n", 3).unwrap_err(),
            "the header names column \"age\" twice"
        );
        let mut r = Recounter::new(spec());
        r.update(b"age,sex,diagnosis\n\"");
        for _ in 0..40 {
            r.update(&[b'x'; 1 << 20]);
        }
        assert!(r.finish().unwrap_err().contains("longer than 16 MiB"));
    }

    #[test]
    fn rejects_missing_columns_ragged_rows_and_empty_files() {
        assert_eq!(run("age,diagnosis\n1,a\n", 4).unwrap_err(), "the file has no column \"sex\"");
        assert_eq!(run(CSV, 9).unwrap_err(), "row 7 has 3 fields but the header has 4");
        assert_eq!(run("", 9).unwrap_err(), "the file is empty (no header)");
    }

    fn manifest() -> verifier::Manifest {
        let sri = verifier::digest_sri(&sha2::Sha256::digest(b"abc").into());
        serde_json::from_value(serde_json::json!({
            "@context": ["https://www.w3.org/ns/credentials/v2"], "format": verifier::MANIFEST_FORMAT,
            "publisher": "p.example/log", "name": "r", "created": "2026-01-01T00:00:00Z", "tool": "t",
            "policy": {"sha256": "00", "text": ""},
            "privacy": {"k": 3, "achievedK": 3, "achievedL": [["diagnosis", 2]],
                "quasiIdentifiers": ["age", "sex"], "records": 7, "suppressed": 1, "metric": "loss",
                "loss": 0.5, "entropyBits": 1.0, "discernibility": "1"},
            "relatedResource": [
                {"id": "microdata.csv", "mediaType": "text/csv", "digestSRI": sri, "bytes": 3,
                 "rows": 7, "columns": ["age", "sex", "diagnosis", "stay"], "rowsRoot": verifier::Hash::default().to_base64()},
                {"id": "tables/a.csv", "mediaType": "text/csv", "digestSRI": sri, "bytes": 3,
                 "rows": 1, "columns": ["age", "count"], "rowsRoot": verifier::Hash::default().to_base64()},
                {"id": "x/a.csv", "mediaType": "text/csv", "digestSRI": sri, "bytes": 3},
                {"id": "report.json", "mediaType": "application/json", "digestSRI": sri, "bytes": 3}]
        }))
        .expect("manifest")
    }

    #[test]
    fn files_are_matched_judged_and_recounted() {
        let m = manifest();
        assert_eq!(match_file(&m, "microdata.csv"), Some(0));
        assert_eq!(match_file(&m, "tables/a.csv"), Some(1));
        assert_eq!(match_file(&m, "a.csv"), None, "two files are called a.csv");
        assert_eq!(match_file(&m, "report.json"), Some(3));
        assert_eq!(match_file(&m, "other.csv"), None);
        let checked = |bytes: &[u8]| {
            let mut f = FileCheck::new(None);
            f.update(bytes);
            f.finish()
        };
        let r = &m.related_resource[0];
        assert_eq!(judge(r, &checked(b"abc")), FileState::Verified);
        assert_eq!(judge(r, &checked(b"abd")), FileState::Altered("same size, different SHA-256".into()));
        assert_eq!(judge(r, &checked(b"abcd")), FileState::Altered("4 bytes, the manifest lists 3".into()));
        assert_eq!(recount_spec(&m, &m.related_resource[1]), None, "a table has not every QI");
        assert_eq!(recount_spec(&m, &m.related_resource[3]), None);
        let spec = recount_spec(&m, r).expect("microdata is recounted");
        assert_eq!(spec, self::spec());
        let rc = run(&CSV.replace("I10\n", "I10,9\n"), 5).expect("recount");
        assert!(confirm(&m, &rc).0, "{}", confirm(&m, &rc).1);
        let mut lying = m.clone();
        lying.privacy.achieved_k = 5;
        lying.privacy.achieved_l = vec![("diagnosis".into(), 3)];
        let (ok, why) = confirm(&lying, &rc);
        assert!(!ok);
        assert!(why.contains("the smallest class has 3 rows, the manifest claims k = 5"), "{why}");
        assert!(why.contains("diagnosis: distinct l = 2, the manifest claims 3"), "{why}");
    }

    #[test]
    fn release_links_only_name_files_of_this_site() {
        assert_eq!(
            release_path("#release=r/manifest.bundle.json"),
            Ok(Some("r/manifest.bundle.json".into()))
        );
        assert_eq!(release_path("#release=a.json&x=1"), Ok(Some("a.json".into())));
        assert_eq!(release_path("#release"), Ok(None));
        assert_eq!(release_path("#bundle=abc"), Ok(None));
        for bad in [
            "https://evil.example/m.json",
            "//evil.example/m.json",
            "/abs.json",
            "a\\b",
            "%2F%2Fevil",
            "javascript:x",
        ] {
            assert!(release_path(&format!("#release={bad}")).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_reducer_tracks_each_file_to_its_verdict() {
        let m = manifest();
        let report = verifier::Report { verified: true, steps: Vec::new() };
        let loaded = |n| ReleaseAction::Loaded(n, "link".into(), report.clone(), Some(m.clone()), None);
        let s = ReleaseState::default().reduce(ReleaseAction::Loading(1)).reduce(loaded(1));
        assert_eq!(s.files.len(), 4);
        assert!(s.files.iter().all(|f| f.state == FileState::Waiting));
        let good = || {
            let mut f = FileCheck::new(None);
            f.update(b"abc");
            f.finish()
        };
        let mut s =
            s.reduce(ReleaseAction::Start(10, 0)).reduce(ReleaseAction::Worker(Reply::Progress(10, 1, 3)));
        assert_eq!(s.files[0].state, FileState::Hashing(1, 3));
        for row in 1..4 {
            s = s.reduce(ReleaseAction::Start(10 + row as u32, row));
        }
        for job in 10..14 {
            s = s.reduce(ReleaseAction::Worker(Reply::Done(job, good())));
        }
        assert!(s.all_verified() && s.jobs.is_empty());
        // An extra file, a missing one, a recount that does not match: not all verified.
        let extra = s.clone().reduce(ReleaseAction::Extra(20, "notes.txt".into()));
        assert_eq!(extra.jobs.get(&20), Some(&4));
        assert!(!extra.all_verified());
        let missing =
            s.clone().reduce(ReleaseAction::Start(21, 2)).reduce(ReleaseAction::Worker(Reply::Missing(21)));
        assert_eq!(missing.files[2].state, FileState::Missing);
        assert!(!missing.all_verified());
        let mut recounted = good();
        recounted.recount = Some(Ok(Recount {
            rows: 7,
            suppressed: 1,
            classes: 2,
            smallest: 2,
            distinct_l: vec![("diagnosis".into(), 2)],
        }));
        let lie = s
            .clone()
            .reduce(ReleaseAction::Start(22, 0))
            .reduce(ReleaseAction::Worker(Reply::Done(22, recounted.clone())));
        assert!(
            matches!(&lie.files[0].recount, Some(Ok((false, why))) if why.contains("smallest class has 2"))
        );
        assert!(!lie.all_verified());
        // A recount of an altered file is not shown (it says nothing about the release).
        let mut altered = recounted;
        altered.bytes = 4;
        let alt = s
            .clone()
            .reduce(ReleaseAction::Start(23, 0))
            .reduce(ReleaseAction::Worker(Reply::Done(23, altered)));
        assert!(matches!(alt.files[0].state, FileState::Altered(_)) && alt.files[0].recount.is_none());
        // Checked twice: only the newest job counts; the older one's late answers are dropped.
        let twice = s.clone().reduce(ReleaseAction::Start(30, 1)).reduce(ReleaseAction::Start(31, 1));
        let twice = twice.reduce(ReleaseAction::Worker(Reply::Done(31, good())));
        let twice = twice.reduce(ReleaseAction::Worker(Reply::Progress(30, 1, 3)));
        assert_eq!(twice.files[1].state, FileState::Verified);
        // A new link: answers and verdicts for the old one are dropped, nothing old is shown.
        let next = twice.clone().reduce(ReleaseAction::Start(40, 0)).reduce(ReleaseAction::Loading(2));
        assert!(next.report.is_none() && next.files.is_empty() && next.manifest.is_none());
        let next = next.reduce(loaded(1)).reduce(ReleaseAction::LoadFailed(1, "old".into()));
        assert!(next.report.is_none() && next.error.is_none());
        let next = next.reduce(loaded(2)).reduce(ReleaseAction::Worker(Reply::Done(40, good())));
        assert!(next.files.iter().all(|f| f.state == FileState::Waiting));
        let failed = next.clone().reduce(ReleaseAction::LoadFailed(2, "this site has no x".into()));
        assert_eq!(failed.error.as_deref(), Some("this site has no x"));
        // The worker dies: running jobs fail instead of hashing forever.
        let died = next
            .reduce(ReleaseAction::Start(50, 3))
            .reduce(ReleaseAction::WorkerFailed("worker failed".into()));
        assert_eq!(died.files[3].state, FileState::Failed("worker failed".into()));
        // A bundle that failed verification lists no files to check.
        let bad = verifier::Report { verified: false, steps: Vec::new() };
        let failed = ReleaseState::default().reduce(ReleaseAction::Loaded(0, "x".into(), bad, Some(m), None));
        assert!(failed.files.is_empty() && !failed.all_verified());
    }

    #[test]
    fn the_headline_follows_the_files_and_the_recount() {
        let m = manifest();
        let ok = verifier::Report { verified: true, steps: Vec::new() };
        let load = ReleaseState::default().reduce(ReleaseAction::Loading(1)).reduce(ReleaseAction::Loaded(
            1,
            "link".into(),
            ok,
            Some(m.clone()),
            None,
        ));
        // The manifest verified, no file checked yet: its claims are only claims.
        let (v, word) = load.headline().expect("headline");
        assert_eq!(v, "valid");
        assert!(word.starts_with("Manifest verified"), "{word}");
        assert_eq!(load.claims_confirmed(), None);
        let checked = |bytes: &[u8], recount: Option<Result<Recount, String>>| {
            let mut f = FileCheck::new(None);
            f.update(bytes);
            Checked { recount, ..f.finish() }
        };
        let recount = |smallest| Recount {
            rows: 7,
            suppressed: 1,
            classes: 2,
            smallest,
            distinct_l: vec![("diagnosis".into(), 2)],
        };
        let all = |microdata: Checked, other: &[u8]| {
            let mut s = load.clone();
            for row in 0..4u32 {
                let got = if row == 0 { microdata.clone() } else { checked(other, None) };
                s = s
                    .reduce(ReleaseAction::Start(10 + row, row as usize))
                    .reduce(ReleaseAction::Worker(Reply::Done(10 + row, got)));
            }
            s
        };
        // Every file as published and the recount agrees: valid, k confirmed.
        let good = all(checked(b"abc", Some(Ok(recount(3)))), b"abc");
        assert_eq!(good.headline(), Some(("valid", "Valid".to_owned())));
        assert_eq!(good.claims_confirmed(), Some(true));
        // The signed manifest claims k = 3 but the smallest class has 2 rows: not valid, and
        // the claim is contradicted (issue 12: "k = 50" stayed on screen as if true).
        let lie = all(checked(b"abc", Some(Ok(recount(2)))), b"abc");
        assert_eq!(lie.headline().expect("headline").0, "invalid");
        assert_eq!(lie.claims_confirmed(), Some(false));
        assert!(lie.problems()[0].contains("the smallest class has 2 rows, the manifest claims k = 3"));
        // One altered file, one missing file, one unreadable file: each makes it invalid.
        let altered = all(checked(b"abc", Some(Ok(recount(3)))), b"abd");
        assert_eq!(altered.headline().expect("headline").0, "invalid");
        assert!(altered.problems().iter().any(|p| p.starts_with("report.json is altered")));
        for reply in [Reply::Missing(50), Reply::Failed(50, "reset".into())] {
            let s = good.clone().reduce(ReleaseAction::Start(50, 2)).reduce(ReleaseAction::Worker(reply));
            assert_eq!(s.headline().expect("headline").0, "invalid");
            assert_eq!(s.problems().len(), 1, "{:?}", s.problems());
        }
        // Some files checked, none bad: still only the manifest.
        let partial = load
            .clone()
            .reduce(ReleaseAction::Start(60, 3))
            .reduce(ReleaseAction::Worker(Reply::Done(60, checked(b"abc", None))));
        assert!(partial.headline().expect("headline").1.starts_with("Manifest verified"));
        // A recount that could not run: the claims could not be confirmed, not valid.
        let err = all(checked(b"abc", Some(Err("ragged row".into()))), b"abc");
        assert_eq!(err.headline().expect("headline").0, "unchecked");
        assert_eq!(err.claims_confirmed(), None);
        // A history that could not be checked, an untrusted publisher.
        let unchecked = verifier::Report {
            verified: false,
            steps: vec![verifier::Step {
                check: "log-history",
                title: "t",
                outcome: verifier::Outcome::Unchecked,
                detail: "could not check".into(),
            }],
        };
        let s =
            ReleaseState::default().reduce(ReleaseAction::Loaded(0, "x".into(), unchecked, Some(m), None));
        assert_eq!(s.headline(), Some(("unchecked", "Could not check the publisher's log".to_owned())));
        assert!(s.files.is_empty(), "no files are checked against an unconfirmed log");
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
