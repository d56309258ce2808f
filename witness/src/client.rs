//! The log side: send `add-checkpoint` to each witness of a tlog-policy that has a URL, verify
//! what comes back, and add the cosignatures to the log's checkpoint.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use tlog::{DirFetch, FetchTiles, LockMode, Log, LogError};
use verifier::write::format_note;
use verifier::{Checkpoint, Note, Policy, PolicyWitness, VerifierKey, Verifiers, parse_note, verify_note};

use crate::request::{AddCheckpointRequest, MAX_REQUEST_SIZE, parse_decimal};
use crate::server::SIZE_CONTENT_TYPE;

/// The file in LOGDIR remembering the size each witness last cosigned: private to the log
/// writer, like `.lock`, and only a hint (lost or wrong, it costs one 409 round trip).
/// Lines: `<size> <witness name>+<key ID hex>`.
pub const SIZES_FILE: &str = ".witness-sizes";

/// An HTTP client for witnesses, with a timeout on every call.
#[derive(Debug, Clone)]
pub struct Client {
    agent: ureq::Agent,
}

/// Why one `add-checkpoint` call did not return cosignature lines.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SubmitError {
    /// No answer: connection refused, timeout, DNS, TLS.
    #[error("unreachable: {0}")]
    Unreachable(String),
    /// 409: the witness last cosigned another size, given.
    #[error("409 Conflict: it last cosigned size {0}")]
    Conflict(u64),
    /// Any other status; the witness's message.
    #[error("answered {status}: {message}")]
    Refused {
        /// The HTTP status.
        status: u16,
        /// The body's first line (at most 200 characters).
        message: String,
    },
    /// An answer that is not what the spec says it must be.
    #[error("answered garbage: {0}")]
    Garbage(String),
}

impl Client {
    /// A client whose every call gives up after `timeout`.
    pub fn new(timeout: Duration) -> Self {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .http_status_as_error(false)
            .build()
            .into();
        Client { agent }
    }

    /// Sends one `add-checkpoint` to the witness at `prefix` (its submission prefix); returns
    /// the body of a 200 (not yet verified).
    ///
    /// # Errors
    /// [`SubmitError`].
    pub fn add_checkpoint(&self, prefix: &str, req: &AddCheckpointRequest) -> Result<String, SubmitError> {
        let url = format!("{}/add-checkpoint", prefix.trim_end_matches('/'));
        let body = req.to_bytes();
        let mut resp = self
            .agent
            .post(&url)
            .header("content-type", "text/plain; charset=utf-8")
            .send(&body[..])
            .map_err(|e| match e {
                // It answered, but not in HTTP.
                ureq::Error::Protocol(_) | ureq::Error::LargeResponseHeader(..) => {
                    SubmitError::Garbage(format!("POST {url}: {e}"))
                }
                e => SubmitError::Unreachable(format!("POST {url}: {e}")),
            })?;
        let status = resp.status().as_u16();
        let ctype = resp.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        let bytes = resp
            .body_mut()
            .with_config()
            .limit(MAX_REQUEST_SIZE as u64)
            .read_to_vec()
            .map_err(|e| SubmitError::Garbage(format!("reading the answer to POST {url}: {e}")))?;
        match status {
            200 => String::from_utf8(bytes)
                .map_err(|_| SubmitError::Garbage("a 200 that is not UTF-8".to_owned())),
            409 => {
                if ctype.split(';').next().map(str::trim) != Some(SIZE_CONTENT_TYPE) {
                    return Err(SubmitError::Garbage(format!("a 409 of content type {ctype:?}")));
                }
                bytes
                    .strip_suffix(b"\n")
                    .and_then(parse_decimal)
                    .map(SubmitError::Conflict)
                    .ok_or_else(|| SubmitError::Garbage("a 409 whose body is not a size".to_owned()))
                    .and_then(Err)
            }
            _ => {
                let text = String::from_utf8_lossy(&bytes);
                let first: String = text.lines().next().unwrap_or("").chars().take(200).collect();
                Err(SubmitError::Refused { status, message: first })
            }
        }
    }
}

/// Why one witness of the policy did not cosign.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WitnessFailure {
    /// The policy's `witness` line has no URL.
    #[error("the policy gives no URL for it")]
    NoUrl,
    /// The call failed.
    #[error(transparent)]
    Submit(#[from] SubmitError),
    /// The witness has cosigned a larger size than the log has.
    #[error(
        "it has cosigned size {0}, larger than this log's {1}: the log was rolled back, or the witness saw another history"
    )]
    Ahead(u64, u64),
    /// Still 409 after retrying from the size it gave.
    #[error("409 Conflict again after retrying from size {0}")]
    StillConflict(u64),
    /// The answer holds no valid cosignature by the policy's key for it.
    #[error("its answer holds no valid cosignature by {key}: {reason}")]
    BadCosignature {
        /// The policy's key for the witness, `name+keyid`.
        key: String,
        /// What is wrong.
        reason: String,
    },
    /// The log's tiles could not give the consistency proof the witness needs.
    #[error("cannot build the consistency proof from size {from}: {reason}")]
    Proof {
        /// The witness's size.
        from: u64,
        /// Why.
        reason: String,
    },
    /// The cosignature could not be added to the log's checkpoint.
    #[error("couldn't add its cosignature to the log's checkpoint: {0}")]
    Attach(String),
}

/// What one witness did.
#[derive(Debug, Clone)]
pub struct WitnessResult {
    /// Its name in the policy.
    pub name: String,
    /// Cosigned (the cosignature is on the log's checkpoint), or why not.
    pub outcome: Result<(), WitnessFailure>,
}

/// What gathering cosignatures did.
#[derive(Debug, Clone)]
pub struct GatherReport {
    /// The log's checkpoint that was sent.
    pub checkpoint: Checkpoint,
    /// One result per witness of the policy, in its order.
    pub results: Vec<WitnessResult>,
    /// Whether the log's checkpoint now meets the policy's quorum, or why not.
    pub quorum: Result<(), String>,
}

impl GatherReport {
    /// The witnesses that did not cosign, `name: why`, joined by `; `.
    pub fn failures(&self) -> String {
        let v: Vec<String> = self
            .results
            .iter()
            .filter_map(|r| r.outcome.as_ref().err().map(|e| format!("{}: {e}", r.name)))
            .collect();
        v.join("; ")
    }
}

/// Why cosignatures could not be gathered at all.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GatherError {
    /// The log could not be read, locked or written.
    #[error(transparent)]
    Log(#[from] LogError),
    /// The log's checkpoint is not signed by a log of the policy.
    #[error("the log's checkpoint is not signed by a log of the policy: {0}")]
    NotPolicyLog(String),
}

fn read_sizes(dir: &Path) -> BTreeMap<String, u64> {
    let text = std::fs::read_to_string(dir.join(SIZES_FILE)).unwrap_or_default();
    text.lines()
        .filter_map(|l| {
            let (size, key) = l.split_once(' ')?;
            Some((key.to_owned(), parse_decimal(size.as_bytes())?))
        })
        .collect()
}

fn write_sizes(dir: &Path, sizes: &BTreeMap<String, u64>) {
    let text: String = sizes.iter().map(|(k, s)| format!("{s} {k}\n")).collect();
    // Only a hint: if it cannot be written, the next run pays one 409 round trip.
    let _ = tlog::write_file_atomic(&dir.join(SIZES_FILE), text.as_bytes(), false);
}

/// Adds the cosignature line by the key in a cosigned note to the log's checkpoint.
type Attach<'a> = dyn Fn(&str, &VerifierKey) -> Result<bool, LogError> + 'a;

/// The log's checkpoint being sent, and how to attach a cosignature to it.
struct Sending<'a> {
    signed: &'a [u8],
    cp: &'a Checkpoint,
    text: &'a str,
    tiles: &'a FetchTiles<'a>,
    attach: &'a Attach<'a>,
}

/// Sends the checkpoint to one witness (retrying once after a 409), verifies its answer and
/// attaches the cosignature.
fn submit_one(
    client: &Client,
    url: &str,
    w: &PolicyWitness,
    sending: &Sending<'_>,
    hint: Option<u64>,
) -> Result<(), WitnessFailure> {
    let Sending { signed, cp, text, tiles, attach } = *sending;
    let mut old = hint.filter(|&h| h <= cp.size).unwrap_or(0);
    let mut retried = false;
    let lines = loop {
        let proof = if old == 0 || old == cp.size {
            Vec::new()
        } else {
            verifier::prove_consistency(tiles, old, cp.size)
                .map_err(|e| WitnessFailure::Proof { from: old, reason: e.to_string() })?
        };
        let req = AddCheckpointRequest { old_size: old, proof, checkpoint: signed.to_vec() };
        match client.add_checkpoint(url, &req) {
            Ok(lines) => break lines,
            Err(SubmitError::Conflict(n)) if n > cp.size => return Err(WitnessFailure::Ahead(n, cp.size)),
            Err(SubmitError::Conflict(n)) if !retried => {
                old = n;
                retried = true;
            }
            Err(SubmitError::Conflict(n)) => return Err(WitnessFailure::StillConflict(n)),
            Err(e) => return Err(e.into()),
        }
    };
    let bad = |reason: String| WitnessFailure::BadCosignature { key: w.key.label(), reason };
    if lines.is_empty() || !lines.ends_with('\n') || lines.contains("\n\n") {
        return Err(bad("not a list of signature lines".to_owned()));
    }
    let note = parse_note(format!("{text}\n{lines}").as_bytes()).map_err(|e| bad(e.to_string()))?;
    let verifiers = Verifiers::new(vec![w.key.clone()]).map_err(|e| bad(e.to_string()))?;
    let verified = verify_note(&note, &verifiers).map_err(|e| bad(e.to_string()))?;
    if verified.iter().any(|v| v.timestamp == Some(0)) {
        return Err(bad("its timestamp is zero".to_owned()));
    }
    // Lines by keys the policy does not name for this witness are ignored (tlog-witness); of
    // its key exactly one line is taken, the one that verified.
    let mine: Vec<_> =
        note.signatures.into_iter().filter(|s| s.name == w.key.name && s.key_id == w.key.key_id).collect();
    if mine.len() != 1 {
        return Err(bad(format!("its answer carries {} lines for its key; expected one", mine.len())));
    }
    let cosigned = format_note(&Note { text: text.to_owned(), signatures: mine });
    match attach(&cosigned, &w.key) {
        Ok(true) => Ok(()),
        Ok(false) => Err(WitnessFailure::Attach("the log's checkpoint changed meanwhile".to_owned())),
        Err(e) => Err(WitnessFailure::Attach(e.to_string())),
    }
}

/// Gathers cosignatures for the log in `dir`, whose lock the caller holds.
fn gather(
    dir: &Path,
    policy: &Policy,
    client: &Client,
    attach: &Attach<'_>,
) -> Result<GatherReport, GatherError> {
    let path = dir.join("checkpoint");
    let read =
        || std::fs::read(&path).map_err(|e| LogError::Io { action: "read", path: path.clone(), source: e });
    let signed = read()?;
    let mut why = Vec::new();
    let verified = policy
        .logs
        .iter()
        .find_map(|l| verifier::verify_checkpoint(&signed, &l.key).map_err(|e| why.push(e.to_string())).ok())
        .ok_or_else(|| GatherError::NotPolicyLog(why.join("; ")))?;
    let (cp, text) = (verified.checkpoint, verified.note.text);
    let fetch = DirFetch(dir.to_owned());
    let tiles = FetchTiles::new(&fetch).with_latest(cp.size);
    let sending = Sending { signed: &signed, cp: &cp, text: &text, tiles: &tiles, attach };
    let known = read_sizes(dir);
    let mut sizes = known.clone();
    let mut results = Vec::new();
    for w in &policy.witnesses {
        let label = w.key.label();
        let outcome = match &w.url {
            None => Err(WitnessFailure::NoUrl),
            Some(url) => submit_one(client, url, w, &sending, known.get(&label).copied()),
        };
        if outcome.is_ok() {
            sizes.insert(label, cp.size);
        }
        results.push(WitnessResult { name: w.name.clone(), outcome });
    }
    if sizes != known {
        write_sizes(dir, &sizes);
    }
    let quorum =
        verifier::verify_checkpoint_with_policy(&read()?, policy).map(|_| ()).map_err(|e| e.to_string());
    Ok(GatherReport { checkpoint: cp, results, quorum })
}

/// Sends the checkpoint of the log in `dir` to every witness of `policy` that has a URL, and
/// adds each cosignature that verifies under the policy's key for that witness to the log's
/// checkpoint (durably, under the log's lock, taken with `mode`). A witness that is down,
/// slow or answers garbage is reported and skipped.
///
/// # Errors
/// [`GatherError`] if the log cannot be read or locked, or is not a log of the policy.
pub fn witness_log_dir(
    dir: &Path,
    policy: &Policy,
    client: &Client,
    mode: LockMode,
) -> Result<GatherReport, GatherError> {
    let lock = tlog::lock_dir(dir, mode, &mut || {})?;
    gather(dir, policy, client, &|note, key| tlog::add_cosignature_locked(dir, &lock, note, key))
}

/// [`witness_log_dir`] for a log this process holds open (the issuer's).
///
/// # Errors
/// As [`witness_log_dir`].
pub fn witness_open_log(log: &Log, policy: &Policy, client: &Client) -> Result<GatherReport, GatherError> {
    gather(log.dir(), policy, client, &|note, key| tlog::add_cosignature_to_open_log(log, note, key))
}

/// The witnesses of a policy reached over HTTP, for [`tlog::RemoteWitnesses`] (the issuer's
/// `Witnessing::remote`).
#[derive(Debug, Clone)]
pub struct HttpWitnesses<'a> {
    /// The policy naming the witnesses and their URLs.
    pub policy: &'a Policy,
    /// The client.
    pub client: Client,
}

impl HttpWitnesses<'_> {
    /// Whether any witness of `policy` has a URL to be reached at.
    pub fn any(policy: &Policy) -> bool {
        policy.witnesses.iter().any(|w| w.url.is_some())
    }
}

impl tlog::RemoteWitnesses for HttpWitnesses<'_> {
    fn cosign(&self, log: &Log) -> Result<(), String> {
        let r = witness_open_log(log, self.policy, &self.client).map_err(|e| e.to_string())?;
        let failed: Vec<String> = r
            .results
            .iter()
            .filter(|x| x.outcome.as_ref().is_err_and(|e| *e != WitnessFailure::NoUrl))
            .map(|x| {
                format!(
                    "{}: {}",
                    x.name,
                    x.outcome.as_ref().err().map(ToString::to_string).unwrap_or_default()
                )
            })
            .collect();
        if failed.is_empty() { Ok(()) } else { Err(failed.join("; ")) }
    }
}
