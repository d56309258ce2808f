//! Issuing credentials from a CSV into a log, disclosing subsets, and revoking.
//!
//! Layout added to LOGDIR (all public, none personal):
//! - `status/revocation.json`: the W3C Bitstring Status List credential;
//! - `status/revocation.tlog-proof`: its tlog-proof; its entry is always the log's last;
//! - `status/ids`: `HMAC(issuer secret, id) status-index` lines, so `revoke --id` finds a
//!   credential's bit without the log naming anyone (the secret derives from the log key).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Write as _;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{KeyInit, Mac};
use verifier::{
    BUNDLE_FORMAT, Bundle, Credential, CredentialEntry, CredentialStatus, DisclosedClaim, Disclosure,
    ENTRY_FORMAT, Hash, MAX_CLAIM_SIZE, MAX_CLAIMS, STATUS_LIST_PATH, STATUS_PROOF_PATH, SignerKey,
    StatusList, TlogProof, VC_CONTEXT, canonical_json, claim_leaf, format_time, format_tlog_proof,
    parse_status_list_credential, parse_time, prove_multi, status_list_credential, status_list_entry,
    tree_root,
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

/// The secret that keys `status/ids`, derived from the log's private key.
fn id_secret(key: &SignerKey) -> [u8; 32] {
    use sha2::Digest as _;
    let mut h = sha2::Sha256::new();
    h.update(b"ledgerless/status-ids/v1\n");
    h.update(key.seed());
    h.finalize().into()
}

fn id_tag(secret: &[u8; 32], id: &str) -> String {
    // HMAC accepts any key length; 32 bytes cannot fail.
    let mut mac = match hmac::Hmac::<sha2::Sha256>::new_from_slice(secret) {
        Ok(m) => m,
        Err(_) => return String::new(),
    };
    mac.update(id.as_bytes());
    Hash(mac.finalize().into_bytes().into()).to_hex()
}

/// Reads `status/ids`: id tag → status index.
fn read_ids(dir: &Path) -> Result<HashMap<String, u64>, IssueError> {
    let path = dir.join("status/ids");
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
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| IssueError::Io("create", dir.to_owned(), e))?;
    let tmp = dir.join(format!(".{}.tmp", path.file_name().and_then(|n| n.to_str()).unwrap_or("f")));
    let mut f = std::fs::File::create(&tmp).map_err(|e| IssueError::Io("create", tmp.clone(), e))?;
    f.write_all(bytes).and_then(|()| f.sync_all()).map_err(|e| IssueError::Io("write", tmp.clone(), e))?;
    std::fs::rename(&tmp, path).map_err(|e| IssueError::Io("rename", path.to_owned(), e))
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

/// What an issuance produced.
#[derive(Debug, Clone)]
pub struct IssueSummary {
    /// Credentials issued.
    pub issued: u64,
    /// The log's size after issuance.
    pub log_size: u64,
    /// Bundle files written.
    pub bundles: Vec<PathBuf>,
}

struct Prepared {
    row: Row,
    salts: Vec<String>,
    status_index: u64,
    root: Hash,
    proof: Vec<Hash>,
    entry: Vec<u8>,
}

/// Issues one credential per row into the log opened as `log`, writing `out/<id>.json`
/// bundles (full disclosure) and re-publishing the status list as the log's last entry.
/// `now` (POSIX seconds) dates the status list.
///
/// Validates everything first: bad rows, ids already issued by this log, or bundle files that
/// already exist are refused before anything is written.
///
/// # Errors
/// [`IssueError`] naming the problem.
pub fn issue(
    log: &mut Log,
    key: &SignerKey,
    rows: Vec<Row>,
    out: &Path,
    now: i64,
    progress: &mut (dyn FnMut(&str, u64) + Send),
) -> Result<IssueSummary, IssueError> {
    let dir = log.dir().to_owned();
    let issuer = log.checkpoint().origin.clone();
    let secret = id_secret(key);
    let known = read_ids(&dir)?;
    let mut next_index = known.values().map(|i| i + 1).max().unwrap_or(0);
    // Each id's tag is computed once: to refuse reissues now, and for status/ids below.
    let tags: Vec<String> = rows.iter().map(|r| id_tag(&secret, &r.id)).collect();
    for (r, tag) in rows.iter().zip(&tags) {
        if known.contains_key(tag) {
            return Err(IssueError::Input(format!(
                "id {:?} was already issued by this log; ids are never reused",
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
    // Each row's salts start at the sum of the claim counts before it.
    let mut offsets = Vec::with_capacity(rows.len());
    let mut acc = 0usize;
    for r in &rows {
        offsets.push(acc);
        acc += r.claims.len();
    }
    let first_index = next_index;
    let prepare = |i: usize, row: Row| -> Result<Prepared, IssueError> {
        let salts: Vec<String> = (0..row.claims.len())
            .map(|k| STANDARD.encode(&random[16 * (offsets[i] + k)..16 * (offsets[i] + k + 1)]))
            .collect();
        let leaves: Vec<Hash> = row
            .claims
            .iter()
            .zip(&salts)
            .map(|((n, v), s)| claim_leaf(n, s, v))
            .collect::<Result<_, _>>()
            .map_err(|e| IssueError::Input(e.to_string()))?;
        let root = tree_root(&leaves);
        let status_index = first_index + i as u64;
        let entry = canonical_json(&CredentialEntry {
            format: ENTRY_FORMAT.to_owned(),
            issuer: issuer.clone(),
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
    };
    // Rows are independent: prepare them on every core.
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(1, 8);
    let per = rows.len().div_ceil(threads).max(1);
    let mut parts: Vec<Vec<(usize, Row)>> = Vec::new();
    for (i, r) in rows.into_iter().enumerate() {
        if i % per == 0 {
            parts.push(Vec::with_capacity(per));
        }
        if let Some(last) = parts.last_mut() {
            last.push((i, r));
        }
    }
    let prepare = &prepare;
    let results: Vec<Result<Vec<Prepared>, IssueError>> = std::thread::scope(|scope| {
        let hs: Vec<_> = parts
            .into_iter()
            .map(|part| scope.spawn(move || part.into_iter().map(|(i, r)| prepare(i, r)).collect()))
            .collect();
        hs.into_iter()
            .map(|h| h.join().unwrap_or_else(|_| Err(IssueError::Input("a worker panicked".to_owned()))))
            .collect()
    });
    let mut prepared = Vec::new();
    for r in results {
        prepared.extend(r?);
    }
    progress("prepared", prepared.len() as u64);
    let mut id_lines = String::with_capacity(prepared.len() * 72);
    for (p, tag) in prepared.iter().zip(&tags) {
        id_lines.push_str(&format!("{tag} {}\n", p.status_index));
    }
    next_index = first_index + prepared.len() as u64;
    // 1. Record the status indices first: a crash after this never reuses one.
    let ids_path = dir.join("status/ids");
    let mut ids = std::fs::read(&ids_path).unwrap_or_default();
    ids.extend_from_slice(id_lines.as_bytes());
    write_file(&ids_path, &ids)?;
    // 2. The status list, grown to cover the new indices, committed as the batch's last entry.
    let mut list = current_list(&dir, &issuer)?;
    if next_index > 0 && list.get(next_index - 1).is_none() {
        let mut grown = StatusList::new(next_index as usize);
        grown.bits[..list.bits.len()].copy_from_slice(&list.bits);
        list = grown;
    }
    let list_bytes = status_list_credential(&issuer, &list, &format_time(now))
        .map_err(|e| IssueError::Input(e.to_string()))?;
    let status_entry =
        status_list_entry(&issuer, &list_bytes).map_err(|e| IssueError::Input(e.to_string()))?;
    write_file(&dir.join(STATUS_LIST_PATH), &list_bytes)?;
    let first = log.checkpoint().size;
    let entries = prepared.iter().map(|p| Ok(p.entry.clone())).chain(std::iter::once(Ok(status_entry)));
    let mut appended = 0u64;
    let checkpoint = log.append(entries, &mut |_, _| {
        appended += 1;
        if appended.is_multiple_of(4096) {
            progress("logged", appended);
        }
    })?;
    // 3. Proofs against the new checkpoint, from the tiles; bundles; the status proof.
    let signed = std::fs::read_to_string(dir.join("checkpoint"))
        .map_err(|e| IssueError::Io("read", dir.join("checkpoint"), e))?;
    let size = checkpoint.size;
    let tlog_proof = |tiles: &FetchTiles<'_>, index: u64| -> Result<String, IssueError> {
        let hashes = verifier::prove_inclusion(tiles, size, index).map_err(LogError::from)?;
        Ok(format_tlog_proof(&TlogProof { extra: None, index, hashes, checkpoint: signed.clone() }))
    };
    let fetch = DirFetch(dir.clone());
    write_file(&dir.join(STATUS_PROOF_PATH), tlog_proof(&FetchTiles::new(&fetch), size - 1)?.as_bytes())?;
    std::fs::create_dir_all(out).map_err(|e| IssueError::Io("create", out.to_owned(), e))?;
    // Bundles are independent: build and write them on every core (each thread with its own
    // tile cache), since creating 100,000 files costs as much as the hashing.
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(1, 8);
    let chunk = prepared.len().div_ceil(threads).max(1);
    let done = std::sync::atomic::AtomicU64::new(0);
    let progress = std::sync::Mutex::new(progress);
    let issuer_ref = &issuer;
    let results: Vec<Result<Vec<PathBuf>, IssueError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = prepared
            .chunks(chunk)
            .enumerate()
            .map(|(c, part)| {
                let (fetch, done, progress, tlog_proof) = (&fetch, &done, &progress, &tlog_proof);
                scope.spawn(move || -> Result<Vec<PathBuf>, IssueError> {
                    let tiles = FetchTiles::new(fetch);
                    let mut paths = Vec::with_capacity(part.len());
                    for (i, p) in part.iter().enumerate() {
                        let index = first + (c * chunk + i) as u64;
                        let bundle = make_bundle(issuer_ref, p, tlog_proof(&tiles, index)?);
                        let path = out.join(format!("{}.json", p.row.id));
                        let mut json = serde_json::to_vec_pretty(&bundle)
                            .map_err(|e| IssueError::Input(e.to_string()))?;
                        json.push(b'\n');
                        std::fs::write(&path, json).map_err(|e| IssueError::Io("write", path.clone(), e))?;
                        paths.push(path);
                        let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                        if n.is_multiple_of(4096)
                            && let Ok(mut p) = progress.lock()
                        {
                            (*p)("bundles", n);
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
    Ok(IssueSummary { issued: bundles.len() as u64, log_size: size, bundles })
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
            credential_status: CredentialStatus {
                status_type: "BitstringStatusListEntry".to_owned(),
                status_purpose: "revocation".to_owned(),
                status_list_index: p.status_index.to_string(),
                status_list_credential: STATUS_LIST_PATH.to_owned(),
            },
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

/// Revokes the credential with `id`: sets its bit, publishes the new status list and commits
/// it as the log's last entry. Returns its status index.
///
/// # Errors
/// [`IssueError::Input`] if this log never issued `id`.
pub fn revoke(log: &mut Log, key: &SignerKey, id: &str, now: i64) -> Result<u64, IssueError> {
    let dir = log.dir().to_owned();
    let issuer = log.checkpoint().origin.clone();
    let index = *read_ids(&dir)?
        .get(&id_tag(&id_secret(key), id))
        .ok_or_else(|| IssueError::Input(format!("this log never issued a credential with id {id:?}")))?;
    let mut list = current_list(&dir, &issuer)?;
    list.set(index);
    let list_bytes = status_list_credential(&issuer, &list, &format_time(now))
        .map_err(|e| IssueError::Input(e.to_string()))?;
    let entry = status_list_entry(&issuer, &list_bytes).map_err(|e| IssueError::Input(e.to_string()))?;
    write_file(&dir.join(STATUS_LIST_PATH), &list_bytes)?;
    let c = log.append(std::iter::once(Ok(entry)), &mut |_, _| {})?;
    let fetch = DirFetch(dir.clone());
    let hashes =
        verifier::prove_inclusion(&FetchTiles::new(&fetch), c.size, c.size - 1).map_err(LogError::from)?;
    let signed = std::fs::read_to_string(dir.join("checkpoint"))
        .map_err(|e| IssueError::Io("read", dir.join("checkpoint"), e))?;
    let proof = format_tlog_proof(&TlogProof { extra: None, index: c.size - 1, hashes, checkpoint: signed });
    write_file(&dir.join(STATUS_PROOF_PATH), proof.as_bytes())?;
    Ok(index)
}

/// Opens a log for issuing: its lock held, waiting for other writers.
///
/// # Errors
/// As [`Log::open`].
pub fn open_log(dir: &Path, key: SignerKey, on_wait: &mut dyn FnMut()) -> Result<Log, IssueError> {
    Ok(Log::open(dir, key, LockMode::Wait, on_wait)?)
}
