//! Issuing credentials from a CSV into a log, disclosing subsets, and revoking.
//!
//! Layout added to LOGDIR (all public, none personal):
//! - `status/revocation.json`: the W3C Bitstring Status List credential;
//! - `status/revocation.tlog-proof`: its tlog-proof; its entry is always the log's last;
//! - `status/ids`: `HMAC(issuer secret, id) status-index` lines, so `revoke --id` finds a
//!   credential's bit without the log naming anyone (the secret derives from the log key).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{KeyInit, Mac};
use verifier::write::{SignerKey, prove_multi, status_list_credential};
use verifier::{
    BUNDLE_FORMAT, Bundle, Checkpoint, Credential, CredentialEntry, CredentialStatus, DisclosedClaim,
    Disclosure, ENTRY_FORMAT, Hash, MAX_CLAIM_SIZE, MAX_CLAIMS, STATUS_LIST_PATH, STATUS_PROOF_PATH,
    StatusList, VC_CONTEXT, canonical_json, claim_leaf, format_time, parse_status_list_credential,
    parse_time, status_list_entry, tree_root,
};

use tlog::{DirFetch, FetchTiles, LockMode, Log, LogError};

/// Why issuing, disclosing or revoking failed. Nothing is written unless the input was valid.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IssueError {
    /// The CSV is malformed; names the row and column.
    #[error("{0}")]
    Input(String),
    /// The log could not be written.
    #[error(transparent)]
    Log(#[from] LogError),
    /// A file could not be written or read.
    #[error("couldn't {0} {1}: {2}")]
    Io(&'static str, PathBuf, std::io::Error),
}

/// A stage of [`issue`], reported to its progress callback with the rows done so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Rows validated, salted and made into log entries.
    Prepared,
    /// Entries appended to the log (and the status list committed).
    Logged,
    /// Bundles written.
    Bundles,
}

impl Stage {
    /// The word shown for it: `prepared`, `logged`, `bundles`.
    pub fn name(self) -> &'static str {
        match self {
            Stage::Prepared => "prepared",
            Stage::Logged => "logged",
            Stage::Bundles => "bundles",
        }
    }
}

impl std::fmt::Display for Stage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.name())
    }
}

/// One validated row: an id, a type, a window and its claims.
#[derive(Debug, Clone)]
pub struct Row {
    /// The credential id (file name of its bundle).
    pub id: String,
    /// Credential type.
    pub credential_type: String,
    /// RFC 3339 start of validity.
    pub valid_from: Option<String>,
    /// RFC 3339 end of validity.
    pub valid_until: Option<String>,
    /// Claims, sorted by name.
    pub claims: BTreeMap<String, String>,
}

fn normalise_date(v: &str, row: usize, col: &str) -> Result<String, IssueError> {
    let full = if v.len() == 10 { format!("{v}T00:00:00Z") } else { v.to_owned() };
    let t = parse_time(&full).map_err(|_| {
        IssueError::Input(format!("row {row}, column {col}: {v:?} is not a date (YYYY-MM-DD or RFC 3339)"))
    })?;
    Ok(format_time(t))
}

/// Reads and validates an issuer CSV: `id` (unique, a safe file name), `type`, optional
/// `valid_from`/`valid_until`, and every other non-empty cell as a claim.
///
/// # Errors
/// [`IssueError::Input`] naming the row and column of the first problem.
pub fn read_rows(csv_bytes: &[u8]) -> Result<Vec<Row>, IssueError> {
    let mut rdr = csv::ReaderBuilder::new().has_headers(true).from_reader(csv_bytes);
    let headers: Vec<String> = rdr
        .headers()
        .map_err(|e| IssueError::Input(format!("CSV header: {e}")))?
        .iter()
        .map(|h| h.trim().to_owned())
        .collect();
    let col = |name: &str| headers.iter().position(|h| h == name);
    let (Some(id_col), Some(type_col)) = (col("id"), col("type")) else {
        return Err(IssueError::Input(format!(
            "the CSV needs columns 'id' and 'type'; it has: {}",
            headers.join(", ")
        )));
    };
    let (from_col, until_col) = (col("valid_from"), col("valid_until"));
    let mut seen_headers = HashSet::new();
    for h in &headers {
        if h.is_empty() || !seen_headers.insert(h) {
            return Err(IssueError::Input(format!("CSV header has an empty or repeated column {h:?}")));
        }
    }
    let mut rows = Vec::new();
    let mut ids = HashSet::new();
    for (i, rec) in rdr.records().enumerate() {
        let n = i + 2; // 1-based, after the header
        let rec = rec.map_err(|e| IssueError::Input(format!("row {n}: {e}")))?;
        let get = |c: usize| rec.get(c).unwrap_or("").trim().to_owned();
        let id = get(id_col);
        if id.is_empty()
            || id.starts_with('.')
            || id.len() > 128
            || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
        {
            return Err(IssueError::Input(format!(
                "row {n}, column id: {id:?} must be 1-128 of A-Z a-z 0-9 . _ - (it names the bundle file)"
            )));
        }
        if !ids.insert(id.clone()) {
            return Err(IssueError::Input(format!("row {n}, column id: {id:?} appears twice")));
        }
        let credential_type = get(type_col);
        if credential_type.is_empty() || credential_type.len() > 128 {
            return Err(IssueError::Input(format!("row {n}, column type: empty or longer than 128 bytes")));
        }
        let date = |c: Option<usize>, name: &str| {
            c.map(get).filter(|v| !v.is_empty()).map(|v| normalise_date(&v, n, name)).transpose()
        };
        let valid_from = date(from_col, "valid_from")?;
        let valid_until = date(until_col, "valid_until")?;
        if let (Some(f), Some(u)) = (&valid_from, &valid_until)
            && parse_time(f).ok() > parse_time(u).ok()
        {
            return Err(IssueError::Input(format!("row {n}: valid_from {f} is after valid_until {u}")));
        }
        let mut claims = BTreeMap::new();
        for (c, h) in headers.iter().enumerate() {
            if c == type_col || Some(c) == from_col || Some(c) == until_col {
                continue;
            }
            let v = rec.get(c).unwrap_or("");
            if v.is_empty() {
                continue;
            }
            if v.len() > MAX_CLAIM_SIZE {
                return Err(IssueError::Input(format!(
                    "row {n}, column {h}: {} bytes is over the 1 MiB claim limit",
                    v.len()
                )));
            }
            claims.insert(h.clone(), v.to_owned());
        }
        if claims.len() > MAX_CLAIMS {
            return Err(IssueError::Input(format!("row {n}: more than {MAX_CLAIMS} claims")));
        }
        rows.push(Row { id, credential_type, valid_from, valid_until, claims });
    }
    if rows.is_empty() {
        return Err(IssueError::Input("the CSV has no rows".to_owned()));
    }
    Ok(rows)
}

/// SHA-256 of an input file, hex: names a batch in the issuance journal.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    Hash(sha2::Sha256::digest(bytes).into()).to_hex()
}

/// The secret that keys `status/ids`, derived from the log's private key.
fn id_secret(key: &SignerKey) -> [u8; 32] {
    use sha2::Digest as _;
    let mut h = sha2::Sha256::new();
    h.update(b"ledgerless/status-ids/v1\n");
    h.update(key.seed());
    h.finalize().into()
}

/// HMAC-SHA-256 of `id` under `secret`, hex: the id's tag in `status/ids`.
fn id_tag(secret: &[u8; 32], id: &str) -> String {
    // HMAC (RFC 2104) pads a short key with zeros to the hash's 64-byte block; padding it here
    // makes the key a fixed-size array, so building the MAC cannot fail (no empty-tag branch).
    let mut key = [0u8; 64];
    key[..32].copy_from_slice(secret);
    let mut mac = hmac::Hmac::<sha2::Sha256>::new(&key.into());
    mac.update(id.as_bytes());
    Hash(mac.finalize().into_bytes().into()).to_hex()
}

/// Reads `status/ids`: id tag → status index.
fn read_ids(dir: &Path) -> Result<HashMap<String, u64>, IssueError> {
    read_tags(dir, "status/ids")
}

/// Id tags reserved by batches whose entries are not committed yet (`status/pending`, same
/// line format as `status/ids`): no other batch may issue those ids meanwhile.
const PENDING_PATH: &str = "status/pending";

/// Reads a file of `tag index` lines.
fn read_tags(dir: &Path, rel: &str) -> Result<HashMap<String, u64>, IssueError> {
    let path = dir.join(rel);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(HashMap::new()),
        Err(e) => return Err(IssueError::Io("read", path, e)),
    };
    let mut out = HashMap::new();
    for (i, line) in text.lines().enumerate() {
        let (tag, idx) = line.split_once(' ').ok_or_else(|| {
            IssueError::Log(LogError::Corrupt {
                dir: path.clone(),
                detail: format!("line {} is not 'tag index'", i + 1),
            })
        })?;
        let idx = idx.parse::<u64>().map_err(|_| {
            IssueError::Log(LogError::Corrupt {
                dir: path.clone(),
                detail: format!("line {}: bad index", i + 1),
            })
        })?;
        out.insert(tag.to_owned(), idx);
    }
    Ok(out)
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), IssueError> {
    Ok(tlog::write_file_atomic(path, bytes, false)?)
}

/// The current status list of a log (all clear if none is published yet).
fn current_list(dir: &Path, issuer: &str) -> Result<StatusList, IssueError> {
    let path = dir.join(STATUS_LIST_PATH);
    match std::fs::read(&path) {
        Ok(b) => parse_status_list_credential(&b, issuer)
            .map_err(|e| IssueError::Log(LogError::Corrupt { dir: path.clone(), detail: e.to_string() })),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(StatusList::new(0)),
        Err(e) => Err(IssueError::Io("read", path, e)),
    }
}

/// A status list staged beside the published one until the entry committing it is in the log.
const STATUS_NEXT: &str = "status/revocation.json.next";
/// The next free status index (reserved before an append, so no two batches share one).
const NEXT_INDEX_PATH: &str = "status/next-index";

/// Whether `entry` is the log's entry at `index` (proven from the tiles against the current
/// checkpoint, so a torn or foreign entry never matches).
fn entry_at(dir: &Path, size: u64, root: &Hash, index: u64, entry: &[u8]) -> Result<bool, IssueError> {
    if index >= size {
        return Ok(false);
    }
    let fetch = DirFetch(dir.to_owned());
    let proof = verifier::prove_inclusion(&FetchTiles::new(&fetch), index, size).map_err(LogError::from)?;
    Ok(verifier::verify_inclusion(index, size, &verifier::leaf_hash(entry), &proof, root).is_ok())
}

/// Brings a credential log's public status files up to date after any interruption, under
/// the log's lock: a staged list whose entry is the log's last is published (else dropped),
/// and the status proof is rewritten against the current checkpoint (with every cosignature).
/// Returns whether the published list is the log's last entry (so its status is provable).
fn recover_status(log: &Log) -> Result<bool, IssueError> {
    let dir = log.dir().to_owned();
    let issuer = log.checkpoint().origin.clone();
    let (size, root) = (log.checkpoint().size, log.checkpoint().root_hash);
    if size == 0 {
        return Ok(false);
    }
    let next = dir.join(STATUS_NEXT);
    if let Some(bytes) = read_opt(&next)? {
        let entry = status_list_entry(&issuer, &bytes).map_err(|e| IssueError::Input(e.to_string()))?;
        if entry_at(&dir, size, &root, size - 1, &entry)? {
            std::fs::rename(&next, dir.join(STATUS_LIST_PATH))
                .map_err(|e| IssueError::Io("rename", dir.join(STATUS_LIST_PATH), e))?;
        } else {
            std::fs::remove_file(&next).map_err(|e| IssueError::Io("remove", next.clone(), e))?;
        }
    }
    let Some(list) = read_opt(&dir.join(STATUS_LIST_PATH))? else { return Ok(false) };
    let entry = status_list_entry(&issuer, &list).map_err(|e| IssueError::Input(e.to_string()))?;
    if !entry_at(&dir, size, &root, size - 1, &entry)? {
        return Ok(false);
    }
    let proof = tlog::tlog_proof(&DirFetch(dir.clone()), size - 1)?;
    if read_opt(&dir.join(STATUS_PROOF_PATH))?.as_deref() != Some(proof.as_bytes()) {
        write_file(&dir.join(STATUS_PROOF_PATH), proof.as_bytes())?;
    }
    Ok(true)
}

fn read_opt(path: &Path) -> Result<Option<Vec<u8>>, IssueError> {
    match std::fs::read(path) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(IssueError::Io("read", path.to_owned(), e)),
    }
}

/// The next free status index: past every recorded id and every reservation.
fn next_status_index(dir: &Path, known: &HashMap<String, u64>) -> Result<u64, IssueError> {
    let recorded = known.values().map(|i| i + 1).max().unwrap_or(0);
    let reserved = match read_opt(&dir.join(NEXT_INDEX_PATH))? {
        Some(b) => String::from_utf8_lossy(&b).trim().parse::<u64>().map_err(|_| {
            IssueError::Log(LogError::Corrupt {
                dir: dir.join(NEXT_INDEX_PATH),
                detail: "not a number".to_owned(),
            })
        })?,
        None => 0,
    };
    Ok(recorded.max(reserved))
}

/// Appends a new status list (built by `make` from the current one) as the log's last entry,
/// through a staged file, so a crash at any moment leaves the published list matching a
/// committed entry (or, between the append and the rename, a staged list that
/// [`recover_status`] publishes).
fn commit_status_list(
    log: &mut Log,
    now: i64,
    before: Vec<Vec<u8>>,
    make: impl FnOnce(StatusList) -> StatusList,
    progress: &mut dyn FnMut(u64),
) -> Result<Checkpoint, IssueError> {
    let dir = log.dir().to_owned();
    let issuer = log.checkpoint().origin.clone();
    let list = make(current_list(&dir, &issuer)?);
    let list_bytes = status_list_credential(&issuer, &list, &format_time(now))
        .map_err(|e| IssueError::Input(e.to_string()))?;
    let status_entry =
        status_list_entry(&issuer, &list_bytes).map_err(|e| IssueError::Input(e.to_string()))?;
    write_file(&dir.join(STATUS_NEXT), &list_bytes)?;
    let mut appended = 0u64;
    let entries = before.into_iter().map(Ok).chain(std::iter::once(Ok(status_entry)));
    let checkpoint = log.append(entries, &mut |_, _| {
        appended += 1;
        if appended.is_multiple_of(4096) {
            progress(appended);
        }
    })?;
    recover_status(log)?;
    Ok(checkpoint)
}

/// What an issuance produced.
#[derive(Debug, Clone)]
pub struct IssueSummary {
    /// Credentials issued.
    pub issued: u64,
    /// The log's size after issuance.
    pub log_size: u64,
    /// Bundle files written.
    pub bundles: Vec<PathBuf>,
    /// True when this run found the batch already finished and only checked its bundles.
    pub already_done: bool,
}

/// One batch to issue: the validated rows and the SHA-256 (hex, [`sha256_hex`]) of the input
/// file they came from, which names the batch in its journal.
#[derive(Debug, Clone)]
pub struct Batch {
    /// The rows, from [`read_rows`].
    pub rows: Vec<Row>,
    /// SHA-256 of the input file, hex.
    pub input: String,
}

/// How an issuance ended.
#[derive(Debug, Clone)]
pub enum IssueOutcome {
    /// Every credential is in the log and every bundle is written.
    Done(IssueSummary),
    /// The credentials are in the log, but its checkpoint does not meet the witness policy
    /// yet: no bundle is handed out. Run the witnesses, then the same command again.
    AwaitingWitnesses {
        /// The log's size.
        log_size: u64,
        /// What the policy requires and who has cosigned.
        detail: String,
    },
}

/// Witnessing for issuance: bundles are handed out only under a checkpoint that meets
/// `policy`; a `local` witness (key and state directory) beside the issuer, and `remote`
/// witnesses (over HTTP, C2SP tlog-witness), may cosign first.
#[derive(Debug, Clone, Copy, Default)]
pub struct Witnessing<'a> {
    /// The policy the bundles' checkpoint must meet.
    pub policy: Option<&'a verifier::Policy>,
    /// A witness run in-process (its key and state directory).
    pub local: Option<(&'a SignerKey, &'a Path)>,
    /// Witnesses asked to cosign over the network (the `witness` crate's `HttpWitnesses`).
    pub remote: Option<&'a dyn tlog::RemoteWitnesses>,
}

struct Prepared {
    row: Row,
    salts: Vec<String>,
    status_index: u64,
    root: Hash,
    proof: Vec<Hash>,
    entry: Vec<u8>,
}

/// The journal file in OUT that makes an issuance resumable: re-running the same command
/// after a crash completes it. It holds the salts (private, like the bundles): 0600.
pub const JOURNAL_NAME: &str = ".ledgerless-issue.json";

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
enum Phase {
    /// Salts and status indices chosen and reserved; the log may or may not hold the entries.
    Prepared,
    /// The entries (and the status list after them) are in the log at `base_size`.
    Logged,
    /// Every bundle is written and durable.
    Done,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Journal {
    format: String,
    issuer: String,
    /// SHA-256 of the input CSV: the same command, the same batch.
    input: String,
    phase: Phase,
    /// The log size the batch's first entry goes (went) to.
    base_size: u64,
    first_status_index: u64,
    rows: Vec<JournalRow>,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct JournalRow {
    id: String,
    credential_type: String,
    valid_from: Option<String>,
    valid_until: Option<String>,
    claims: BTreeMap<String, String>,
    salts: Vec<String>,
}

impl JournalRow {
    /// The row as read from the input.
    fn row(&self) -> Row {
        Row {
            id: self.id.clone(),
            credential_type: self.credential_type.clone(),
            valid_from: self.valid_from.clone(),
            valid_until: self.valid_until.clone(),
            claims: self.claims.clone(),
        }
    }
}

const JOURNAL_FORMAT: &str = "ledgerless/issue-journal/v1";

fn write_journal(out: &Path, j: &Journal) -> Result<(), IssueError> {
    let bytes = serde_json::to_vec(j).map_err(|e| IssueError::Input(e.to_string()))?;
    Ok(tlog::write_file_atomic(&out.join(JOURNAL_NAME), &bytes, true)?)
}

fn read_journal(out: &Path) -> Result<Option<Journal>, IssueError> {
    let path = out.join(JOURNAL_NAME);
    let Some(bytes) = read_opt(&path)? else { return Ok(None) };
    let j: Journal = serde_json::from_slice(&bytes).map_err(|e| {
        IssueError::Input(format!(
            "{}: not an issuance journal ({e}); its batch may already be in the log, so do not delete it: restore it from a backup",
            path.display()
        ))
    })?;
    if j.format != JOURNAL_FORMAT {
        return Err(IssueError::Input(format!("{}: unknown journal format {:?}", path.display(), j.format)));
    }
    Ok(Some(j))
}

/// Builds a row's log entry from its salts and status index (deterministic: a resumed run
/// rebuilds exactly the entries it journaled).
fn prepare_row(
    issuer: &str,
    row: Row,
    salts: Vec<String>,
    status_index: u64,
) -> Result<Prepared, IssueError> {
    let leaves: Vec<Hash> = row
        .claims
        .iter()
        .zip(&salts)
        .map(|((n, v), s)| claim_leaf(n, s, v))
        .collect::<Result<_, _>>()
        .map_err(|e| IssueError::Input(e.to_string()))?;
    let root = tree_root(&leaves);
    let entry = canonical_json(&CredentialEntry {
        format: ENTRY_FORMAT.to_owned(),
        issuer: issuer.to_owned(),
        credential_type: row.credential_type.clone(),
        valid_from: row.valid_from.clone(),
        valid_until: row.valid_until.clone(),
        status_index,
        claims_root: root,
        claims_count: leaves.len() as u64,
    })
    .map_err(|e| IssueError::Input(e.to_string()))?;
    // Full disclosure: every leaf is shown, so the multi-proof is empty.
    Ok(Prepared { row, salts, status_index, root, proof: Vec::new(), entry })
}

/// Runs `f` over `items` on up to 8 threads, keeping order.
fn par_map<T: Send, U: Send>(
    items: Vec<T>,
    f: &(dyn Fn(usize, T) -> Result<U, IssueError> + Sync),
) -> Result<Vec<U>, IssueError> {
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(1, 8);
    let per = items.len().div_ceil(threads).max(1);
    let mut parts: Vec<Vec<(usize, T)>> = Vec::new();
    for (i, r) in items.into_iter().enumerate() {
        if i % per == 0 {
            parts.push(Vec::with_capacity(per));
        }
        if let Some(last) = parts.last_mut() {
            last.push((i, r));
        }
    }
    let results: Vec<Result<Vec<U>, IssueError>> = std::thread::scope(|scope| {
        let hs: Vec<_> = parts
            .into_iter()
            .map(|part| scope.spawn(move || part.into_iter().map(|(i, r)| f(i, r)).collect()))
            .collect();
        hs.into_iter()
            .map(|h| h.join().unwrap_or_else(|_| Err(IssueError::Input("a worker panicked".to_owned()))))
            .collect()
    });
    let mut out = Vec::new();
    for r in results {
        out.extend(r?);
    }
    Ok(out)
}

/// The size a bundle's proof can reach: a checkpoint with a few cosignatures and 64 hashes.
const PROOF_ALLOWANCE: usize = 16 * 1024;

/// Issues one credential per row into the log opened as `log`, writing `out/<id>.json`
/// bundles (full disclosure) and re-publishing the status list as the log's last entry.
/// `now` (POSIX seconds) dates the list.
///
/// Crash-safe and resumable: a journal in `out` (written before the log grows) records the
/// batch, so re-running the same command after a crash at any moment completes it: every id
/// in the log gets its bundle, no id is burned, no bundle is half-written. Under a witness
/// policy, bundles are only written once the log's checkpoint meets it.
///
/// Validates everything first: bad rows, ids already issued by this log, bundle files that
/// already exist, bundles too large to verify, or an unusable `out` are refused before the
/// log grows.
///
/// # Errors
/// [`IssueError`] naming the problem.
pub fn issue(
    log: &mut Log,
    key: &SignerKey,
    batch: Batch,
    out: &Path,
    now: i64,
    witnessing: Witnessing<'_>,
    progress: &mut (dyn FnMut(Stage, u64) + Send),
) -> Result<IssueOutcome, IssueError> {
    let Batch { rows, input } = batch;
    let input = input.as_str();
    let dir = log.dir().to_owned();
    let issuer = log.checkpoint().origin.clone();
    if log.checkpoint().size > 0 && !dir.join("status").is_dir() {
        return Err(IssueError::Input(format!(
            "{} is not a credential log: it has {} entries but no status list; credentials need a log of their own (ledgerless log init)",
            dir.display(),
            log.checkpoint().size
        )));
    }
    // --out must be a usable directory before anything else happens.
    if out.exists() && !out.is_dir() {
        return Err(IssueError::Input(format!("--out {} exists and is not a directory", out.display())));
    }
    create_private_dir(out)?;
    // One issuance per OUT at a time (the log's lock does not cover OUT).
    let _out_lock = tlog::lock_dir(out, LockMode::Fail, &mut || {}).map_err(|e| match e {
        LogError::Locked { .. } => IssueError::Input(format!(
            "another `issue` is writing into {}; wait for it to finish",
            out.display()
        )),
        e => IssueError::Log(e),
    })?;
    recover_status(log)?;
    let secret = id_secret(key);
    let journal = match read_journal(out)? {
        Some(j) if j.issuer == issuer && j.input == input => Some(j),
        Some(j) if j.phase != Phase::Done => {
            return Err(IssueError::Input(format!(
                "{} holds an unfinished issuance of another input into {} ({} credentials); re-run that command to finish it, or choose another --out",
                out.display(),
                j.issuer,
                j.rows.len()
            )));
        }
        _ => None,
    };
    let (mut journal, fresh) = match journal {
        Some(j) => (j, false),
        None => (new_batch(log, &secret, rows, input, out)?, true),
    };
    let n = journal.rows.len() as u64;
    let prepared: Vec<Prepared> = {
        let (issuer_ref, first) = (&issuer, journal.first_status_index);
        par_map(journal.rows.iter().collect(), &|i, r: &JournalRow| {
            let p = prepare_row(issuer_ref, r.row(), r.salts.clone(), first + i as u64)?;
            if fresh {
                check_bundle_size(issuer_ref, &p, i)?;
            }
            Ok(p)
        })?
    };
    progress(Stage::Prepared, n);
    let tags: Vec<String> = prepared.iter().map(|p| id_tag(&secret, &p.row.id)).collect();
    if fresh {
        commit_batch(&dir, out, &journal, &tags)?;
    }
    if journal.phase == Phase::Prepared {
        // Did the crashed run's append land? It holds the lock from the journal to the append,
        // so its entries are exactly at base_size if anywhere.
        let (size, root) = (log.checkpoint().size, log.checkpoint().root_hash);
        let first_in = match prepared.first() {
            Some(p) => entry_at(&dir, size, &root, journal.base_size, &p.entry)?,
            None => false,
        };
        if !first_in {
            // Not in the log yet: make sure no other batch issued or reserved these ids since.
            let known = read_ids(&dir)?;
            let pending = read_tags(&dir, PENDING_PATH)?;
            for (p, tag) in prepared.iter().zip(&tags) {
                let taken = known.contains_key(tag) || pending.get(tag).is_some_and(|&i| i != p.status_index);
                if taken {
                    return Err(IssueError::Input(format!(
                        "id {:?} of this unfinished batch was issued or reserved by another batch meanwhile; nothing was appended: move {} away and issue the remaining rows afresh",
                        p.row.id,
                        out.join(JOURNAL_NAME).display()
                    )));
                }
            }
            reserve_pending(&dir, &tags, journal.first_status_index)?;
            journal.base_size = size;
            write_journal(out, &journal)?;
            let entries: Vec<Vec<u8>> = prepared.iter().map(|p| p.entry.clone()).collect();
            let cover = journal.first_status_index + n;
            commit_status_list(log, now, entries, |list| grow_list(list, cover), &mut |k| {
                progress(Stage::Logged, k)
            })?;
        }
        // Only now, with the entries committed, do the ids count as issued.
        record_ids(&dir, &tags, &prepared)?;
        journal.phase = Phase::Logged;
        write_journal(out, &journal)?;
    }
    progress(Stage::Logged, n);
    // Witnesses: cosign beside the issuer if asked, then hand out bundles only under a
    // checkpoint that meets the policy.
    if let Some((w, state)) = witnessing.local {
        tlog::cosign_open_log(w, log, state, now.max(0) as u64)
            .map_err(|e| IssueError::Input(format!("the local witness did not cosign: {e}")))?;
    }
    // Remote witnesses that fail are named if the quorum is then not met.
    let remote_failures = witnessing.remote.and_then(|r| r.cosign(log).err());
    let signed = std::fs::read(dir.join("checkpoint"))
        .map_err(|e| IssueError::Io("read", dir.join("checkpoint"), e))?;
    if let Some(policy) = witnessing.policy {
        match verifier::verify_checkpoint_with_policy(&signed, policy) {
            Ok(_) => {}
            Err(e @ verifier::CheckpointError::QuorumNotMet { .. }) => {
                return Ok(IssueOutcome::AwaitingWitnesses {
                    log_size: log.checkpoint().size,
                    detail: match remote_failures {
                        Some(f) => format!("{e}; witnesses that did not cosign: {f}"),
                        None => e.to_string(),
                    },
                });
            }
            Err(e) => {
                return Err(IssueError::Input(format!(
                    "the log's checkpoint does not verify under the witness policy: {e}"
                )));
            }
        }
    }
    recover_status(log)?;
    let already_done = journal.phase == Phase::Done;
    let bundles = write_bundles(&dir, &issuer, &prepared, journal.base_size, out, already_done, progress)?;
    tlog::sync_all_writes(out)?;
    if !already_done {
        journal.phase = Phase::Done;
        write_journal(out, &journal)?;
    }
    Ok(IssueOutcome::Done(IssueSummary {
        issued: bundles.len() as u64,
        log_size: log.checkpoint().size,
        bundles,
        already_done,
    }))
}

/// Creates OUT (and missing parents) with mode 0700: it holds full bundles and the journal.
fn create_private_dir(out: &Path) -> Result<(), IssueError> {
    if out.is_dir() {
        return Ok(());
    }
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        b.mode(0o700);
    }
    b.create(out).map_err(|e| IssueError::Io("create", out.to_owned(), e))
}

fn grow_list(list: StatusList, cover: u64) -> StatusList {
    if cover == 0 || list.get(cover - 1).is_some() {
        return list;
    }
    let mut grown = StatusList::new(cover as usize);
    grown.bits[..list.bits.len()].copy_from_slice(&list.bits);
    grown
}

/// Appends the batch's id tags to `status/ids` (those not there yet), atomically.
fn record_ids(dir: &Path, tags: &[String], prepared: &[Prepared]) -> Result<(), IssueError> {
    let known = read_ids(dir)?;
    let ids_path = dir.join("status/ids");
    let mut ids = read_opt(&ids_path)?.unwrap_or_default();
    let before = ids.len();
    for (p, tag) in prepared.iter().zip(tags) {
        match known.get(tag) {
            None => ids.extend_from_slice(format!("{tag} {}\n", p.status_index).as_bytes()),
            Some(&i) if i == p.status_index => {}
            Some(&i) => {
                return Err(IssueError::Log(LogError::Corrupt {
                    dir: ids_path,
                    detail: format!(
                        "id {:?} is recorded with status index {i}, but this batch issued it with {}",
                        p.row.id, p.status_index
                    ),
                }));
            }
        }
    }
    if ids.len() != before {
        write_file(&ids_path, &ids)?;
    }
    // The batch's reservations are no longer pending.
    let pending_path = dir.join(PENDING_PATH);
    if let Some(text) = read_opt(&pending_path)? {
        let ours: HashSet<&str> = tags.iter().map(String::as_str).collect();
        let kept: String = String::from_utf8_lossy(&text)
            .lines()
            .filter(|l| !l.split(' ').next().is_some_and(|t| ours.contains(t)))
            .map(|l| format!("{l}\n"))
            .collect();
        if kept.len() != text.len() {
            write_file(&pending_path, kept.as_bytes())?;
        }
    }
    Ok(())
}

/// Adds a batch's id tags to `status/pending` (those not there yet): reserved until issued.
fn reserve_pending(dir: &Path, tags: &[String], first_status_index: u64) -> Result<(), IssueError> {
    let path = dir.join(PENDING_PATH);
    let have = read_tags(dir, PENDING_PATH)?;
    let mut text = read_opt(&path)?.unwrap_or_default();
    let before = text.len();
    for (i, tag) in tags.iter().enumerate() {
        if !have.contains_key(tag) {
            text.extend_from_slice(format!("{tag} {}\n", first_status_index + i as u64).as_bytes());
        }
    }
    if text.len() != before {
        write_file(&path, &text)?;
    }
    Ok(())
}

/// A new batch: validates its ids and bundle paths, and chooses salts and status indices.
/// Nothing is written until [`commit_batch`].
fn new_batch(
    log: &Log,
    secret: &[u8; 32],
    rows: Vec<Row>,
    input: &str,
    out: &Path,
) -> Result<Journal, IssueError> {
    let dir = log.dir().to_owned();
    let known = read_ids(&dir)?;
    let pending = read_tags(&dir, PENDING_PATH)?;
    for r in &rows {
        let tag = id_tag(secret, &r.id);
        if known.contains_key(&tag) {
            return Err(IssueError::Input(format!(
                "id {:?} was already issued by this log; ids are never reused",
                r.id
            )));
        }
        if pending.contains_key(&tag) {
            return Err(IssueError::Input(format!(
                "id {:?} is reserved by an unfinished issuance into this log; re-run that `issue` command to finish it",
                r.id
            )));
        }
        let p = out.join(format!("{}.json", r.id));
        if p.exists() {
            return Err(IssueError::Input(format!(
                "{} already exists; refusing to overwrite a bundle",
                p.display()
            )));
        }
    }
    // Salts: 16 random bytes per claim, from the OS.
    let total_claims: usize = rows.iter().map(|r| r.claims.len()).sum();
    let mut random = vec![0u8; 16 * total_claims];
    getrandom::fill(&mut random).map_err(|e| IssueError::Input(format!("no system randomness: {e}")))?;
    let mut salts = random.chunks_exact(16).map(|s| STANDARD.encode(s));
    let rows = rows
        .into_iter()
        .map(|r| JournalRow {
            salts: salts.by_ref().take(r.claims.len()).collect(),
            id: r.id,
            credential_type: r.credential_type,
            valid_from: r.valid_from,
            valid_until: r.valid_until,
            claims: r.claims,
        })
        .collect();
    Ok(Journal {
        format: JOURNAL_FORMAT.to_owned(),
        issuer: log.checkpoint().origin.clone(),
        input: input.to_owned(),
        phase: Phase::Prepared,
        base_size: log.checkpoint().size,
        first_status_index: next_status_index(&dir, &known)?,
        rows,
    })
}

/// A credential whose bundle `verify` would refuse (row `i` of the batch) is never issued.
fn check_bundle_size(issuer: &str, p: &Prepared, i: usize) -> Result<(), IssueError> {
    let size = serde_json::to_vec_pretty(&make_bundle(issuer, p, String::new()))
        .map_err(|e| IssueError::Input(e.to_string()))?
        .len();
    if size + PROOF_ALLOWANCE > verifier::MAX_BUNDLE_SIZE {
        return Err(IssueError::Input(format!(
            "row {}, id {:?}: its bundle would be {size} bytes, over the {} MiB a verifier accepts; shorten its claims",
            i + 2,
            p.row.id,
            verifier::MAX_BUNDLE_SIZE >> 20
        )));
    }
    Ok(())
}

/// Commits a new, validated batch before the log grows: its status indices are reserved first
/// (a crash right after only skips them), then the journal is the commit point (from here on,
/// re-running the command finishes the batch), then its ids are reserved against other
/// batches until they are recorded as issued.
fn commit_batch(dir: &Path, out: &Path, journal: &Journal, tags: &[String]) -> Result<(), IssueError> {
    let next = journal.first_status_index + journal.rows.len() as u64;
    write_file(&dir.join(NEXT_INDEX_PATH), format!("{next}\n").as_bytes())?;
    write_journal(out, journal)?;
    reserve_pending(dir, tags, journal.first_status_index)
}

/// Writes every bundle (or, for a finished batch, those missing) against the log's current
/// checkpoint, atomically, on up to 8 threads.
fn write_bundles(
    dir: &Path,
    issuer: &str,
    prepared: &[Prepared],
    base_size: u64,
    out: &Path,
    only_missing: bool,
    progress: &mut (dyn FnMut(Stage, u64) + Send),
) -> Result<Vec<PathBuf>, IssueError> {
    let fetch = DirFetch(dir.to_owned());
    let prover = tlog::TlogProver::new(&fetch)?;
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(1, 8);
    let chunk = prepared.len().div_ceil(threads).max(1);
    let done = std::sync::atomic::AtomicU64::new(0);
    let progress = std::sync::Mutex::new(progress);
    let results: Vec<Result<Vec<PathBuf>, IssueError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = prepared
            .chunks(chunk)
            .enumerate()
            .map(|(c, part)| {
                let (fetch, done, progress, prover) = (&fetch, &done, &progress, &prover);
                scope.spawn(move || -> Result<Vec<PathBuf>, IssueError> {
                    let tiles = FetchTiles::new(fetch);
                    let mut paths = Vec::with_capacity(part.len());
                    for (i, p) in part.iter().enumerate() {
                        let index = base_size + (c * chunk + i) as u64;
                        let path = out.join(format!("{}.json", p.row.id));
                        if !(only_missing && path.is_file()) {
                            let bundle = make_bundle(issuer, p, prover.tlog_proof(&tiles, index)?);
                            let mut json = serde_json::to_vec_pretty(&bundle)
                                .map_err(|e| IssueError::Input(e.to_string()))?;
                            json.push(b'\n');
                            // A full bundle holds every claim and salt: private, like the journal.
                            tlog::write_file_atomic_no_sync(&path, &json, true)?;
                        }
                        paths.push(path);
                        let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                        if n.is_multiple_of(4096)
                            && let Ok(mut p) = progress.lock()
                        {
                            (*p)(Stage::Bundles, n);
                        }
                    }
                    Ok(paths)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| Err(IssueError::Input("a bundle writer panicked".to_owned())))
            })
            .collect()
    });
    let mut bundles = Vec::new();
    for r in results {
        bundles.extend(r?);
    }
    Ok(bundles)
}

fn make_bundle(issuer: &str, p: &Prepared, tlog_proof: String) -> Bundle {
    Bundle {
        format: BUNDLE_FORMAT.to_owned(),
        credential: Credential {
            context: vec![VC_CONTEXT.to_owned()],
            types: vec!["VerifiableCredential".to_owned(), p.row.credential_type.clone()],
            issuer: issuer.to_owned(),
            valid_from: p.row.valid_from.clone(),
            valid_until: p.row.valid_until.clone(),
            credential_subject: p.row.claims.clone(),
            credential_status: CredentialStatus::revocation(p.status_index),
        },
        disclosure: Disclosure {
            claims_root: p.root,
            claims_count: p.row.claims.len() as u64,
            claims: p
                .row
                .claims
                .keys()
                .zip(&p.salts)
                .enumerate()
                .map(|(j, (name, salt))| DisclosedClaim {
                    name: name.clone(),
                    salt: salt.clone(),
                    index: j as u64,
                })
                .collect(),
            proof: p.proof.clone(),
        },
        tlog_proof,
    }
}

/// Derives a bundle that discloses only `names`: values and salts of the others are left
/// out, and a new multi-proof shows the kept ones belong to the same committed root.
///
/// # Errors
/// [`IssueError::Input`] if the bundle is not a full one (it must hold every claim, to build
/// the new proof), or a name is not one of its claims.
pub fn disclose(bundle: &Bundle, names: &[String]) -> Result<Bundle, IssueError> {
    let d = &bundle.disclosure;
    let subject = &bundle.credential.credential_subject;
    if d.claims.len() as u64 != d.claims_count {
        let have: Vec<&str> = d.claims.iter().map(|c| c.name.as_str()).collect();
        return Err(IssueError::Input(format!(
            "this bundle already hides {} of its {} claims (it shows: {}); disclose from the full bundle the issuer gave you",
            d.claims_count - d.claims.len() as u64,
            d.claims_count,
            have.join(", ")
        )));
    }
    bundle
        .check_claims()
        .map_err(|e| IssueError::Input(format!("the bundle's own claims do not verify: {e}")))?;
    for n in names {
        if !subject.contains_key(n) {
            let all: Vec<&str> = subject.keys().map(String::as_str).collect();
            return Err(IssueError::Input(format!(
                "no claim named {n:?}; this credential has: {}",
                all.join(", ")
            )));
        }
    }
    let leaves: Vec<Hash> = d
        .claims
        .iter()
        .map(|c| claim_leaf(&c.name, &c.salt, subject.get(&c.name).map_or("", String::as_str)))
        .collect::<Result<_, _>>()
        .map_err(|e| IssueError::Input(e.to_string()))?;
    let keep: Vec<&DisclosedClaim> = d.claims.iter().filter(|c| names.contains(&c.name)).collect();
    let indices: Vec<u64> = keep.iter().map(|c| c.index).collect();
    let proof = if keep.is_empty() {
        Vec::new()
    } else {
        prove_multi(&leaves, &indices).map_err(|e| IssueError::Input(e.to_string()))?
    };
    let mut out = bundle.clone();
    out.credential.credential_subject =
        keep.iter().map(|c| (c.name.clone(), subject[&c.name].clone())).collect();
    out.disclosure.claims = keep.into_iter().cloned().collect();
    out.disclosure.proof = proof;
    Ok(out)
}

/// What a revocation did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revoked {
    /// The bit was set and a new status list committed; its status index.
    Now(u64),
    /// The credential was already revoked: nothing was appended.
    Already(u64),
}

/// Revokes the credential with `id`: sets its bit, publishes the new status list and commits
/// it as the log's last entry (through a staged file, see [`recover_status`]). Revoking an
/// already revoked credential changes nothing.
///
/// # Errors
/// [`IssueError::Input`] if this log never issued `id` (or its issuance was interrupted
/// before the log recorded it: re-run that `issue` first).
pub fn revoke(log: &mut Log, key: &SignerKey, id: &str, now: i64) -> Result<Revoked, IssueError> {
    let dir = log.dir().to_owned();
    let issuer = log.checkpoint().origin.clone();
    let index = *read_ids(&dir)?.get(&id_tag(&id_secret(key), id)).ok_or_else(|| {
        IssueError::Input(format!(
            "this log never issued a credential with id {id:?} (if an `issue` was interrupted, re-run it first)"
        ))
    })?;
    let current = recover_status(log)?;
    if current && current_list(&dir, &issuer)?.get(index) == Some(true) {
        return Ok(Revoked::Already(index));
    }
    commit_status_list(
        log,
        now,
        Vec::new(),
        |mut list| {
            list.set(index);
            list
        },
        &mut |_| {},
    )?;
    Ok(Revoked::Now(index))
}

/// Opens a log for issuing: its lock held, waiting for other writers.
///
/// # Errors
/// As [`Log::open`].
pub fn open_log(dir: &Path, key: SignerKey, on_wait: &mut dyn FnMut()) -> Result<Log, IssueError> {
    Ok(Log::open(dir, key, LockMode::Wait, on_wait)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression: a failing HMAC constructor used to give every id the empty tag, so all
    /// ids would have shared one `status/ids` line. The key is now padded to the block size
    /// (as RFC 2104 does), so there is no failure branch, and the tag is the standard HMAC.
    #[test]
    fn id_tag_is_hmac_sha256_of_the_padded_key() {
        let secret = [0x5a; 32];
        let mut standard = hmac::Hmac::<sha2::Sha256>::new_from_slice(&secret).expect("any key length");
        standard.update(b"id-1");
        let want = Hash(standard.finalize().into_bytes().into()).to_hex();
        assert_eq!(id_tag(&secret, "id-1"), want);
        assert_eq!(want.len(), 64);
        assert_ne!(id_tag(&secret, "id-1"), id_tag(&secret, "id-2"));
    }
}
