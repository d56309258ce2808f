//! Step-by-step verification reports: the checks the CLI and the browser run and show.
//!
//! Each function takes untrusted evidence as bytes and returns a [`Report`] listing every
//! check with its outcome; the first failure names what is wrong, and later steps are
//! marked skipped. Nothing here panics on any input.

use crate::checkpoint::{
    CheckpointError, VerifiedCheckpoint, verify_checkpoint, verify_checkpoint_with_policy,
};
use crate::hash::{Hash, leaf_hash};
use crate::merkle::{verify_consistency, verify_inclusion};
use crate::note::{KeyKind, VerifierKey, parse_note};
use crate::policy::Policy;
use crate::proof_file::parse_proof_hashes;
use crate::tlog_proof::parse_tlog_proof;

/// What the verifier trusts: one log key, or a C2SP tlog-policy (logs, witnesses, quorum).
#[derive(Debug, Clone)]
pub enum Trust {
    /// A single log key; witness cosignatures are not required.
    Key(VerifierKey),
    /// A policy; its witness quorum must be met.
    Policy(Policy),
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
}

/// One check in a report.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Step {
    /// Stable identifier of the check, e.g. `checkpoint-signature`.
    pub check: &'static str,
    /// What the check establishes, in words.
    pub title: &'static str,
    /// Its outcome.
    pub outcome: Outcome,
    /// What was found: the reason for a failure, or the facts established.
    pub detail: String,
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

    fn pass(&mut self, check: &'static str, title: &'static str, detail: impl Into<String>) {
        self.steps.push(Step { check, title, outcome: Outcome::Pass, detail: detail.into() });
    }

    fn fail(&mut self, check: &'static str, title: &'static str, detail: impl Into<String>) {
        self.verified = false;
        self.steps.push(Step { check, title, outcome: Outcome::Fail, detail: detail.into() });
    }

    fn skip(&mut self, check: &'static str, title: &'static str, detail: impl Into<String>) {
        self.steps.push(Step { check, title, outcome: Outcome::Skip, detail: detail.into() });
    }

    /// Marks the remaining checks as skipped after a failure.
    fn skip_rest(&mut self, rest: &[(&'static str, &'static str)]) {
        for (check, title) in rest {
            self.skip(check, title, "not checked: an earlier check failed");
        }
    }

    /// The first failed step, if any.
    pub fn failure(&self) -> Option<&Step> {
        self.steps.iter().find(|s| s.outcome == Outcome::Fail)
    }
}

const SIG: (&str, &str) = ("checkpoint-signature", "the checkpoint is signed by a trusted log key");
const QUORUM: (&str, &str) = ("witness-quorum", "witnesses cosigned the checkpoint as the policy requires");
const PROOF_FORMAT: (&str, &str) = ("proof-format", "the proof is well-formed");
const INCLUSION: (&str, &str) = ("inclusion", "the entry is in the log at the given index");

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
        Trust::Key(key) => match verify_checkpoint(signed, key) {
            Ok(v) => {
                report.pass(SIG.0, SIG.1, label(&describe(&v)));
                report.skip(QUORUM.0, QUORUM.1, label("no policy given: witness cosignatures not required"));
                Some(v)
            }
            Err(e) => {
                report.fail(SIG.0, SIG.1, label(&e.to_string()));
                None
            }
        },
        Trust::Policy(policy) => match verify_checkpoint_with_policy(signed, policy) {
            Ok(v) => {
                report.pass(SIG.0, SIG.1, label(&describe(&v)));
                let names: Vec<String> = v
                    .cosignatures
                    .iter()
                    .filter_map(|c| policy.witness_named_by_key(&c.name, c.key_id))
                    .map(str::to_owned)
                    .collect();
                let who = if names.is_empty() { "none".to_owned() } else { names.join(", ") };
                report.pass(
                    QUORUM.0,
                    QUORUM.1,
                    label(&format!("{}; cosigned by: {who}", policy.describe_quorum())),
                );
                Some(v)
            }
            Err(CheckpointError::QuorumNotMet { quorum, cosigners }) => {
                report.pass(SIG.0, SIG.1, label("signed by a log in the policy"));
                let who = if cosigners.is_empty() { "none".to_owned() } else { cosigners.join(", ") };
                report.fail(
                    QUORUM.0,
                    QUORUM.1,
                    label(&format!("quorum not met: {quorum}; valid cosignatures from: {who}")),
                );
                None
            }
            Err(e) => {
                report.fail(SIG.0, SIG.1, label(&e.to_string()));
                None
            }
        },
    }
}

/// Parses a proof file as the `proof-format` step.
fn proof_format_step(report: &mut Report, proof_file: &[u8]) -> Option<Vec<Hash>> {
    match parse_proof_hashes(proof_file) {
        Ok(p) => {
            report.pass(PROOF_FORMAT.0, PROOF_FORMAT.1, plural(p.len(), "hash", "hashes"));
            Some(p)
        }
        Err(e) => {
            report.fail(PROOF_FORMAT.0, PROOF_FORMAT.1, e.to_string());
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
        report.skip_rest(&[PROOF_FORMAT, INCLUSION]);
        return report;
    };
    let Some(proof) = proof_format_step(&mut report, proof_file) else {
        report.skip_rest(&[INCLUSION]);
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
            INCLUSION.0,
            INCLUSION.1,
            format!("entry (leaf hash {leaf}) is at index {index} of {} entries", c.size),
        ),
        Err(e) => {
            report.fail(INCLUSION.0, INCLUSION.1, format!("entry (leaf hash {leaf}) at index {index}: {e}"))
        }
    }
}

/// Verifies that the log's `new` checkpoint extends its `old` one, given a consistency proof
/// file. Both must be signed by trusted keys and share the origin.
pub fn check_consistency(trust: &Trust, old: &[u8], new: &[u8], proof_file: &[u8]) -> Report {
    const ORIGIN: (&str, &str) = ("same-log", "both checkpoints are from the same log");
    const CONSISTENCY: (&str, &str) = ("consistency", "the new tree extends the old tree (append-only)");
    let mut report = Report::new();
    let Some(o) = checkpoint_steps(&mut report, old, trust, "old checkpoint") else {
        report.skip_rest(&[ORIGIN, PROOF_FORMAT, CONSISTENCY]);
        return report;
    };
    let Some(n) = checkpoint_steps(&mut report, new, trust, "new checkpoint") else {
        report.skip_rest(&[ORIGIN, PROOF_FORMAT, CONSISTENCY]);
        return report;
    };
    let (oc, nc) = (&o.checkpoint, &n.checkpoint);
    if oc.origin != nc.origin {
        report.fail(
            ORIGIN.0,
            ORIGIN.1,
            format!("old origin {:?} differs from new origin {:?}", oc.origin, nc.origin),
        );
        report.skip_rest(&[PROOF_FORMAT, CONSISTENCY]);
        return report;
    }
    report.pass(ORIGIN.0, ORIGIN.1, format!("origin {}", oc.origin));
    let Some(proof) = proof_format_step(&mut report, proof_file) else {
        report.skip_rest(&[CONSISTENCY]);
        return report;
    };
    if oc.size == 0 && proof.is_empty() {
        // docs/design/0002: an empty old tree has nothing to be consistent with.
        report.pass(
            CONSISTENCY.0,
            CONSISTENCY.1,
            format!("old tree is empty; any tree (size {}) extends it", nc.size),
        );
        return report;
    }
    match verify_consistency(oc.size, nc.size, &proof, &oc.root_hash, &nc.root_hash) {
        Ok(()) => {
            report.pass(CONSISTENCY.0, CONSISTENCY.1, format!("size {} extends size {}", nc.size, oc.size))
        }
        Err(e @ crate::merkle::ProofError::SizeOrder { .. }) => report.fail(
            CONSISTENCY.0,
            CONSISTENCY.1,
            format!("{e}: the \"new\" checkpoint is older than the \"old\" one"),
        ),
        Err(e) => report.fail(
            CONSISTENCY.0,
            CONSISTENCY.1,
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
    const FORMAT: (&str, &str) = ("format", "the file is a c2sp.org/tlog-proof@v1");
    let mut report = Report::new();
    let p = match parse_tlog_proof(tlog_proof) {
        Ok(p) => {
            let note = match parse_note(p.checkpoint.as_bytes()) {
                Ok(n) => n,
                Err(e) => {
                    report.fail(FORMAT.0, FORMAT.1, format!("embedded checkpoint: {e}"));
                    report.skip_rest(&[SIG, QUORUM, INCLUSION]);
                    return report;
                }
            };
            report.pass(
                FORMAT.0,
                FORMAT.1,
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
            report.fail(FORMAT.0, FORMAT.1, e.to_string());
            report.skip_rest(&[SIG, QUORUM, INCLUSION]);
            return report;
        }
    };
    let Some(v) = checkpoint_steps(&mut report, p.checkpoint.as_bytes(), trust, "") else {
        report.skip_rest(&[INCLUSION]);
        return report;
    };
    inclusion_step(&mut report, &v, entry, p.index, &p.hashes);
    report
}

/// Parses a trust anchor file: a verifier key (one line) or a tlog-policy.
///
/// # Errors
/// A message naming what is wrong with the key or policy.
pub fn parse_trust_key(text: &[u8]) -> Result<Trust, String> {
    let s = core::str::from_utf8(text).map_err(|_| "verifier key is not UTF-8".to_owned())?;
    let key = crate::note::parse_verifier_key(s.trim()).map_err(|e| e.to_string())?;
    if key.kind != KeyKind::Ed25519 {
        return Err(format!("{} is a witness (cosignature) key, not a log key", key.label()));
    }
    Ok(Trust::Key(key))
}
