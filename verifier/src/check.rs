//! Step-by-step verification reports: the checks the CLI and the browser run and show.
//!
//! Each function takes untrusted evidence as bytes and returns a [`Report`] listing every
//! check with its outcome; the first failure names what is wrong, and later steps are
//! marked skipped. Nothing here panics on any input.

use std::collections::BTreeMap;

use crate::checkpoint::{
    CheckpointError, VerifiedCheckpoint, verify_checkpoint_for_origin, verify_checkpoint_with_policy,
};
use crate::credential::{Bundle, format_time, parse_status_list_credential, parse_time, status_list_entry};
use crate::hash::{Hash, leaf_hash};
use crate::merkle::{verify_consistency, verify_inclusion};
use crate::note::{KeyKind, VerifierKey, parse_note};
use crate::policy::Policy;
use crate::proof_file::parse_proof_hashes;
use crate::tlog_proof::parse_tlog_proof;

/// What the verifier trusts: one log key, or a C2SP tlog-policy (logs, witnesses, quorum).
#[derive(Debug, Clone)]
pub enum Trust {
    /// A single log key; witness cosignatures are not required. Its checkpoints' origin must
    /// be the key's name.
    Key(VerifierKey),
    /// A single log key whose log signs checkpoints under another origin (Go's checksum
    /// database: `go.sum database tree` under the key `sum.golang.org`); only that origin is
    /// accepted. Witness cosignatures are not required.
    KeyWithOrigin {
        /// The log's checkpoint-signing key.
        key: VerifierKey,
        /// The one origin accepted in its checkpoints.
        origin: String,
    },
    /// A policy; its witness quorum must be met.
    Policy(Policy),
}

impl Trust {
    /// Verifies a signed checkpoint under this trust: the log signature and origin, and under
    /// a policy the witness quorum. The one place a [`Trust`] is applied to a checkpoint.
    ///
    /// # Errors
    /// [`CheckpointError`] naming the first thing that does not verify.
    pub fn verify_checkpoint(&self, signed: &[u8]) -> Result<VerifiedCheckpoint, CheckpointError> {
        match self {
            Trust::Key(k) => verify_checkpoint_for_origin(signed, k, None),
            Trust::KeyWithOrigin { key, origin } => verify_checkpoint_for_origin(signed, key, Some(origin)),
            Trust::Policy(p) => verify_checkpoint_with_policy(signed, p),
        }
    }
}

/// The outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// The check passed.
    Pass,
    /// The check failed; the evidence is not verified.
    Fail,
    /// The check was not run (an earlier one failed, or it does not apply).
    Skip,
    /// The caller asked for this check but it could not be run (an unreachable log, a missing
    /// file, evidence that proves nothing current): the evidence is **not** verified.
    Unchecked,
}

/// A check a report can list. Serialised (`--json`, the app's `data-check`) as its stable
/// kebab-case identifier, [`Check::name`]; docs/formats.md lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Check {
    /// The file parses as the format expected (credential bundle, release bundle, tlog-proof).
    Format,
    /// The credential's issuer is trusted (its log key is in the trust list).
    Issuer,
    /// The release's publisher is trusted.
    Publisher,
    /// The checkpoint is signed by a trusted log key.
    CheckpointSignature,
    /// Witnesses cosigned the checkpoint as the policy requires.
    WitnessQuorum,
    /// The proof file is well-formed.
    ProofFormat,
    /// The entry is in the log at the given index.
    Inclusion,
    /// Both checkpoints are from the same log.
    SameLog,
    /// The new tree extends the old one.
    Consistency,
    /// The disclosed claims are the ones committed to.
    Claims,
    /// The credential is within its validity window.
    Validity,
    /// The issuer has not revoked the credential.
    Revocation,
    /// The log is consistent with a checkpoint seen before.
    LogHistory,
    /// A row is in a published file.
    Row,
}

impl Check {
    /// Every check, in the order reports list them.
    pub const ALL: [Check; 14] = [
        Check::Format,
        Check::Issuer,
        Check::Publisher,
        Check::CheckpointSignature,
        Check::WitnessQuorum,
        Check::ProofFormat,
        Check::Inclusion,
        Check::SameLog,
        Check::Consistency,
        Check::Claims,
        Check::Validity,
        Check::Revocation,
        Check::LogHistory,
        Check::Row,
    ];

    /// The stable identifier, e.g. `checkpoint-signature` (as serialised).
    pub fn name(self) -> &'static str {
        match self {
            Check::Format => "format",
            Check::Issuer => "issuer",
            Check::Publisher => "publisher",
            Check::CheckpointSignature => "checkpoint-signature",
            Check::WitnessQuorum => "witness-quorum",
            Check::ProofFormat => "proof-format",
            Check::Inclusion => "inclusion",
            Check::SameLog => "same-log",
            Check::Consistency => "consistency",
            Check::Claims => "claims",
            Check::Validity => "validity",
            Check::Revocation => "revocation",
            Check::LogHistory => "log-history",
            Check::Row => "row",
        }
    }

    /// What the check establishes, in words. `format` names the file expected, so release
    /// bundles and tlog-proofs carry their own title (set by the report that checks them);
    /// this is the credential bundle's.
    pub fn title(self) -> &'static str {
        match self {
            Check::Format => "the file is a ledgerless credential bundle (v1)",
            Check::Issuer => "the issuer is trusted",
            Check::Publisher => "the publisher is trusted",
            Check::CheckpointSignature => "the checkpoint is signed by a trusted log key",
            Check::WitnessQuorum => "witnesses cosigned the checkpoint as the policy requires",
            Check::ProofFormat => "the proof is well-formed",
            Check::Inclusion => "the entry is in the log at the given index",
            Check::SameLog => "both checkpoints are from the same log",
            Check::Consistency => "the new tree extends the old tree (append-only)",
            Check::Claims => "the disclosed claims are the ones the issuer committed to",
            Check::Validity => "the credential is within its validity window",
            Check::Revocation => "the issuer has not revoked the credential",
            Check::LogHistory => "the log is consistent with what this verifier saw before",
            Check::Row => "the row is in the published file",
        }
    }
}

impl core::fmt::Display for Check {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.pad(self.name())
    }
}

/// Why a step failed (or, for [`Finding::Offline`], could not be checked), where the verdict or
/// the advice people get depends on it. Most failures need none (forged, altered, malformed:
/// [`Verdict::Invalid`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Finding {
    /// The issuer set the credential's status bit.
    Revoked,
    /// Checked after the end of the validity window.
    Expired,
    /// Checked before the start of the validity window.
    NotYetValid,
    /// The issuer named is not in the trust list (or is not the key given).
    UntrustedIssuer,
    /// The publisher named is not in the trust list (or is not the key given).
    UntrustedPublisher,
    /// The log shows fewer entries than a checkpoint seen before.
    Rollback,
    /// The log shows a tree that does not extend one seen before.
    Fork,
    /// Not a failure: the step could not be checked because the log could not be reached
    /// (this device is offline, or the host did not answer), or, on an `issuer` step the
    /// browser app adds, because the trust list is a saved copy the site could not confirm;
    /// an [`Outcome::Unchecked`] step.
    Offline,
}

impl Finding {
    /// The verdict a failure with this finding amounts to.
    pub fn verdict(self) -> Verdict {
        match self {
            Finding::Revoked => Verdict::Revoked,
            Finding::Expired => Verdict::Expired,
            Finding::UntrustedIssuer => Verdict::UntrustedIssuer,
            Finding::NotYetValid | Finding::UntrustedPublisher | Finding::Rollback | Finding::Fork => {
                Verdict::Invalid
            }
            Finding::Offline => Verdict::Unchecked,
        }
    }
}

/// One check in a report.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Step {
    /// Which check, serialised as its stable identifier, e.g. `checkpoint-signature`.
    pub check: Check,
    /// What the check establishes, in words (usually [`Check::title`]).
    pub title: &'static str,
    /// Its outcome.
    pub outcome: Outcome,
    /// What was found: the reason for a failure, or the facts established.
    pub detail: String,
    /// Why it failed, when the verdict or advice depends on it (not serialised: the JSON
    /// keeps its documented shape).
    #[serde(skip)]
    pub finding: Option<Finding>,
}

impl Step {
    /// A step with the check's usual title and no finding.
    pub fn new(check: Check, outcome: Outcome, detail: impl Into<String>) -> Step {
        Step { check, title: check.title(), outcome, detail: detail.into(), finding: None }
    }

    /// A failed step with a typed reason.
    pub fn failed(check: Check, finding: Finding, detail: impl Into<String>) -> Step {
        Step { finding: Some(finding), ..Step::new(check, Outcome::Fail, detail) }
    }

    /// The same step under another title (a report that words the check its own way).
    pub fn titled(self, title: &'static str) -> Step {
        Step { title, ..self }
    }
}

/// The one-word verdict people see for a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Every check passed.
    Valid,
    /// The issuer revoked it.
    Revoked,
    /// Outside its validity window.
    Expired,
    /// Not from a trusted issuer.
    UntrustedIssuer,
    /// Anything else failed: forged, altered, malformed.
    Invalid,
    /// Nothing failed, but a check the caller asked for could not be run (e.g. revocation,
    /// with the issuer's log unreachable). Not valid: fail closed.
    Unchecked,
}

impl Verdict {
    /// The word shown, e.g. "Untrusted issuer".
    pub fn word(self) -> &'static str {
        match self {
            Verdict::Valid => "Valid",
            Verdict::Revoked => "Revoked",
            Verdict::Expired => "Expired",
            Verdict::UntrustedIssuer => "Untrusted issuer",
            Verdict::Invalid => "Invalid",
            Verdict::Unchecked => "Could not check",
        }
    }
}

/// The result of verifying one piece of evidence, step by step.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Report {
    /// True when every check that applies passed.
    pub verified: bool,
    /// The checks, in the order they ran.
    pub steps: Vec<Step>,
}

impl Report {
    fn new() -> Self {
        Report { verified: true, steps: Vec::new() }
    }

    /// Adds a step; a failed or unchecked one clears `verified`.
    pub fn push(&mut self, step: Step) {
        if matches!(step.outcome, Outcome::Fail | Outcome::Unchecked) {
            self.verified = false;
        }
        self.steps.push(step);
    }

    fn pass(&mut self, check: Check, detail: impl Into<String>) {
        self.push(Step::new(check, Outcome::Pass, detail));
    }

    fn fail(&mut self, check: Check, detail: impl Into<String>) {
        self.push(Step::new(check, Outcome::Fail, detail));
    }

    fn unchecked(&mut self, check: Check, detail: impl Into<String>) {
        self.push(Step::new(check, Outcome::Unchecked, detail));
    }

    fn skip(&mut self, check: Check, detail: impl Into<String>) {
        self.push(Step::new(check, Outcome::Skip, detail));
    }

    /// A `format` step under the title naming the file this report expects.
    fn format_step(&mut self, title: &'static str, outcome: Outcome, detail: impl Into<String>) {
        self.push(Step::new(Check::Format, outcome, detail).titled(title));
    }

    fn fail_with(&mut self, check: Check, finding: Finding, detail: impl Into<String>) {
        self.push(Step::failed(check, finding, detail));
    }

    /// Marks the remaining checks as skipped after a failure.
    fn skip_rest(&mut self, rest: &[Check]) {
        for check in rest {
            self.skip(*check, "not checked: an earlier check failed");
        }
    }

    /// The first failed step, if any; else the first step that could not be checked.
    pub fn failure(&self) -> Option<&Step> {
        self.steps
            .iter()
            .find(|s| s.outcome == Outcome::Fail)
            .or_else(|| self.steps.iter().find(|s| s.outcome == Outcome::Unchecked))
    }

    /// The verdict the first failed step (or none) amounts to, from its [`Finding`]. A failure
    /// outranks a check that could not be run; a report whose `verified` was cleared by its
    /// caller is never valid.
    pub fn verdict(&self) -> Verdict {
        let failure = self.steps.iter().find(|s| s.outcome == Outcome::Fail);
        if failure.is_none() && self.steps.iter().any(|s| s.outcome == Outcome::Unchecked) {
            return Verdict::Unchecked;
        }
        match failure {
            None if !self.verified => Verdict::Invalid,
            None => Verdict::Valid,
            Some(f) => f.finding.map_or(Verdict::Invalid, Finding::verdict),
        }
    }
}

/// Checks a signed checkpoint against `trust`, adding the signature and quorum steps.
fn checkpoint_steps(
    report: &mut Report,
    signed: &[u8],
    trust: &Trust,
    which: &str,
) -> Option<VerifiedCheckpoint> {
    let label = |s: &str| {
        if which.is_empty() { s.to_owned() } else { format!("{which}: {s}") }
    };
    match trust {
        Trust::Key(_) | Trust::KeyWithOrigin { .. } => match trust.verify_checkpoint(signed) {
            Ok(v) => {
                report.pass(Check::CheckpointSignature, label(&describe(&v)));
                report
                    .skip(Check::WitnessQuorum, label("no policy given: witness cosignatures not required"));
                Some(v)
            }
            Err(e) => {
                report.fail(Check::CheckpointSignature, label(&e.to_string()));
                None
            }
        },
        Trust::Policy(policy) => match verify_checkpoint_with_policy(signed, policy) {
            Ok(v) => {
                report.pass(Check::CheckpointSignature, label(&describe(&v)));
                let names: Vec<String> = v
                    .cosignatures
                    .iter()
                    .filter_map(|c| policy.witness_named_by_key(&c.name, c.key_id))
                    .map(str::to_owned)
                    .collect();
                let who = if names.is_empty() { "none".to_owned() } else { names.join(", ") };
                report.pass(
                    Check::WitnessQuorum,
                    label(&format!("{}; cosigned by: {who}", policy.describe_quorum())),
                );
                Some(v)
            }
            Err(CheckpointError::QuorumNotMet { quorum, cosigners }) => {
                report.pass(Check::CheckpointSignature, label("signed by a log in the policy"));
                let who = if cosigners.is_empty() { "none".to_owned() } else { cosigners.join(", ") };
                report.fail(
                    Check::WitnessQuorum,
                    label(&format!("quorum not met: {quorum}; valid cosignatures from: {who}")),
                );
                None
            }
            Err(e) => {
                report.fail(Check::CheckpointSignature, label(&e.to_string()));
                None
            }
        },
    }
}

/// Parses a proof file as the `proof-format` step.
fn proof_format_step(report: &mut Report, proof_file: &[u8]) -> Option<Vec<Hash>> {
    match parse_proof_hashes(proof_file) {
        Ok(p) => {
            report.pass(Check::ProofFormat, plural(p.len(), "hash", "hashes"));
            Some(p)
        }
        Err(e) => {
            report.fail(Check::ProofFormat, e.to_string());
            None
        }
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn describe(v: &VerifiedCheckpoint) -> String {
    format!(
        "signed by {}; origin {}, size {}, root {}",
        v.log_key, v.checkpoint.origin, v.checkpoint.size, v.checkpoint.root_hash
    )
}

/// Verifies a signed checkpoint: its log signature, and under a policy its witness quorum.
pub fn check_checkpoint(signed: &[u8], trust: &Trust) -> (Report, Option<VerifiedCheckpoint>) {
    let mut report = Report::new();
    let v = checkpoint_steps(&mut report, signed, trust, "");
    (report, v)
}

/// Verifies that `entry` is at `index` in the log, given a signed checkpoint and a proof file
/// (one base64 hash per line).
pub fn check_inclusion(
    trust: &Trust,
    checkpoint: &[u8],
    entry: &[u8],
    index: u64,
    proof_file: &[u8],
) -> Report {
    let mut report = Report::new();
    let Some(v) = checkpoint_steps(&mut report, checkpoint, trust, "") else {
        report.skip_rest(&[Check::ProofFormat, Check::Inclusion]);
        return report;
    };
    let Some(proof) = proof_format_step(&mut report, proof_file) else {
        report.skip_rest(&[Check::Inclusion]);
        return report;
    };
    inclusion_step(&mut report, &v, entry, index, &proof);
    report
}

fn inclusion_step(report: &mut Report, v: &VerifiedCheckpoint, entry: &[u8], index: u64, proof: &[Hash]) {
    let leaf = leaf_hash(entry);
    let c = &v.checkpoint;
    match verify_inclusion(index, c.size, &leaf, proof, &c.root_hash) {
        Ok(()) => report.pass(
            Check::Inclusion,
            format!("entry (leaf hash {leaf}) is at index {index} of {} entries", c.size),
        ),
        Err(e) => report.fail(Check::Inclusion, format!("entry (leaf hash {leaf}) at index {index}: {e}")),
    }
}

/// Verifies that the log's `new` checkpoint extends its `old` one, given a consistency proof
/// file. Both must be signed by trusted keys and share the origin.
pub fn check_consistency(trust: &Trust, old: &[u8], new: &[u8], proof_file: &[u8]) -> Report {
    let mut report = Report::new();
    let Some(o) = checkpoint_steps(&mut report, old, trust, "old checkpoint") else {
        report.skip_rest(&[Check::SameLog, Check::ProofFormat, Check::Consistency]);
        return report;
    };
    let Some(n) = checkpoint_steps(&mut report, new, trust, "new checkpoint") else {
        report.skip_rest(&[Check::SameLog, Check::ProofFormat, Check::Consistency]);
        return report;
    };
    let (oc, nc) = (&o.checkpoint, &n.checkpoint);
    if oc.origin != nc.origin {
        report.fail(
            Check::SameLog,
            format!("old origin {:?} differs from new origin {:?}", oc.origin, nc.origin),
        );
        report.skip_rest(&[Check::ProofFormat, Check::Consistency]);
        return report;
    }
    report.pass(Check::SameLog, format!("origin {}", oc.origin));
    let Some(proof) = proof_format_step(&mut report, proof_file) else {
        report.skip_rest(&[Check::Consistency]);
        return report;
    };
    if oc.size == 0 && proof.is_empty() {
        // docs/design/0002: an empty old tree has nothing to be consistent with.
        report.pass(Check::Consistency, format!("old tree is empty; any tree (size {}) extends it", nc.size));
        return report;
    }
    match verify_consistency(oc.size, nc.size, &proof, &oc.root_hash, &nc.root_hash) {
        Ok(()) => report.pass(Check::Consistency, format!("size {} extends size {}", nc.size, oc.size)),
        Err(e @ crate::merkle::ProofError::SizeOrder { .. }) => report
            .fail(Check::Consistency, format!("{e}: the \"new\" checkpoint is older than the \"old\" one")),
        Err(e) => report.fail(
            Check::Consistency,
            format!(
                "from size {} to {}: {e}; if both checkpoints are genuine, the log has forked",
                oc.size, nc.size
            ),
        ),
    }
    report
}

/// Verifies a C2SP tlog-proof for `entry`: the checkpoint it carries (and the witness quorum
/// under a policy), then the inclusion proof.
pub fn check_tlog_proof(trust: &Trust, tlog_proof: &[u8], entry: &[u8]) -> Report {
    const TITLE: &str = "the file is a c2sp.org/tlog-proof@v1";
    let mut report = Report::new();
    let p = match parse_tlog_proof(tlog_proof) {
        Ok(p) => {
            let note = match parse_note(p.checkpoint.as_bytes()) {
                Ok(n) => n,
                Err(e) => {
                    report.format_step(TITLE, Outcome::Fail, format!("embedded checkpoint: {e}"));
                    report.skip_rest(&[Check::CheckpointSignature, Check::WitnessQuorum, Check::Inclusion]);
                    return report;
                }
            };
            report.format_step(
                TITLE,
                Outcome::Pass,
                format!(
                    "index {}, {} proof hashes, checkpoint with {} signatures",
                    p.index,
                    p.hashes.len(),
                    note.signatures.len()
                ),
            );
            p
        }
        Err(e) => {
            report.format_step(TITLE, Outcome::Fail, e.to_string());
            report.skip_rest(&[Check::CheckpointSignature, Check::WitnessQuorum, Check::Inclusion]);
            return report;
        }
    };
    let Some(v) = checkpoint_steps(&mut report, p.checkpoint.as_bytes(), trust, "") else {
        report.skip_rest(&[Check::Inclusion]);
        return report;
    };
    inclusion_step(&mut report, &v, entry, p.index, &p.hashes);
    report
}

/// Why a trust anchor file is not a log's verifier key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrustKeyError {
    /// The file is not UTF-8.
    #[error("verifier key is not UTF-8")]
    NotUtf8,
    /// The line is not a verifier key.
    #[error(transparent)]
    Malformed(#[from] crate::note::NoteError),
    /// A witness's cosigning key (named by its label), where a log's key is wanted.
    #[error("{0} is a witness (cosignature) key, not a log key")]
    WitnessKey(String),
}

/// Parses a trust anchor file: a log's verifier key (one line).
///
/// # Errors
/// [`TrustKeyError`] naming what is wrong with the key.
pub fn parse_trust_key(text: &[u8]) -> Result<Trust, TrustKeyError> {
    let s = core::str::from_utf8(text).map_err(|_| TrustKeyError::NotUtf8)?;
    let key = crate::note::parse_verifier_key(s.trim())?;
    if key.kind != KeyKind::Ed25519 {
        return Err(TrustKeyError::WitnessKey(key.label()));
    }
    Ok(Trust::Key(key))
}

/// A site's or user's list of trusted issuers and publishers (`trust.json`).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustList {
    /// Credential issuers.
    #[serde(default)]
    pub issuers: Vec<TrustedParty>,
    /// Dataset publishers.
    #[serde(default)]
    pub publishers: Vec<TrustedParty>,
}

/// One trusted issuer or publisher.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustedParty {
    /// The name people see, e.g. "General Medical Council".
    pub name: String,
    /// Its log's verifier key; the key name is the log origin unless `origin` says otherwise.
    pub vkey: String,
    /// The origin its log's checkpoints carry when it is not the key's name (Go's checksum
    /// database: `go.sum database tree` under the key `sum.golang.org`); only with a bare key,
    /// not with a `policy` (a tlog-policy names its logs by their keys).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
    /// Where its log is served, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log: Option<String>,
    /// A C2SP tlog-policy (its text) requiring witness cosignatures, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
}

impl TrustList {
    /// Parses a `trust.json`.
    ///
    /// # Errors
    /// A message naming what is wrong, including a bad key or policy inside.
    pub fn parse(bytes: &[u8]) -> Result<TrustList, String> {
        let t: TrustList = serde_json::from_slice(bytes).map_err(|e| format!("trust list: {e}"))?;
        for p in t.issuers.iter().chain(&t.publishers) {
            p.trust().map_err(|e| format!("trust list entry {:?}: {e}", p.name))?;
        }
        Ok(t)
    }

    /// The trusted credential *issuer* whose log origin is `origin`, and the trust to verify
    /// it with. Keys are trusted only for their role: a publisher's key never vouches for a
    /// credential.
    pub fn find_issuer(&self, origin: &str) -> Option<(&TrustedParty, Trust)> {
        self.issuers.iter().find_map(|p| p.trust().ok().filter(|(o, _)| o == origin).map(|(_, t)| (p, t)))
    }
}

impl TrustList {
    /// The trusted *publisher* whose log origin is `origin`.
    pub fn find_publisher(&self, origin: &str) -> Option<(&TrustedParty, Trust)> {
        self.publishers.iter().find_map(|p| p.trust().ok().filter(|(o, _)| o == origin).map(|(_, t)| (p, t)))
    }
}

impl TrustedParty {
    /// Its log's origin and the trust to verify it with.
    fn trust(&self) -> Result<(String, Trust), String> {
        let key = crate::note::parse_verifier_key(&self.vkey).map_err(|e| e.to_string())?;
        let trust = match (&self.policy, &self.origin) {
            (_, Some(o)) if o.is_empty() || o.contains('\n') => {
                return Err(format!("origin {o:?}: an origin is one non-empty line"));
            }
            (Some(_), Some(_)) => {
                return Err("an origin is given with a bare key only, not with a policy \
                            (a tlog-policy's logs sign under their key names)"
                    .to_owned());
            }
            (None, Some(origin)) => {
                return Ok((origin.clone(), Trust::KeyWithOrigin { key, origin: origin.clone() }));
            }
            (Some(p), None) => {
                let policy = crate::policy::parse_policy(p.as_bytes()).map_err(|e| e.to_string())?;
                if !policy.logs.iter().any(|l| l.key == key) {
                    return Err("its policy does not list its own log key".to_owned());
                }
                Trust::Policy(policy)
            }
            (None, None) => Trust::Key(key.clone()),
        };
        Ok((key.name, trust))
    }
}

/// How a bundle's issuer is trusted.
#[derive(Debug, Clone)]
pub enum BundleTrust {
    /// Exactly this log key or policy; the issuer must be its log.
    Direct(Trust),
    /// Any issuer in the list.
    List(TrustList),
}

/// Evidence of a credential's current revocation status, fetched from the issuer's log.
#[derive(Debug, Clone)]
pub struct StatusEvidence {
    /// The log's current signed checkpoint.
    pub latest_checkpoint: Vec<u8>,
    /// The `status/revocation.json` file.
    pub list: Vec<u8>,
    /// The `status/revocation.tlog-proof` file.
    pub list_proof: Vec<u8>,
    /// Consistency proof from the bundle's tree size to the latest (built from the log's
    /// tiles; empty when the sizes are equal), or `None` if it could not be built.
    pub consistency: Option<Vec<Hash>>,
}

/// Whether, and with what, a bundle's revocation status is checked. The caller decides; the
/// verifier never silently downgrades a requested check to "skipped".
#[derive(Debug, Clone, Copy)]
pub enum StatusCheck<'a> {
    /// Verify offline, by request (`--offline`) or because no log is known for the issuer: the
    /// `revocation` step is skipped and says so; the verdict can still be valid.
    Offline,
    /// Check against this evidence, fetched from the issuer's log.
    Evidence(&'a StatusEvidence),
    /// A log was given or known, but its evidence could not be had (unreachable, missing file,
    /// timeout): the step is [`Outcome::Unchecked`] with this reason, and the verdict is
    /// [`Verdict::Unchecked`], never valid.
    Unavailable(&'a str),
    /// A log was known, but it could not be reached at all (this device is offline, or the
    /// host did not answer): as [`StatusCheck::Unavailable`], with [`Finding::Offline`] and a
    /// detail saying when this verifier last saw the log, so nobody mistakes it for current.
    Unreachable {
        /// What failed, e.g. "this device is offline" or "could not reach URL".
        why: &'a str,
        /// The last checkpoint this verifier saw for the issuer's log (verified before it is
        /// named; one that does not verify is ignored), if any.
        last_seen: Option<&'a [u8]>,
        /// When it was seen (POSIX seconds), if known.
        seen_at: Option<i64>,
    },
}

/// What a verified (or partly verified) bundle says, for display.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BundleSummary {
    /// The issuer's display name, from the trust list (or the origin).
    pub issuer_name: String,
    /// The issuer's log origin.
    pub issuer: String,
    /// Credential type.
    pub credential_type: String,
    /// Disclosed claims.
    pub claims: BTreeMap<String, String>,
    /// Number of claims the credential has in all.
    pub claims_count: u64,
    /// Validity window.
    pub valid_from: Option<String>,
    /// Validity window.
    pub valid_until: Option<String>,
    /// Whether the revocation status was checked and found clear.
    pub status_checked: bool,
}

impl BundleSummary {
    /// The person the bundle names: its `name` claim with spacing and case normalised
    /// (titles kept), for grouping a portfolio; `None` if the name is not disclosed.
    pub fn subject(&self) -> Option<String> {
        self.claims.get("name").map(|n| n.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase())
    }
}

/// The steps of [`check_bundle`] after its format check.
const BUNDLE_STEPS_AFTER_FORMAT: [Check; 7] = [
    Check::Issuer,
    Check::CheckpointSignature,
    Check::WitnessQuorum,
    Check::Inclusion,
    Check::Claims,
    Check::Validity,
    Check::Revocation,
];

/// The report of a bundle that could not be read out of its link (a compact bundle that does
/// not decode): the format check fails with `detail` and the other steps are not checked,
/// exactly as [`check_bundle`] reports a malformed bundle file.
pub fn bundle_format_failure(detail: impl Into<String>) -> Report {
    let mut r = Report::new();
    r.fail(Check::Format, detail);
    r.skip_rest(&BUNDLE_STEPS_AFTER_FORMAT);
    r
}

/// Verifies a credential bundle at POSIX time `at`, step by step: format, trusted issuer,
/// checkpoint signature (and witness quorum), inclusion of the entry rebuilt from the bundle,
/// disclosed claims, validity window, and revocation as `status` says: checked against
/// evidence, skipped when verifying offline, or *unchecked* (not valid) when a log was asked
/// for and could not be read.
pub fn check_bundle(
    bundle: &[u8],
    trust: &BundleTrust,
    at: i64,
    status: StatusCheck<'_>,
) -> (Report, Option<BundleSummary>) {
    let mut r = Report::new();
    let rest = BUNDLE_STEPS_AFTER_FORMAT;
    let parsed = Bundle::parse(bundle).and_then(|b| b.entry().map(|e| (b, e)));
    let (b, entry) = match parsed {
        Ok(x) => x,
        Err(e) => {
            r.fail(Check::Format, e.to_string());
            r.skip_rest(&rest);
            return (r, None);
        }
    };
    let proof = match parse_tlog_proof(b.tlog_proof.as_bytes()) {
        Ok(p) => p,
        Err(e) => {
            r.fail(Check::Format, format!("tlogProof: {e}"));
            r.skip_rest(&rest);
            return (r, None);
        }
    };
    let c = &b.credential;
    r.pass(
        Check::Format,
        format!(
            "{} from {}, {}",
            b.credential_type(),
            c.issuer,
            plural(c.credential_subject.len(), "claim shown", "claims shown")
        ),
    );
    let mut summary = BundleSummary {
        issuer_name: c.issuer.clone(),
        issuer: c.issuer.clone(),
        credential_type: b.credential_type().to_owned(),
        claims: c.credential_subject.clone(),
        claims_count: b.disclosure.claims_count,
        valid_from: c.valid_from.clone(),
        valid_until: c.valid_until.clone(),
        status_checked: false,
    };
    // Issuer: the trust anchor is chosen by the issuer named in the bundle, never taken from it.
    let resolved = match trust {
        BundleTrust::Direct(t) => {
            // The issuer is the log's origin: the key's name, or the origin the trust names.
            let key_name = match t {
                Trust::Key(k) => Some(k.name.clone()),
                Trust::KeyWithOrigin { origin, .. } => Some(origin.clone()),
                Trust::Policy(p) => p.logs.iter().map(|l| l.key.name.clone()).find(|n| *n == c.issuer),
            };
            match key_name {
                Some(n) if n == c.issuer => Some((c.issuer.clone(), t.clone())),
                _ => None,
            }
        }
        BundleTrust::List(list) => list.find_issuer(&c.issuer).map(|(p, t)| (p.name.clone(), t)),
    };
    let Some((name, t)) = resolved else {
        r.fail_with(
            Check::Issuer,
            Finding::UntrustedIssuer,
            format!("{} is not a trusted issuer: no trusted key for that log", c.issuer),
        );
        r.skip_rest(&rest[1..]);
        return (r, Some(summary));
    };
    summary.issuer_name = name.clone();
    r.pass(Check::Issuer, format!("{name} ({})", c.issuer));
    let Some(v) = checkpoint_steps(&mut r, proof.checkpoint.as_bytes(), &t, "") else {
        r.skip_rest(&rest[3..]);
        return (r, Some(summary));
    };
    if v.checkpoint.origin != c.issuer {
        r.fail(Check::Inclusion, format!("the proof is from log {}, not the issuer's", v.checkpoint.origin));
        r.skip_rest(&rest[4..]);
        return (r, Some(summary));
    }
    inclusion_step(&mut r, &v, &entry, proof.index, &proof.hashes);
    if !r.verified {
        r.skip_rest(&rest[4..]);
        return (r, Some(summary));
    }
    match b.check_claims() {
        Ok(()) => r.pass(
            Check::Claims,
            format!(
                "{} of {} committed claims disclosed and proven",
                c.credential_subject.len(),
                b.disclosure.claims_count
            ),
        ),
        Err(e) => {
            r.fail(Check::Claims, e.to_string());
            r.skip_rest(&rest[5..]);
            return (r, Some(summary));
        }
    }
    validity_step(&mut r, c, at);
    match status {
        StatusCheck::Offline => r.skip(
            Check::Revocation,
            "not checked: verified offline (give the issuer's log to check revocation)",
        ),
        StatusCheck::Unavailable(why) => {
            r.unchecked(Check::Revocation, format!("could not check revocation: {why}"))
        }
        StatusCheck::Unreachable { why, last_seen, seen_at } => {
            let seen = last_seen_words(&t, &c.issuer, last_seen, seen_at);
            r.push(Step {
                finding: Some(Finding::Offline),
                ..Step::new(
                    Check::Revocation,
                    Outcome::Unchecked,
                    format!("not checked — offline ({why}); {seen}; reconnect to check revocation"),
                )
            });
        }
        StatusCheck::Evidence(s) => {
            // The status list is only as good as the checkpoint it is proven against.
            match revocation_step(&b, &v.checkpoint, &t, s) {
                Ok(detail) => {
                    summary.status_checked = true;
                    r.pass(Check::Revocation, detail);
                }
                Err(Revocation::Unchecked(detail)) => {
                    r.unchecked(Check::Revocation, format!("could not check revocation: {detail}"))
                }
                Err(Revocation::Fail(detail)) => r.fail(Check::Revocation, detail),
                Err(Revocation::Found(finding, detail)) => r.fail_with(Check::Revocation, finding, detail),
            }
        }
    }
    (r, Some(summary))
}

/// "issuer log last seen at TIME (size N)" for an offline revocation step: only a remembered
/// checkpoint that verifies under `trust` for `origin` is named, never one taken on faith.
fn last_seen_words(trust: &Trust, origin: &str, last_seen: Option<&[u8]>, seen_at: Option<i64>) -> String {
    let Some(bytes) = last_seen else {
        return "this verifier has not seen the issuer's log before".to_owned();
    };
    match trust.verify_checkpoint(bytes) {
        Ok(v) if v.checkpoint.origin == origin => {
            let when = seen_at.map_or("an unknown time".to_owned(), format_time);
            format!("issuer log last seen at {when} (size {})", v.checkpoint.size)
        }
        _ => "the remembered checkpoint of the issuer's log does not verify and was ignored".to_owned(),
    }
}

fn validity_step(r: &mut Report, c: &crate::credential::Credential, at: i64) {
    let when = format_time(at);
    let parse = |s: &Option<String>| s.as_deref().map(parse_time).transpose();
    match (parse(&c.valid_from), parse(&c.valid_until)) {
        (Err(e), _) | (_, Err(e)) => r.fail(Check::Validity, e.to_string()),
        (Ok(Some(from)), _) if at < from => r.fail_with(
            Check::Validity,
            Finding::NotYetValid,
            format!("not yet valid: valid from {} (checked at {when})", format_time(from)),
        ),
        (_, Ok(Some(until))) if at > until => r.fail_with(
            Check::Validity,
            Finding::Expired,
            format!("expired: valid until {} (checked at {when})", format_time(until)),
        ),
        (Ok(from), Ok(until)) => r.pass(
            Check::Validity,
            format!(
                "valid at {when} (from {}, until {})",
                from.map_or("any time".to_owned(), format_time),
                until.map_or("no end date".to_owned(), format_time)
            ),
        ),
    }
}

/// Why the revocation step did not pass.
enum Revocation {
    /// The evidence is forged or malformed: not valid.
    Fail(String),
    /// Revoked, or the log rolled back or forked: not valid, for this reason.
    Found(Finding, String),
    /// The evidence proves nothing current (stale, incomplete): revocation could not be checked.
    Unchecked(String),
}

fn revocation_step(
    b: &Bundle,
    bundle_checkpoint: &crate::checkpoint::Checkpoint,
    trust: &Trust,
    s: &StatusEvidence,
) -> Result<String, Revocation> {
    use Revocation::{Fail, Found, Unchecked};
    let latest = trust.verify_checkpoint(&s.latest_checkpoint);
    let (latest, witnessed) = match latest {
        // How current the answer is: the newest witness cosignature on the log's checkpoint (a
        // host replaying an older, consistent snapshot cannot make this newer).
        Ok(v) => {
            let witnessed = v.cosignatures.iter().filter_map(|c| c.timestamp).max();
            (v.checkpoint, witnessed)
        }
        // A current checkpoint that witnesses have not (yet) cosigned proves nothing current.
        Err(e @ CheckpointError::QuorumNotMet { .. }) => {
            return Err(Unchecked(format!("the log's current checkpoint: {e}")));
        }
        Err(e) => return Err(Fail(format!("the log's current checkpoint: {e}"))),
    };
    let p = parse_tlog_proof(&s.list_proof).map_err(|e| Fail(format!("status list proof: {e}")))?;
    // The status list proof is checked against the *current* checkpoint, which was verified
    // above (signature and quorum): the checkpoint embedded in the proof file only has to
    // name the same tree, so a later cosignature on the log need not be copied into it.
    let proven = parse_note(p.checkpoint.as_bytes())
        .map_err(|e| e.to_string())
        .and_then(|n| crate::checkpoint::parse_checkpoint(&n.text).map_err(|e| e.to_string()))
        .map_err(|e| Fail(format!("status list proof: {e}")))?;
    if (proven.origin.as_str(), proven.size, proven.root_hash)
        != (latest.origin.as_str(), latest.size, latest.root_hash)
        || p.index + 1 != latest.size
    {
        return Err(Unchecked(format!(
            "cannot tell the status list is current: it is proven at entry {} of size {}, but the log is at size {}",
            p.index, proven.size, latest.size
        )));
    }
    let entry = status_list_entry(&b.credential.issuer, &s.list).map_err(|e| Fail(e.to_string()))?;
    verify_inclusion(p.index, latest.size, &leaf_hash(&entry), &p.hashes, &latest.root_hash)
        .map_err(|e| Unchecked(format!("the status list is not the one committed to the log: {e}")))?;
    if bundle_checkpoint.size > latest.size {
        return Err(Found(
            Finding::Rollback,
            format!(
                "the log now shows size {}, smaller than the bundle's {}: a rollback or fork",
                latest.size, bundle_checkpoint.size
            ),
        ));
    }
    if bundle_checkpoint.size > 0 {
        let proof = s
            .consistency
            .as_deref()
            .ok_or_else(|| Unchecked("could not get a consistency proof from the log's tiles".to_owned()))?;
        verify_consistency(bundle_checkpoint.size, latest.size, proof, &bundle_checkpoint.root_hash, &latest.root_hash)
            .map_err(|e| {
                Found(Finding::Fork, format!(
                    "the log's current tree (size {}) does not extend the bundle's (size {}): {e}; the log has forked",
                    latest.size, bundle_checkpoint.size
                ))
            })?;
    }
    let list =
        parse_status_list_credential(&s.list, &b.credential.issuer).map_err(|e| Fail(e.to_string()))?;
    let index = crate::checkpoint::parse_decimal(&b.credential.credential_status.status_list_index)
        .ok_or_else(|| Fail("the credential's status index is not a number".to_owned()))?;
    match list.get(index) {
        Some(false) => {
            let when = witnessed
                .and_then(|t| i64::try_from(t).ok())
                .map(|t| format!("; log witnessed at {}", format_time(t)))
                .unwrap_or_default();
            Ok(format!("not revoked (status list committed at entry {} of {}{when})", p.index, latest.size))
        }
        Some(true) => Err(Found(
            Finding::Revoked,
            format!(
                "revoked: the issuer set status bit {index} in its status list committed at entry {}",
                p.index
            ),
        )),
        None => Err(Fail(format!("status bit {index} is beyond the issuer's status list"))),
    }
}

/// Compares a log's current checkpoint with the last one this verifier saw for it (kept in
/// browser storage, or the one a release or bundle was proven under): the log may only have
/// grown, proven by `proof` (a consistency proof from the old size to the new, built from the
/// log's tiles; [`history_proof_sizes`] says which). This is what catches a log showing
/// different histories to different people over time. Pure: the callers (CLI and browser)
/// fetch; this is the one place the comparison is made.
///
/// A stored checkpoint that does not verify is ignored (skipped), never trusted. A rollback or
/// fork fails with [`Finding::Rollback`] or [`Finding::Fork`].
pub fn check_last_seen(trust: &Trust, last_seen: &[u8], latest: &[u8], proof: Option<&[Hash]>) -> Step {
    let verify = |bytes: &[u8]| trust.verify_checkpoint(bytes);
    let step = |outcome, detail: String| Step::new(Check::LogHistory, outcome, detail);
    let found = |finding, detail: String| Step::failed(Check::LogHistory, finding, detail);
    let Ok(old) = verify(last_seen) else {
        return step(Outcome::Skip, "ignored a remembered checkpoint that does not verify".to_owned());
    };
    let new = match verify(latest) {
        Ok(v) => v,
        // Not (yet) cosigned by the witnesses: proves nothing current, but is no forgery either.
        Err(e @ CheckpointError::QuorumNotMet { .. }) => {
            return step(Outcome::Unchecked, format!("the log's current checkpoint: {e}"));
        }
        Err(e) => return step(Outcome::Fail, format!("the log's current checkpoint: {e}")),
    };
    let (o, n) = (&old.checkpoint, &new.checkpoint);
    if o.origin != n.origin {
        return step(Outcome::Skip, "the remembered checkpoint is for another log".to_owned());
    }
    let evidence = || {
        format!("remembered: size {} root {}; now: size {} root {}", o.size, o.root_hash, n.size, n.root_hash)
    };
    if n.size < o.size {
        return found(
            Finding::Rollback,
            format!("rollback: the log now shows fewer entries than before ({})", evidence()),
        );
    }
    if n.size == o.size {
        return if n.root_hash == o.root_hash {
            step(Outcome::Pass, format!("unchanged since last seen (size {})", n.size))
        } else {
            found(Finding::Fork, format!("fork: two different trees of the same size ({})", evidence()))
        };
    }
    if o.size == 0 {
        return step(Outcome::Pass, format!("grown from empty to size {}", n.size));
    }
    // The comparison needs a proof the log did not give: it could not be checked (never a pass).
    let Some(proof) = proof else {
        return step(
            Outcome::Unchecked,
            format!("could not get a consistency proof from the log's tiles ({})", evidence()),
        );
    };
    match verify_consistency(o.size, n.size, proof, &o.root_hash, &n.root_hash) {
        Ok(()) => {
            step(Outcome::Pass, format!("grown from size {} to {} without rewriting history", o.size, n.size))
        }
        Err(e) => found(
            Finding::Fork,
            format!("fork: the current tree does not extend the one seen before: {e} ({})", evidence()),
        ),
    }
}

/// The tree sizes `(old, new)` a consistency proof must span for [`check_last_seen`] to compare
/// `last_seen` with `latest`, or `None` when it needs none (an empty or unreadable old tree, or
/// a new tree no larger than the old). Read without verifying: only to choose what to fetch.
pub fn history_proof_sizes(last_seen: &[u8], latest: &[u8]) -> Option<(u64, u64)> {
    let size = |b: &[u8]| {
        let n = parse_note(b).ok()?;
        crate::checkpoint::parse_checkpoint(&n.text).ok().map(|c| c.size)
    };
    let (old, new) = (size(last_seen)?, size(latest)?);
    (old > 0 && old < new).then_some((old, new))
}

/// The `format` step's title for release bundles and row proofs.
const RELEASE_TITLE: &str = "the file is a ledgerless release bundle (v1)";

/// Verifies a release bundle: format, publisher trusted (by the manifest's publisher, never a
/// key from the bundle), checkpoint signature, witness quorum, and inclusion of the manifest.
/// Returns the manifest and the publisher's display name when the bundle parsed.
pub fn check_release(bundle: &[u8], trust: &BundleTrust) -> (Report, Option<(crate::Manifest, String)>) {
    let mut r = Report::new();
    match crate::ReleaseBundle::parse(bundle) {
        Ok(b) => release_steps(&mut r, &b, trust),
        Err(e) => {
            r.format_step(RELEASE_TITLE, Outcome::Fail, e.to_string());
            r.skip_rest(RELEASE_REST);
            (r, None)
        }
    }
}

/// The release-bundle checks after `format`, skipped when the bundle cannot be read.
const RELEASE_REST: &[Check] =
    &[Check::Publisher, Check::CheckpointSignature, Check::WitnessQuorum, Check::Inclusion];

fn release_steps(
    r: &mut Report,
    b: &crate::ReleaseBundle,
    trust: &BundleTrust,
) -> (Report, Option<(crate::Manifest, String)>) {
    let m = &b.manifest;
    let out = |r: &mut Report, name: String| (core::mem::replace(r, Report::new()), Some((m.clone(), name)));
    let (proof, entry) = match (parse_tlog_proof(b.tlog_proof.as_bytes()), m.entry()) {
        (Ok(p), Ok(e)) => (p, e),
        (Err(e), _) => {
            r.format_step(RELEASE_TITLE, Outcome::Fail, format!("tlogProof: {e}"));
            r.skip_rest(RELEASE_REST);
            return out(r, m.publisher.clone());
        }
        (_, Err(e)) => {
            r.format_step(RELEASE_TITLE, Outcome::Fail, e.to_string());
            r.skip_rest(RELEASE_REST);
            return out(r, m.publisher.clone());
        }
    };
    r.format_step(
        RELEASE_TITLE,
        Outcome::Pass,
        format!(
            "release {:?} from {}, {}",
            m.name,
            m.publisher,
            plural(m.related_resource.len(), "file", "files")
        ),
    );
    let resolved = match trust {
        BundleTrust::Direct(t) => {
            let ok = match t {
                Trust::Key(k) => k.name == m.publisher,
                Trust::KeyWithOrigin { origin, .. } => *origin == m.publisher,
                Trust::Policy(p) => p.logs.iter().any(|l| l.key.name == m.publisher),
            };
            ok.then(|| (m.publisher.clone(), t.clone()))
        }
        BundleTrust::List(list) => list.find_publisher(&m.publisher).map(|(p, t)| (p.name.clone(), t)),
    };
    let Some((name, t)) = resolved else {
        r.fail_with(
            Check::Publisher,
            Finding::UntrustedPublisher,
            format!("{} is not a trusted publisher: no trusted key for that log", m.publisher),
        );
        r.skip_rest(&[Check::CheckpointSignature, Check::WitnessQuorum, Check::Inclusion]);
        return out(r, m.publisher.clone());
    };
    r.pass(Check::Publisher, format!("{name} ({})", m.publisher));
    let Some(v) = checkpoint_steps(r, proof.checkpoint.as_bytes(), &t, "") else {
        r.skip_rest(&[Check::Inclusion]);
        return out(r, name);
    };
    if v.checkpoint.origin != m.publisher {
        r.fail(
            Check::Inclusion,
            format!("the proof is from log {}, not the publisher's", v.checkpoint.origin),
        );
        return out(r, name);
    }
    inclusion_step(r, &v, &entry, proof.index, &proof.hashes);
    out(r, name)
}

/// Verifies a row proof on its own: the release bundle it carries, then the row's inclusion
/// under the file's `rowsRoot`.
pub fn check_row_proof(proof: &[u8], trust: &BundleTrust) -> (Report, Option<crate::RowProof>) {
    let p = match crate::RowProof::parse(proof) {
        Ok(p) => p,
        Err(e) => {
            let mut r = Report::new();
            r.format_step(RELEASE_TITLE, Outcome::Fail, e.to_string());
            r.skip_rest(&[
                Check::Publisher,
                Check::CheckpointSignature,
                Check::WitnessQuorum,
                Check::Inclusion,
                Check::Row,
            ]);
            return (r, None);
        }
    };
    let mut r = Report::new();
    let (mut r, _) = release_steps(&mut r, &p.release, trust);
    if !r.verified {
        r.skip_rest(&[Check::Row]);
        return (r, Some(p));
    }
    let m = &p.release.manifest;
    let step = (|| -> Result<String, String> {
        let res = m.resource(&p.file).ok_or_else(|| format!("{:?} is not a file of the release", p.file))?;
        let (Some(columns), Some(rows), Some(root)) =
            (&res.columns, res.rows, res.root().map_err(|e| e.to_string())?)
        else {
            return Err(format!("{:?} is not a table (no rowsRoot)", p.file));
        };
        if p.values.len() != columns.len() {
            return Err(format!(
                "the row has {} values but {:?} has {} columns",
                p.values.len(),
                p.file,
                columns.len()
            ));
        }
        let hashes: Vec<Hash> = p
            .proof
            .iter()
            .map(|h| Hash::parse_base64(h).map_err(|e| format!("proof hash: {e}")))
            .collect::<Result<_, _>>()?;
        let leaf = crate::row_leaf(columns, &p.values).map_err(|e| e.to_string())?;
        verify_inclusion(p.row, rows, &leaf, &hashes, &root)
            .map_err(|e| format!("row {} of {:?}: {e}", p.row, p.file))?;
        Ok(format!("row {} of {} in {:?}", p.row, rows, p.file))
    })();
    match step {
        Ok(d) => r.pass(Check::Row, d),
        Err(d) => r.fail(Check::Row, d),
    }
    (r, Some(p))
}

#[cfg(test)]
mod last_seen_tests {
    use super::*;
    use crate::checkpoint::{Checkpoint, format_checkpoint};
    use crate::hash::{leaf_hash, node_hash};
    use crate::note::{KeyKind, SignerKey, sign_note};

    fn signed(key: &SignerKey, size: u64, root: Hash) -> Vec<u8> {
        let c = Checkpoint { origin: key.verifier.name.clone(), size, root_hash: root, extensions: vec![] };
        sign_note(&format_checkpoint(&c), &[key]).unwrap().into_bytes()
    }

    #[test]
    fn a_current_checkpoint_without_the_witness_quorum_is_unchecked_not_a_fork() {
        let key = SignerKey::from_seed("example.com/log", KeyKind::Ed25519, &[4; 32]).unwrap();
        let w = SignerKey::from_seed("w.example/w1", KeyKind::CosignatureV1, &[7; 32]).unwrap();
        let text = format!(
            "log {}\nwitness w1 {}\nquorum w1\n",
            crate::note::format_verifier_key(&key.verifier),
            crate::note::format_verifier_key(&w.verifier)
        );
        let trust = Trust::Policy(crate::policy::parse_policy(text.as_bytes()).unwrap());
        let l: Vec<Hash> = (0..2u8).map(|i| leaf_hash(&[i])).collect();
        let c = signed(&key, 2, node_hash(&l[0], &l[1]));
        let mut note = crate::note::parse_note(&c).unwrap();
        note.signatures.push(crate::note::cosign(&w, &note.text, 1_800_000_000).unwrap());
        let remembered = crate::note::format_note(&note).into_bytes();
        // Remembered (cosigned) and current are the same tree, but the current one is not cosigned.
        assert_eq!(check_last_seen(&trust, &remembered, &remembered, None).outcome, Outcome::Pass);
        let s = check_last_seen(&trust, &remembered, &c, None);
        assert_eq!(s.outcome, Outcome::Unchecked, "{s:?}");
    }

    #[test]
    fn growth_fork_and_rollback() {
        let key = SignerKey::from_seed("example.com/log", KeyKind::Ed25519, &[4; 32]).unwrap();
        let trust = Trust::Key(key.verifier.clone());
        let l: Vec<Hash> = (0..4u8).map(|i| leaf_hash(&[i])).collect();
        let (r2, right) = (node_hash(&l[0], &l[1]), node_hash(&l[2], &l[3]));
        let r4 = node_hash(&r2, &right);
        let (c2, c4) = (signed(&key, 2, r2), signed(&key, 4, r4));
        assert_eq!(check_last_seen(&trust, &c2, &c4, Some(&[right])).outcome, Outcome::Pass);
        assert_eq!(check_last_seen(&trust, &c4, &c4, None).outcome, Outcome::Pass);
        let rollback = check_last_seen(&trust, &c4, &c2, None);
        assert_eq!((rollback.outcome, rollback.finding), (Outcome::Fail, Some(Finding::Rollback)));
        let forked = signed(&key, 4, node_hash(&r2, &l[0]));
        let f = check_last_seen(&trust, &c4, &forked, None);
        assert_eq!((f.outcome, f.finding), (Outcome::Fail, Some(Finding::Fork)));
        let f = check_last_seen(&trust, &c2, &forked, Some(&[right]));
        assert_eq!((f.outcome, f.finding), (Outcome::Fail, Some(Finding::Fork)), "{f:?}");
        assert_eq!(check_last_seen(&trust, b"junk", &c4, None).outcome, Outcome::Skip);
        // Growth that needs a proof the log did not give: unchecked, never a pass.
        let u = check_last_seen(&trust, &c2, &c4, None);
        assert!(u.outcome == Outcome::Unchecked && u.detail.contains("could not get"), "{u:?}");
        assert_eq!(u.finding, None);
        // A forged current checkpoint fails whether or not a proof came with it.
        let other = SignerKey::from_seed("example.com/log", KeyKind::Ed25519, &[5; 32]).unwrap();
        let forged = check_last_seen(&trust, &c2, &signed(&other, 4, r4), Some(&[right]));
        assert_eq!((forged.outcome, forged.finding), (Outcome::Fail, None));
        // A bad proof for genuine growth is a fork, never a pass.
        let bad = check_last_seen(&trust, &c2, &c4, Some(&[l[0]]));
        assert_eq!((bad.outcome, bad.finding), (Outcome::Fail, Some(Finding::Fork)), "{bad:?}");
        // Every step names the check and its usual title.
        assert_eq!((bad.check, bad.title), (Check::LogHistory, Check::LogHistory.title()));
    }

    #[test]
    fn history_proof_sizes_say_when_a_proof_is_needed() {
        let key = SignerKey::from_seed("example.com/log", KeyKind::Ed25519, &[4; 32]).unwrap();
        let root = leaf_hash(b"x");
        let (c0, c2, c4) = (signed(&key, 0, root), signed(&key, 2, root), signed(&key, 4, root));
        assert_eq!(history_proof_sizes(&c2, &c4), Some((2, 4)));
        assert_eq!(history_proof_sizes(&c0, &c4), None, "an empty tree needs no proof");
        assert_eq!(history_proof_sizes(&c4, &c4), None);
        assert_eq!(history_proof_sizes(&c4, &c2), None, "a rollback needs no proof to fail");
        assert_eq!(history_proof_sizes(b"junk", &c4), None);
    }
}

#[cfg(test)]
mod typed_tests {
    use super::*;

    /// A bundle from a log whose origin is not its key's name (Go's checksum database style):
    /// its issuer is that origin, trusted only when the trust names it (regression: the
    /// issuer step compared the bundle's issuer with the key's name, refusing such bundles).
    #[test]
    fn a_bundle_from_a_log_whose_origin_is_not_its_key_name() {
        use crate::credential::{Credential, CredentialStatus, DisclosedClaim, Disclosure, claim_leaf};
        use crate::tlog_proof::{TlogProof, format_tlog_proof};
        let origin = "go.sum database tree";
        let key = crate::note::SignerKey::from_seed("sum.golang.org", KeyKind::Ed25519, &[0x60; 32]).unwrap();
        let salt = "AAAAAAAAAAAAAAAAAAAAAA==";
        let mut bundle = Bundle {
            format: crate::credential::BUNDLE_FORMAT.to_owned(),
            credential: Credential {
                context: vec![crate::credential::VC_CONTEXT.to_owned()],
                types: vec!["VerifiableCredential".to_owned(), "RegisterEntry".to_owned()],
                issuer: origin.to_owned(),
                valid_from: None,
                valid_until: None,
                credential_subject: BTreeMap::from([("id".to_owned(), "alice".to_owned())]),
                credential_status: CredentialStatus::revocation(0),
            },
            disclosure: Disclosure {
                claims_root: claim_leaf("id", salt, "alice").unwrap(),
                claims_count: 1,
                claims: vec![DisclosedClaim { name: "id".to_owned(), salt: salt.to_owned(), index: 0 }],
                proof: vec![],
            },
            tlog_proof: String::new(),
        };
        let leaf = leaf_hash(&bundle.entry().unwrap());
        let text = crate::checkpoint::format_checkpoint(&crate::checkpoint::Checkpoint {
            origin: origin.to_owned(),
            size: 1,
            root_hash: leaf,
            extensions: vec![],
        });
        let checkpoint = crate::note::sign_note(&text, &[&key]).unwrap();
        bundle.tlog_proof =
            format_tlog_proof(&TlogProof { extra: None, index: 0, hashes: vec![], checkpoint });
        let bytes = serde_json::to_vec(&bundle).unwrap();
        let check = |t: Trust| check_bundle(&bytes, &BundleTrust::Direct(t), 0, StatusCheck::Offline).0;
        let named = check(Trust::KeyWithOrigin { key: key.verifier.clone(), origin: origin.to_owned() });
        assert!(named.verified, "{named:?}");
        let strict = check(Trust::Key(key.verifier.clone()));
        assert!(!strict.verified);
        assert_eq!(strict.failure().and_then(|s| s.finding), Some(Finding::UntrustedIssuer), "{strict:?}");
        let other =
            check(Trust::KeyWithOrigin { key: key.verifier.clone(), origin: "go.sum database".to_owned() });
        assert_eq!(other.failure().and_then(|s| s.finding), Some(Finding::UntrustedIssuer), "{other:?}");
    }

    /// The identifiers `--json` and the app print: they must never change (docs/formats.md).
    #[test]
    fn check_names_are_stable() {
        let table = [
            (Check::Format, "format"),
            (Check::Issuer, "issuer"),
            (Check::Publisher, "publisher"),
            (Check::CheckpointSignature, "checkpoint-signature"),
            (Check::WitnessQuorum, "witness-quorum"),
            (Check::ProofFormat, "proof-format"),
            (Check::Inclusion, "inclusion"),
            (Check::SameLog, "same-log"),
            (Check::Consistency, "consistency"),
            (Check::Claims, "claims"),
            (Check::Validity, "validity"),
            (Check::Revocation, "revocation"),
            (Check::LogHistory, "log-history"),
            (Check::Row, "row"),
        ];
        assert_eq!(table.map(|(c, _)| c), Check::ALL, "every check, once, in order");
        for (check, name) in table {
            assert_eq!(check.name(), name);
            assert_eq!(check.to_string(), name);
            assert_eq!(serde_json::to_value(check).unwrap(), serde_json::json!(name));
            assert_eq!(serde_json::from_value::<Check>(serde_json::json!(name)).unwrap(), check);
        }
        // A step serialises exactly as before: no finding in the JSON.
        let s = Step::failed(Check::Revocation, Finding::Revoked, "revoked: bit 3");
        assert_eq!(
            serde_json::to_value(&s).unwrap(),
            serde_json::json!({
                "check": "revocation",
                "title": "the issuer has not revoked the credential",
                "outcome": "fail",
                "detail": "revoked: bit 3"
            })
        );
    }

    #[test]
    fn each_report_titles_its_format_step_as_before() {
        let key = crate::note::SignerKey::from_seed("l.example/log", KeyKind::Ed25519, &[7; 32]).unwrap();
        let trust = Trust::Key(key.verifier.clone());
        let listed = BundleTrust::Direct(trust.clone());
        let titles = |r: &Report| r.steps.iter().map(|s| (s.check.name(), s.title)).collect::<Vec<_>>();
        let proof = check_tlog_proof(&trust, b"junk", b"entry");
        assert_eq!(titles(&proof)[0], ("format", "the file is a c2sp.org/tlog-proof@v1"));
        let (release, _) = check_release(b"junk", &listed);
        assert_eq!(titles(&release)[0], ("format", "the file is a ledgerless release bundle (v1)"));
        let (row, _) = check_row_proof(b"junk", &listed);
        assert_eq!(titles(&row)[0], ("format", "the file is a ledgerless release bundle (v1)"));
        assert_eq!(titles(&row).last(), Some(&("row", "the row is in the published file")));
        let (bundle, _) = check_bundle(b"junk", &listed, 0, StatusCheck::Offline);
        assert_eq!(titles(&bundle)[0], ("format", "the file is a ledgerless credential bundle (v1)"));
        assert_eq!(
            titles(&bundle)[1..],
            [
                ("issuer", "the issuer is trusted"),
                ("checkpoint-signature", "the checkpoint is signed by a trusted log key"),
                ("witness-quorum", "witnesses cosigned the checkpoint as the policy requires"),
                ("inclusion", "the entry is in the log at the given index"),
                ("claims", "the disclosed claims are the ones the issuer committed to"),
                ("validity", "the credential is within its validity window"),
                ("revocation", "the issuer has not revoked the credential"),
            ]
        );
    }

    #[test]
    fn trust_key_errors_are_typed() {
        let w = crate::note::SignerKey::from_seed("w.example/w1", KeyKind::CosignatureV1, &[7; 32]).unwrap();
        let l = crate::note::SignerKey::from_seed("l.example/log", KeyKind::Ed25519, &[7; 32]).unwrap();
        let text = |k: &crate::note::SignerKey| crate::note::format_verifier_key(&k.verifier) + "\n";
        assert!(matches!(parse_trust_key(text(&l).as_bytes()), Ok(Trust::Key(_))));
        let e = parse_trust_key(text(&w).as_bytes()).unwrap_err();
        assert_eq!(e, TrustKeyError::WitnessKey(w.verifier.label()));
        assert_eq!(
            e.to_string(),
            format!("{} is a witness (cosignature) key, not a log key", w.verifier.label())
        );
        assert!(matches!(parse_trust_key(b"\xff"), Err(TrustKeyError::NotUtf8)));
        assert!(matches!(parse_trust_key(b"junk"), Err(TrustKeyError::Malformed(_))));
    }

    fn report(steps: Vec<Step>) -> Report {
        let mut r = Report::new();
        for s in steps {
            r.push(s);
        }
        r
    }

    #[test]
    fn verdicts_come_from_typed_findings() {
        let ok = |c| Step::new(c, Outcome::Pass, "ok");
        assert_eq!(report(vec![ok(Check::Format), ok(Check::Inclusion)]).verdict(), Verdict::Valid);
        assert_eq!(report(vec![]).verdict(), Verdict::Valid);
        let cases = [
            (Step::failed(Check::Revocation, Finding::Revoked, "x"), Verdict::Revoked),
            (Step::failed(Check::Validity, Finding::Expired, "x"), Verdict::Expired),
            (Step::failed(Check::Validity, Finding::NotYetValid, "x"), Verdict::Invalid),
            (Step::failed(Check::Issuer, Finding::UntrustedIssuer, "x"), Verdict::UntrustedIssuer),
            (Step::failed(Check::Publisher, Finding::UntrustedPublisher, "x"), Verdict::Invalid),
            (Step::failed(Check::LogHistory, Finding::Fork, "x"), Verdict::Invalid),
            (Step::failed(Check::Revocation, Finding::Rollback, "x"), Verdict::Invalid),
            // A failed revocation step that is not a revocation (a forged status list) is
            // invalid, whatever its words say.
            (Step::new(Check::Revocation, Outcome::Fail, "revoked, says the detail"), Verdict::Invalid),
            (Step::new(Check::Validity, Outcome::Fail, "expired, says the detail"), Verdict::Invalid),
            (Step::new(Check::Claims, Outcome::Fail, "x"), Verdict::Invalid),
            (Step::new(Check::Revocation, Outcome::Unchecked, "x"), Verdict::Unchecked),
        ];
        for (step, want) in cases {
            let r = report(vec![ok(Check::Format), step.clone()]);
            assert!(!r.verified);
            assert_eq!(r.verdict(), want, "{step:?}");
        }
        // A failure outranks an unchecked step, wherever it is.
        let r = report(vec![
            Step::new(Check::LogHistory, Outcome::Unchecked, "x"),
            Step::failed(Check::Revocation, Finding::Revoked, "x"),
        ]);
        assert_eq!(r.verdict(), Verdict::Revoked);
        assert_eq!(r.failure().map(|f| f.check), Some(Check::Revocation));
        // The first failure decides.
        let r = report(vec![
            Step::failed(Check::Validity, Finding::Expired, "x"),
            Step::failed(Check::Revocation, Finding::Revoked, "x"),
        ]);
        assert_eq!(r.verdict(), Verdict::Expired);
        // A report its caller marked unverified is never valid.
        let mut r = report(vec![ok(Check::Format)]);
        r.verified = false;
        assert_eq!(r.verdict(), Verdict::Invalid);
        // Skipped steps change nothing.
        assert_eq!(
            report(vec![Step::new(Check::Revocation, Outcome::Skip, "offline")]).verdict(),
            Verdict::Valid
        );
    }
}
