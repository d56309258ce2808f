//! Everything the app derives from the verifier's checks, in one place: the `data-verdict`
//! words, headings and advice keyed on check names, the release's headline for a manifest that
//! did not verify, and the merging of a step checked beside the verifier's own (the log's
//! history) into a report. Everything here is keyed on the verifier's typed [`Check`] and
//! [`Finding`] and derives verdicts from [`Report::verdict`]; nothing re-implements a check.
//! Pure, tested natively.

use verifier::{Check, Finding, Outcome, Report, Step, Verdict};

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

/// What a credential check is about, in the words of "Could not check …".
fn credential_check_noun(check: Check) -> &'static str {
    match check {
        Check::Revocation => "revocation",
        Check::LogHistory => "the log's history",
        Check::WitnessQuorum => "the witnesses",
        _ => "everything",
    }
}

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

/// A sentence a recruiter can act on, for the step that failed or could not be checked.
pub fn advice(step: &Step) -> &'static str {
    if step.outcome == Outcome::Unchecked {
        return match step.check {
            Check::Revocation if step.finding == Some(Finding::Offline) => {
                "This browser could not find out from the issuer's log whether the credential has been revoked: it is offline, or the log did not answer. Everything else was checked on this device. Reconnect to the internet and open the link again to check revocation; until then, do not rely on it."
            }
            Check::Revocation => {
                "This browser could not find out from the issuer's log whether the credential has been revoked. Do not rely on it yet: try again later, or contact the issuer for its current status."
            }
            Check::LogHistory => {
                "This browser could not check that the issuer's log has only grown since it last saw it. Do not rely on it yet: try again later, or contact the issuer."
            }
            _ => {
                "A check that should have run could not be completed. Do not rely on this credential until it can be checked."
            }
        };
    }
    match step.check {
        Check::Format => {
            "This is not a ledgerless credential, or it was damaged in transit. Ask the holder to send it again."
        }
        Check::Issuer => {
            "The issuer is not one this site trusts. Do not rely on it; ask for a credential from a recognised body."
        }
        Check::CheckpointSignature => {
            "The issuer's signature does not check out: the credential may be forged. Do not rely on it."
        }
        Check::WitnessQuorum => {
            "Independent witnesses have not confirmed the issuer's log. Try again later or contact the issuer."
        }
        Check::Inclusion | Check::Claims => {
            "The credential was altered after it was issued. Do not rely on it."
        }
        Check::Validity => "The credential is not valid at this date. Ask the holder for a current one.",
        Check::Revocation if step.finding == Some(Finding::Revoked) => {
            "The issuer has withdrawn this credential. Contact the issuer for the current status."
        }
        Check::Revocation => {
            "The issuer's revocation evidence does not check out: its log may have been rewritten. Do not rely on this credential; contact the issuer."
        }
        _ => "Do not rely on this credential until the failure above is explained.",
    }
}

/// The plain statement shown above the steps when a check could not run because the log could
/// not be reached ("Revocation: not checked — offline; issuer log last seen at …"), if any.
pub fn offline_note(report: &Report) -> Option<String> {
    let s = report
        .steps
        .iter()
        .find(|s| s.outcome == Outcome::Unchecked && s.finding == Some(Finding::Offline))?;
    let noun = credential_check_noun(s.check);
    let mut words = noun.chars();
    let noun = words.next().map(|c| c.to_uppercase().chain(words).collect::<String>()).unwrap_or_default();
    Some(format!("{noun}: {}", s.detail))
}

/// Adds a step checked beside the verifier's own (the log's history) to a report: a failure
/// or a check that could not be run clears `verified` ([`Report::push`]).
pub fn add_step(report: &mut Report, step: Step) {
    report.push(step);
}

/// What a release check is about, in the words of "Could not check …".
fn release_check_noun(check: Check) -> &'static str {
    match check {
        Check::LogHistory => "the publisher's log",
        Check::WitnessQuorum => "the witnesses",
        _ => "everything",
    }
}

/// The headline (`data-verdict` and word) of a release whose manifest did not verify: "Could
/// not check …" naming the check that could not run, "Untrusted publisher", or "Invalid".
pub fn unverified_release(r: &Report) -> (&'static str, String) {
    match r.failure() {
        Some(f) if f.outcome == Outcome::Unchecked => {
            ("unchecked", format!("Could not check {}", release_check_noun(f.check)))
        }
        Some(f) if f.finding == Some(Finding::UntrustedPublisher) => {
            ("invalid", "Untrusted publisher".to_owned())
        }
        _ => ("invalid", "Invalid".to_owned()),
    }
}

/// The heading word of a report shown on its own (a row proof).
pub fn verdict_word(r: &Report) -> &'static str {
    match (r.verdict(), r.failure()) {
        (Verdict::Valid, _) => "Valid",
        (Verdict::Unchecked, _) => "Could not check",
        (_, Some(f)) if f.finding == Some(Finding::UntrustedPublisher) => "Untrusted publisher",
        _ => "Invalid",
    }
}

/// `data-verdict` of a report shown on its own (a row proof).
pub fn report_verdict(r: &Report) -> &'static str {
    data_verdict(r.verdict())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(check: Check, outcome: Outcome, detail: &str) -> Step {
        Step::new(check, outcome, detail)
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
        let mut r = Report { verified: true, steps: vec![step(Check::Format, Outcome::Pass, "ok")] };
        add_step(&mut r, step(Check::Revocation, Outcome::Unchecked, "could not check revocation: 404"));
        assert!(!r.verified);
        assert_eq!(r.verdict(), Verdict::Unchecked);
        assert_eq!(heading(&r, r.verdict()), "Could not check revocation");
        let f = r.failure().expect("the unchecked step");
        assert!(advice(f).contains("could not find out"), "{}", advice(f));
        assert!(!advice(f).contains("withdrawn"));
        // A real revocation still reads as one.
        let revoked = Step::failed(Check::Revocation, Finding::Revoked, "revoked: bit 3");
        assert_eq!(Report { verified: false, steps: vec![revoked.clone()] }.verdict(), Verdict::Revoked);
        assert!(advice(&revoked).contains("withdrawn"));
        // A revocation step that failed for another reason (a forked log) is not a withdrawal.
        let forked = Step::failed(Check::Revocation, Finding::Fork, "fork: two roots for size 3");
        assert_eq!(Report { verified: false, steps: vec![forked.clone()] }.verdict(), Verdict::Invalid);
        assert!(!advice(&forked).contains("withdrawn"), "{}", advice(&forked));
        // A failure outranks a check that could not be run.
        add_step(&mut r, step(Check::Claims, Outcome::Fail, "altered"));
        assert_eq!(r.verdict(), Verdict::Invalid);
        assert_eq!(heading(&r, r.verdict()), "Invalid");
    }

    #[test]
    fn offline_is_said_plainly_and_never_valid() {
        let detail = "not checked — offline (could not reach https://x.example/log/checkpoint); \
                      issuer log last seen at 2026-11-18T10:06:40Z (size 21); reconnect to check revocation";
        let offline =
            Step { finding: Some(Finding::Offline), ..step(Check::Revocation, Outcome::Unchecked, detail) };
        let mut r = Report { verified: true, steps: vec![step(Check::Format, Outcome::Pass, "ok")] };
        add_step(&mut r, offline);
        assert_eq!((r.verified, r.verdict()), (false, Verdict::Unchecked));
        assert_eq!(data_verdict(r.verdict()), "unchecked");
        assert_eq!(heading(&r, r.verdict()), "Could not check revocation");
        let a = advice(r.failure().expect("the offline step"));
        assert!(a.contains("offline") && a.contains("Reconnect") && a.contains("could not find out"), "{a}");
        assert_eq!(offline_note(&r), Some(format!("Revocation: {detail}")));
        // A log that answered with an error is not "offline".
        let answered = Report {
            verified: false,
            steps: vec![step(Check::Revocation, Outcome::Unchecked, "could not check revocation: HTTP 500")],
        };
        assert_eq!(offline_note(&answered), None);
        assert!(!advice(&answered.steps[0]).contains("offline"));
    }

    #[test]
    fn a_history_check_that_could_not_run_is_unchecked() {
        let mut r = Report { verified: true, steps: Vec::new() };
        add_step(&mut r, step(Check::LogHistory, Outcome::Unchecked, "could not get a consistency proof"));
        assert_eq!((r.verified, r.verdict()), (false, Verdict::Unchecked));
        assert_eq!(heading(&r, r.verdict()), "Could not check the log's history");
    }

    #[test]
    fn release_reports_read_as_their_first_failure() {
        let report = |steps: Vec<Step>| Report { verified: steps.is_empty(), steps };
        assert_eq!(
            unverified_release(&report(vec![Step::failed(
                Check::Publisher,
                Finding::UntrustedPublisher,
                "no"
            )]))
            .1,
            "Untrusted publisher"
        );
        let unchecked = report(vec![step(Check::LogHistory, Outcome::Unchecked, "offline")]);
        assert_eq!(
            unverified_release(&unchecked),
            ("unchecked", "Could not check the publisher's log".to_owned())
        );
        assert_eq!(verdict_word(&unchecked), "Could not check");
        assert_eq!(report_verdict(&unchecked), "unchecked");
        let untrusted = report(vec![Step::failed(Check::Publisher, Finding::UntrustedPublisher, "no")]);
        assert_eq!(
            (verdict_word(&untrusted), report_verdict(&untrusted)),
            ("Untrusted publisher", "invalid")
        );
        let invalid = report(vec![step(Check::Format, Outcome::Fail, "junk")]);
        assert_eq!(unverified_release(&invalid), ("invalid", "Invalid".to_owned()));
        assert_eq!((verdict_word(&invalid), report_verdict(&invalid)), ("Invalid", "invalid"));
        assert_eq!(
            (verdict_word(&report(Vec::new())), report_verdict(&report(Vec::new()))),
            ("Valid", "valid")
        );
    }
}
