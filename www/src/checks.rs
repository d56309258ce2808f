//! Everything the app derives from the verifier's checks, in one place: the `data-verdict`
//! words, headings and advice keyed on check names, the release's headline for a manifest that
//! did not verify, and the merging of a step checked beside the verifier's own (the log's
//! history) into a report. Pure, tested natively.
//!
//! TODO(issue 14): the check names matched here (`"revocation"`, `"log-history"`,
//! `"publisher"`, …) become the verifier's typed `Check`; headings, advice and release verdicts
//! then derive from it (`verifier::…`), and [`add_step`] from the verifier's log-history check.

use verifier::{Outcome, Report, Step, Verdict};

/// `data-verdict` for a verdict: `valid`, `unchecked` (nothing failed, but a check that should
/// have run could not: never valid) or `invalid`, for people and tests alike.
pub fn data_verdict(v: Verdict) -> &'static str {
    match v {
        Verdict::Valid => "valid",
        Verdict::Unchecked => "unchecked",
        _ => "invalid",
    }
}

/// `data-verdict` of several results shown together: `valid` only if every one is valid;
/// `invalid` if any failed; else (some could not be checked) `unchecked`.
pub fn portfolio_verdict(verdicts: &[Verdict]) -> &'static str {
    if verdicts.is_empty() || verdicts.iter().any(|v| !matches!(v, Verdict::Valid | Verdict::Unchecked)) {
        "invalid"
    } else if verdicts.contains(&Verdict::Unchecked) {
        "unchecked"
    } else {
        "valid"
    }
}

// TODO(issue 14): replaced by the verifier's typed `Check` (its noun).
/// What a credential check is about, in the words of "Could not check …".
fn credential_check_noun(check: &str) -> &'static str {
    match check {
        "revocation" => "revocation",
        "log-history" => "the log's history",
        "witness-quorum" => "the witnesses",
        _ => "everything",
    }
}

// TODO(issue 14): keyed on check-name strings; derive from the verifier's typed `Check`.
/// The heading of a result: the verdict's word, except that "Could not check" names the check
/// that could not be run ("Could not check revocation").
pub fn heading(report: &Report, verdict: Verdict) -> String {
    match (verdict, report.failure()) {
        (Verdict::Unchecked, Some(s)) if s.outcome == Outcome::Unchecked => {
            format!("Could not check {}", credential_check_noun(s.check))
        }
        _ => verdict.word().to_owned(),
    }
}

// TODO(issue 14): advice keyed on check-name strings; derive from the verifier's typed `Check`.
/// A sentence a recruiter can act on, for the step that failed or could not be checked.
pub fn advice(step: &Step) -> &'static str {
    if step.outcome == Outcome::Unchecked {
        return match step.check {
            "revocation" => {
                "This browser could not find out from the issuer's log whether the credential has been revoked. Do not rely on it yet: try again later, or contact the issuer for its current status."
            }
            "log-history" => {
                "This browser could not check that the issuer's log has only grown since it last saw it. Do not rely on it yet: try again later, or contact the issuer."
            }
            _ => {
                "A check that should have run could not be completed. Do not rely on this credential until it can be checked."
            }
        };
    }
    match step.check {
        "format" => {
            "This is not a ledgerless credential, or it was damaged in transit. Ask the holder to send it again."
        }
        "issuer" => {
            "The issuer is not one this site trusts. Do not rely on it; ask for a credential from a recognised body."
        }
        "checkpoint-signature" => {
            "The issuer's signature does not check out: the credential may be forged. Do not rely on it."
        }
        "witness-quorum" => {
            "Independent witnesses have not confirmed the issuer's log. Try again later or contact the issuer."
        }
        "inclusion" | "claims" => "The credential was altered after it was issued. Do not rely on it.",
        "validity" => "The credential is not valid at this date. Ask the holder for a current one.",
        "revocation" => {
            "The issuer has withdrawn this credential. Contact the issuer for the current status."
        }
        _ => "Do not rely on this credential until the failure above is explained.",
    }
}

// TODO(issue 14): replaced by verifier's single log-history check (its step joins the report).
/// Adds a step checked beside the verifier's own (the log's history) to a report: a failure
/// or a check that could not be run clears `verified`.
pub fn add_step(report: &mut Report, step: Step) {
    if matches!(step.outcome, Outcome::Fail | Outcome::Unchecked) {
        report.verified = false;
    }
    report.steps.push(step);
}

// TODO(issue 14): replaced by the verifier's typed `Check` (its noun).
/// What a release check is about, in the words of "Could not check …".
fn release_check_noun(check: &str) -> &'static str {
    match check {
        "log-history" => "the publisher's log",
        "witness-quorum" => "the witnesses",
        _ => "everything",
    }
}

/// The headline (`data-verdict` and word) of a release whose manifest did not verify: "Could
/// not check …" naming the check that could not run, "Untrusted publisher", or "Invalid".
// TODO(issue 14): release verdict from check-name strings; derive from the verifier's typed outcome.
pub fn unverified_release(r: &Report) -> (&'static str, String) {
    match r.failure() {
        Some(f) if f.outcome == Outcome::Unchecked => {
            ("unchecked", format!("Could not check {}", release_check_noun(f.check)))
        }
        Some(f) if f.check == "publisher" => ("invalid", "Untrusted publisher".to_owned()),
        _ => ("invalid", "Invalid".to_owned()),
    }
}

/// The heading word of a report shown on its own (a row proof).
// TODO(issue 14): release verdict from check-name strings; derive from the verifier's typed outcome.
pub fn verdict_word(r: &Report) -> &'static str {
    match r.failure().map(|f| (f.check, f.outcome)) {
        None if r.verified => "Valid",
        None => "Invalid",
        Some((_, Outcome::Unchecked)) => "Could not check",
        Some(("publisher", _)) => "Untrusted publisher",
        Some(_) => "Invalid",
    }
}

/// `data-verdict` of a report shown on its own (a row proof).
pub fn report_verdict(r: &Report) -> &'static str {
    match r.failure().map(|f| f.outcome) {
        _ if r.verified => "valid",
        Some(Outcome::Unchecked) => "unchecked",
        _ => "invalid",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(check: &'static str, outcome: Outcome, detail: &str) -> Step {
        Step { check, title: "t", outcome, detail: detail.into() }
    }

    #[test]
    fn a_check_that_could_not_run_is_never_valid() {
        // The page's attribute and the portfolio headline: "unchecked" is its own verdict.
        assert_eq!(data_verdict(Verdict::Unchecked), "unchecked");
        assert_eq!(data_verdict(Verdict::Valid), "valid");
        assert_eq!(data_verdict(Verdict::Expired), "invalid");
        assert_eq!(portfolio_verdict(&[Verdict::Valid, Verdict::Valid]), "valid");
        assert_eq!(portfolio_verdict(&[Verdict::Valid, Verdict::Unchecked]), "unchecked");
        assert_eq!(portfolio_verdict(&[Verdict::Unchecked, Verdict::Revoked]), "invalid");
        assert_eq!(portfolio_verdict(&[]), "invalid");
        // The revocation step could not be run: the heading names it, the advice says so.
        let mut r = Report { verified: true, steps: vec![step("format", Outcome::Pass, "ok")] };
        add_step(&mut r, step("revocation", Outcome::Unchecked, "could not check revocation: 404"));
        assert!(!r.verified);
        assert_eq!(r.verdict(), Verdict::Unchecked);
        assert_eq!(heading(&r, r.verdict()), "Could not check revocation");
        let f = r.failure().expect("the unchecked step");
        assert!(advice(f).contains("could not find out"), "{}", advice(f));
        assert!(!advice(f).contains("withdrawn"));
        // A real revocation still reads as one.
        let revoked = step("revocation", Outcome::Fail, "revoked: bit 3");
        assert!(advice(&revoked).contains("withdrawn"));
        // A failure outranks a check that could not be run.
        add_step(&mut r, step("claims", Outcome::Fail, "altered"));
        assert_eq!(r.verdict(), Verdict::Invalid);
        assert_eq!(heading(&r, r.verdict()), "Invalid");
    }

    #[test]
    fn a_history_check_that_could_not_run_is_unchecked() {
        let mut r = Report { verified: true, steps: Vec::new() };
        add_step(&mut r, step("log-history", Outcome::Unchecked, "could not get a consistency proof"));
        assert_eq!((r.verified, r.verdict()), (false, Verdict::Unchecked));
        assert_eq!(heading(&r, r.verdict()), "Could not check the log's history");
    }

    #[test]
    fn release_reports_read_as_their_first_failure() {
        let report = |steps: Vec<Step>| Report { verified: steps.is_empty(), steps };
        assert_eq!(
            unverified_release(&report(vec![step("publisher", Outcome::Fail, "no")])).1,
            "Untrusted publisher"
        );
        let unchecked = report(vec![step("log-history", Outcome::Unchecked, "offline")]);
        assert_eq!(
            unverified_release(&unchecked),
            ("unchecked", "Could not check the publisher's log".to_owned())
        );
        assert_eq!(verdict_word(&unchecked), "Could not check");
        assert_eq!(report_verdict(&unchecked), "unchecked");
        let untrusted = report(vec![step("publisher", Outcome::Fail, "no")]);
        assert_eq!(
            (verdict_word(&untrusted), report_verdict(&untrusted)),
            ("Untrusted publisher", "invalid")
        );
        let invalid = report(vec![step("format", Outcome::Fail, "junk")]);
        assert_eq!(unverified_release(&invalid), ("invalid", "Invalid".to_owned()));
        assert_eq!((verdict_word(&invalid), report_verdict(&invalid)), ("Invalid", "invalid"));
        assert_eq!(
            (verdict_word(&report(Vec::new())), report_verdict(&report(Vec::new()))),
            ("Valid", "valid")
        );
    }
}
