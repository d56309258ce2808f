//! The log-history checks the app runs beside the verifier's own (wasm32 only): an issuer's or
//! publisher's log must only have grown since the checkpoint a bundle carries and since the
//! last one this browser saw for it ([`verifier::check_last_seen`] on a consistency proof built
//! from the log's tiles). The comparison and the choice of proof are the verifier's
//! ([`verifier::history_proof_sizes`], [`verifier::check_last_seen`]), as `ledgerless verify`
//! makes them; only the fetching (`crate::net`) is here.

use verifier::{Check, Outcome, ReleaseBundle, StatusEvidence, Step, Trust, TrustList};

use crate::net;

/// The issuer's log history for a credential, given the revocation evidence fetched from its
/// log at `log`: the step comparing the last checkpoint this browser saw for `origin` with the
/// current one (`None` if it saw none), and the checkpoint to remember once the revocation step
/// has verified it (`None` if the history failed or could not be checked).
pub(crate) async fn issuer_log(
    t: &Trust,
    log: &str,
    origin: &str,
    e: &StatusEvidence,
) -> (Option<Step>, Option<(String, Vec<u8>)>) {
    let mut history = None;
    // Compare with the last checkpoint this browser saw for the log, then remember the
    // current one (by the caller, once the verifier has checked it).
    if let Some(seen) = net::last_seen(origin) {
        let proof = match verifier::history_proof_sizes(&seen, &e.latest_checkpoint) {
            Some((o, n)) => net::consistency_proof(log.trim_end_matches('/'), o, n).await,
            None => None,
        };
        // A proof the comparison needs but the log's tiles did not give: unchecked.
        history = Some(verifier::check_last_seen(t, &seen, &e.latest_checkpoint, proof.as_deref()));
    }
    let seen_now = history
        .as_ref()
        .is_none_or(|h| h.outcome == Outcome::Pass || h.outcome == Outcome::Skip)
        .then(|| (origin.to_owned(), e.latest_checkpoint.clone()));
    (history, seen_now)
}

const HISTORY_TITLE: &str =
    "the publisher's log only grew since this release and since this browser last saw it";

/// Checks the publisher's log (when `trust.json` says where it is): it must have grown from
/// the release's checkpoint, and from the last checkpoint this browser saw for it, without
/// rewriting history. Returns the steps to add; offline, one skipped step saying so.
pub(crate) async fn release_log(trust: &TrustList, bundle: &[u8]) -> Vec<Step> {
    let skip = |detail: String| Step::new(Check::LogHistory, Outcome::Skip, detail).titled(HISTORY_TITLE);
    // trust.json names the log: it must answer, or the history is "could not check", never valid.
    let unchecked =
        |detail: String| Step::new(Check::LogHistory, Outcome::Unchecked, detail).titled(HISTORY_TITLE);
    let Ok(b) = ReleaseBundle::parse(bundle) else { return Vec::new() };
    let Some((party, t)) = trust.find_publisher(&b.manifest.publisher) else { return Vec::new() };
    let Some(log) = party.log.as_deref().map(|l| l.trim_end_matches('/').to_owned()) else {
        return vec![skip(
            "trust.json gives no log URL for this publisher: its later history was not checked".to_owned(),
        )];
    };
    let latest = match net::get(&format!("{log}/checkpoint")).await {
        Ok(Some(c)) => c,
        Ok(None) => {
            return vec![unchecked(format!(
                "could not check: {log}/checkpoint was not found, so the log's later history was not checked"
            ))];
        }
        Err(e) => {
            return vec![unchecked(format!(
                "could not check: the publisher's log could not be reached ({e}), so its later history was not checked"
            ))];
        }
    };
    let Ok(proof) = verifier::parse_tlog_proof(b.tlog_proof.as_bytes()) else { return Vec::new() };
    let mut steps = Vec::new();
    let mut olds = vec![proof.checkpoint.into_bytes()];
    let origin = b.manifest.publisher.clone();
    olds.extend(net::last_seen(&origin));
    for old in olds {
        let consistency = match verifier::history_proof_sizes(&old, &latest) {
            Some((o, n)) => net::consistency_proof(&log, o, n).await,
            None => None,
        };
        steps.push(verifier::check_last_seen(&t, &old, &latest, consistency.as_deref()));
    }
    // Remembered only once verified (a pass checked its signature and quorum) and nothing failed.
    if steps.iter().all(|s| matches!(s.outcome, Outcome::Pass | Outcome::Skip))
        && steps.iter().any(|s| s.outcome == Outcome::Pass)
    {
        net::remember(&origin, &latest);
    }
    steps
}
