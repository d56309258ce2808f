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
        Check::Issuer => "that the issuer is still trusted",
        _ => "everything",
    }
}

/// The plain statement for a result checked against this browser's saved copy of the site's
/// trust list, saved at `saved_at` (POSIX seconds): `party` is "issuer" or "publisher".
pub fn saved_trust_detail(saved_at: i64, party: &str) -> String {
    format!(
        "trust list: this browser's saved copy from {}; the site could not be reached to confirm the {party} is still trusted",
        verifier::format_time(saved_at)
    )
}

/// [`saved_trust_detail`] as a sentence shown above the steps ("Trust list: …").
pub fn saved_trust_note(saved_at: i64, party: &str) -> String {
    let d = saved_trust_detail(saved_at, party);
    d.strip_prefix("trust list: ").map_or(d.clone(), |rest| format!("Trust list: {rest}"))
}

/// Marks a report (a credential's, or a row proof's) checked against this browser's saved copy
/// of the site's trust list (the service worker's, used when the site did not answer), saved at
/// `saved_at` (POSIX seconds): the site could not confirm that the issuer or publisher is still
/// trusted (it may have dropped it since, after a key compromise), so a passed `issuer` or
/// `publisher` step is followed by an [`Outcome::Unchecked`] one with [`Finding::Offline`], and
/// the verdict is never valid. Fail closed: whatever revocation said, and whether or not the
/// issuer has a log. Every other step stays as checked.
pub fn saved_trust_list(report: &mut Report, saved_at: i64) {
    let trusted =
        |s: &Step| matches!(s.check, Check::Issuer | Check::Publisher) && s.outcome == Outcome::Pass;
    let Some(i) = report.steps.iter().position(trusted) else {
        // Not trusted (or the input did not parse): the verdict is not valid already, and the
        // page's banner says which trust list was used.
        return;
    };
    let check = report.steps[i].check;
    let (party, title) = match check {
        Check::Issuer => ("issuer", "The site still trusts the issuer"),
        _ => ("publisher", "The site still trusts the publisher"),
    };
    let step = Step {
        finding: Some(Finding::Offline),
        ..Step::new(check, Outcome::Unchecked, saved_trust_detail(saved_at, party)).titled(title)
    };
    report.verified = false;
    report.steps.insert(i + 1, step);
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
            Check::Issuer if step.finding == Some(Finding::Offline) => {
                "The site could not be reached, so this browser used the copy of the site's trust list it saved earlier: an issuer the site has removed since then (for example after its key was stolen) would still look trusted here. Everything else was checked on this device. Reconnect to the internet and open the link again; until then, do not rely on it."
            }
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

/// The plain statements shown above the steps, one per check that could not run because the
/// site or a log could not be reached ("Trust list: this browser's saved copy from …",
/// "Revocation: not checked — offline; issuer log last seen at …"), in the report's order.
pub fn offline_notes(report: &Report) -> Vec<String> {
    let capital = |s: &str| {
        let mut c = s.chars();
        c.next().map(|f| f.to_uppercase().chain(c).collect::<String>()).unwrap_or_default()
    };
    report
        .steps
        .iter()
        .filter(|s| s.outcome == Outcome::Unchecked && s.finding == Some(Finding::Offline))
        .map(|s| match s.check {
            // Its detail names what it is about ("trust list: …").
            Check::Issuer | Check::Publisher => capital(&s.detail),
            c => format!("{}: {}", capital(credential_check_noun(c)), s.detail),
        })
        .collect()
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
        Check::Publisher => "that the publisher is still trusted",
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
        assert_eq!(offline_notes(&r), vec![format!("Revocation: {detail}")]);
        // A log that answered with an error is not "offline".
        let answered = Report {
            verified: false,
            steps: vec![step(Check::Revocation, Outcome::Unchecked, "could not check revocation: HTTP 500")],
        };
        assert!(offline_notes(&answered).is_empty());
        assert!(!advice(&answered.steps[0]).contains("offline"));
    }

    /// The workflow fixture (cli/tests/cmd/credentials-workflow.in): a trust list, Alice's
    /// bundle and the issuer's log files, as the app fetches them.
    macro_rules! fixture {
        ($f:literal) => {
            include_bytes!(concat!("../../cli/tests/cmd/credentials-workflow.in/", $f)).as_slice()
        };
    }

    #[test]
    fn a_saved_trust_list_is_never_valid() {
        use verifier::{BundleTrust, StatusCheck, StatusEvidence, TrustList, check_bundle};
        let now = 1_795_000_000; // 2026-11-18, inside Alice's validity window
        let saved_at = 1_794_000_000;
        let bundle = fixture!("bundles/alice.json");
        let with_log = TrustList::parse(fixture!("trust.json")).unwrap();
        let mut no_log = with_log.clone();
        no_log.issuers[0].log = None;
        // The log has grown since Alice's bundle (size 4 to 5): the consistency proof comes from
        // its one partial hash tile, as the app builds it from the tiles it fetches.
        struct Tiles;
        impl verifier::TileSource for Tiles {
            fn read_tile(&self, level: u8, index: u64, width: u16) -> Result<Vec<u8>, verifier::TileError> {
                match (level, index, width) {
                    (0, 0, 5) => Ok(fixture!("log/tile/0/000.p/5").to_vec()),
                    (0, 0, 4) => Ok(fixture!("log/tile/0/000.p/4").to_vec()),
                    _ => Err(verifier::TileError::Unavailable {
                        path: verifier::tile_path(level, index, width),
                        reason: "not in the fixture".into(),
                    }),
                }
            }
        }
        let evidence = StatusEvidence {
            latest_checkpoint: fixture!("log/checkpoint").to_vec(),
            list: fixture!("log/status/revocation.json").to_vec(),
            list_proof: fixture!("log/status/revocation.tlog-proof").to_vec(),
            consistency: Some(verifier::prove_consistency(&Tiles, 4, 5).unwrap()),
        };
        // 1. An issuer with no log: revocation is skipped, which a fresh list allows (valid).
        // 2. The site down but the issuer's log (another origin) reachable: revocation passes.
        for (trust, status) in [(no_log, StatusCheck::Offline), (with_log, StatusCheck::Evidence(&evidence))]
        {
            let (fresh, summary) = check_bundle(bundle, &BundleTrust::List(trust), now, status);
            assert_eq!(fresh.verdict(), Verdict::Valid, "{fresh:#?}");
            assert!(summary.is_some());
            let mut saved = fresh.clone();
            saved_trust_list(&mut saved, saved_at);
            assert_eq!((saved.verified, saved.verdict()), (false, Verdict::Unchecked));
            assert_eq!(data_verdict(saved.verdict()), "unchecked");
            assert_eq!(heading(&saved, saved.verdict()), "Could not check that the issuer is still trusted");
            // Every local check is still shown, as checked; the new step follows the issuer's.
            assert_eq!(saved.steps.len(), fresh.steps.len() + 1);
            let i = fresh.steps.iter().position(|s| s.check == Check::Issuer).unwrap();
            let step = &saved.steps[i + 1];
            assert_eq!(
                (step.check, step.outcome, step.finding),
                (Check::Issuer, Outcome::Unchecked, Some(Finding::Offline))
            );
            let mut rest = saved.steps.clone();
            rest.remove(i + 1);
            assert_eq!(rest, fresh.steps);
            let when = verifier::format_time(saved_at);
            assert_eq!(
                offline_notes(&saved)[0],
                format!(
                    "Trust list: this browser's saved copy from {when}; the site could not be reached to confirm the issuer is still trusted"
                )
            );
            let a = advice(saved.failure().unwrap());
            assert!(a.contains("saved earlier") && a.contains("Reconnect"), "{a}");
        }
        // Revocation offline as well: both are said, the trust list first; still not valid.
        let trust = TrustList::parse(fixture!("trust.json")).unwrap();
        let status = StatusCheck::Unreachable { why: "could not reach log", last_seen: None, seen_at: None };
        let (mut r, _) = check_bundle(bundle, &BundleTrust::List(trust), now, status);
        saved_trust_list(&mut r, saved_at);
        assert_eq!(r.verdict(), Verdict::Unchecked);
        let notes = offline_notes(&r);
        assert_eq!(notes.len(), 2);
        assert!(notes[0].starts_with("Trust list: ") && notes[1].starts_with("Revocation: "), "{notes:?}");
        // A row proof's (or any) passed publisher step gets the same, naming the publisher.
        let mut row = Report { verified: true, steps: vec![step(Check::Publisher, Outcome::Pass, "P")] };
        saved_trust_list(&mut row, saved_at);
        assert_eq!((row.verified, row.verdict()), (false, Verdict::Unchecked));
        assert_eq!(row.steps[1].detail, saved_trust_detail(saved_at, "publisher"));
        assert_eq!(offline_notes(&row), vec![saved_trust_note(saved_at, "publisher")]);
        assert!(saved_trust_note(saved_at, "publisher").starts_with("Trust list: this browser's saved copy"));
        assert_eq!(unverified_release(&row).1, "Could not check that the publisher is still trusted");
        // An issuer the saved list does not trust stays untrusted: nothing is added.
        let (mut untrusted, _) =
            check_bundle(bundle, &BundleTrust::List(TrustList::default()), now, StatusCheck::Offline);
        let before = untrusted.clone();
        saved_trust_list(&mut untrusted, saved_at);
        assert_eq!(untrusted, before);
        assert_eq!(untrusted.verdict(), Verdict::UntrustedIssuer);
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
