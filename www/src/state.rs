//! The app's state and pure logic: reading bundles from links and pasted text, verdicts, and
//! the reducer. No browser APIs here, so it is tested natively.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use verifier::{BundleSummary, Outcome, Report, Step, TrustList, TrustedParty, Verdict};

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

/// What a check is about, in the words of "Could not check …".
fn check_noun(check: &str) -> &'static str {
    match check {
        "revocation" => "revocation",
        "log-history" => "the log's history",
        "witness-quorum" => "the witnesses",
        _ => "everything",
    }
}

/// The heading of a result: the verdict's word, except that "Could not check" names the check
/// that could not be run ("Could not check revocation").
pub fn heading(report: &Report, verdict: Verdict) -> String {
    match (verdict, report.failure()) {
        (Verdict::Unchecked, Some(s)) if s.outcome == Outcome::Unchecked => {
            format!("Could not check {}", check_noun(s.check))
        }
        _ => verdict.word().to_owned(),
    }
}

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

/// Decodes the bundles carried in a URL fragment: `#bundle=<base64url>[&bundle=…]`.
pub fn bundles_from_fragment(fragment: &str) -> Vec<Result<Vec<u8>, String>> {
    fragment
        .trim_start_matches('#')
        .split('&')
        .filter_map(|p| p.strip_prefix("bundle="))
        .map(|b64| {
            URL_SAFE_NO_PAD
                .decode(b64.trim_end_matches('='))
                .map_err(|_| "the link's bundle is not valid base64url".to_owned())
        })
        .collect()
}

/// Finds bundles in pasted text: verification links, or bundle JSON itself.
pub fn bundles_from_text(text: &str) -> Vec<Result<Vec<u8>, String>> {
    let t = text.trim();
    if t.is_empty() {
        return vec![Err("nothing was pasted".to_owned())];
    }
    if t.starts_with('{') {
        return vec![Ok(t.as_bytes().to_vec())];
    }
    let mut out = Vec::new();
    for word in t.split_whitespace() {
        if let Some((_, frag)) = word.split_once('#') {
            out.extend(bundles_from_fragment(frag));
        }
    }
    if out.is_empty() {
        out.push(Err("paste a verification link (…#bundle=…) or the bundle's JSON".to_owned()));
    }
    out
}

/// Local storage key of the keys this browser's user added.
pub const LOCAL_TRUST_KEY: &str = "ledgerless:local-trust";

/// Which list a locally added key joins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A credential issuer.
    Issuer,
    /// A dataset publisher.
    Publisher,
}

fn origin_of(p: &TrustedParty) -> Option<String> {
    verifier::parse_verifier_key(&p.vkey).ok().map(|k| k.name)
}

fn lists(t: &TrustList) -> impl Iterator<Item = &TrustedParty> {
    t.issuers.iter().chain(&t.publishers)
}

/// Reads the stored local keys; anything unreadable is dropped (never trusted).
pub fn parse_local(stored: Option<&str>) -> TrustList {
    stored.and_then(|s| TrustList::parse(s.as_bytes()).ok()).unwrap_or_default()
}

/// Adds a key the user trusts on this browser only, after checking it is a well-formed
/// verifier key whose log origin neither the site nor the local list already has.
///
/// # Errors
/// What is wrong with the name or key.
pub fn add_local(
    local: &TrustList,
    site: Option<&TrustList>,
    role: Role,
    name: &str,
    vkey: &str,
) -> Result<TrustList, String> {
    let (name, vkey) = (name.trim(), vkey.trim());
    if name.is_empty() {
        return Err("give the organisation's name".to_owned());
    }
    let key = verifier::parse_verifier_key(vkey).map_err(|e| format!("not a verifier key: {e}"))?;
    if key.kind != verifier::KeyKind::Ed25519 {
        // A witness's key vouches for no entry: it only cosigns other logs' checkpoints.
        return Err(format!(
            "{} is a witness's cosigning key, not a log's key: a witness only confirms what it saw of other logs. Ask the organisation for its log's verifier key.",
            key.name
        ));
    }
    let taken = |t: &TrustList| lists(t).any(|p| origin_of(p).as_deref() == Some(key.name.as_str()));
    if site.is_some_and(taken) {
        return Err(format!("this site already trusts a key for {}", key.name));
    }
    if taken(local) {
        return Err(format!("you already added a key for {}", key.name));
    }
    let mut out = local.clone();
    let party = TrustedParty { name: name.to_owned(), vkey: vkey.to_owned(), log: None, policy: None };
    match role {
        Role::Issuer => out.issuers.push(party),
        Role::Publisher => out.publishers.push(party),
    }
    Ok(out)
}

/// The local list without the key for `origin`.
pub fn remove_local(local: &TrustList, origin: &str) -> TrustList {
    let keep = |v: &Vec<TrustedParty>| {
        v.iter().filter(|p| origin_of(p).as_deref() != Some(origin)).cloned().collect()
    };
    TrustList { issuers: keep(&local.issuers), publishers: keep(&local.publishers) }
}

/// The trust list verification uses: the site's, plus local keys for log origins the site does
/// not list (the site's entry always wins).
pub fn effective_trust(site: &TrustList, local: &TrustList) -> TrustList {
    let fresh = |v: &Vec<TrustedParty>| -> Vec<TrustedParty> {
        v.iter().filter(|p| !lists(site).any(|s| origin_of(s) == origin_of(p))).cloned().collect()
    };
    let mut t = site.clone();
    t.issuers.extend(fresh(&local.issuers));
    t.publishers.extend(fresh(&local.publishers));
    t
}

/// The log origins trusted for `role` only through keys added on this browser.
pub fn local_only(site: &TrustList, local: &TrustList, role: Role) -> Vec<String> {
    let mine = match role {
        Role::Issuer => &local.issuers,
        Role::Publisher => &local.publishers,
    };
    mine.iter()
        .filter_map(origin_of)
        .filter(|o| !lists(site).any(|s| origin_of(s).as_deref() == Some(o.as_str())))
        .collect()
}

/// Adds a step checked beside the verifier's own (the log's history) to a report: a failure
/// or a check that could not be run clears `verified`.
pub fn add_step(report: &mut Report, step: Step) {
    if matches!(step.outcome, Outcome::Fail | Outcome::Unchecked) {
        report.verified = false;
    }
    report.steps.push(step);
}

/// One verified (or failed) bundle, as shown.
#[derive(Debug, Clone, PartialEq)]
pub struct Shown {
    /// Where it came from ("link", a file name, "pasted").
    pub source: String,
    /// Its report.
    pub report: Report,
    /// What it says.
    pub summary: Option<BundleSummary>,
    /// The verdict.
    pub verdict: Verdict,
}

/// The app's state.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct State {
    /// The site's trust list, once loaded.
    pub trust: Option<TrustList>,
    /// Why the trust list could not be loaded.
    pub trust_error: Option<String>,
    /// Verification in progress.
    pub busy: bool,
    /// The number of the latest verification started: answers for earlier ones are dropped.
    pub run: u32,
    /// Results, newest batch.
    pub shown: Vec<Shown>,
    /// A problem with the input itself.
    pub input_error: Option<String>,
    /// Milliseconds from navigation to the latest verdict (shown as `data-ms`).
    pub verdict_ms: Option<f64>,
    /// Keys the user added on this browser (local storage).
    pub local_trust: TrustList,
    /// Why a key could not be added.
    pub local_error: Option<String>,
}

/// What can happen.
#[derive(Debug, Clone)]
pub enum Action {
    /// `trust.json` loaded, or failed to.
    Trust(Result<TrustList, String>),
    /// Verification number `n` started: whatever was shown before goes at once.
    Busy(u32),
    /// Verification `n` finished, at this many milliseconds after navigation (dropped unless
    /// `n` is the latest started).
    Shown(u32, Vec<Shown>, Option<f64>),
    /// The page moved on (a new link without a bundle): results shown and running
    /// verifications up to `n` are forgotten.
    Clear(u32),
    /// The input could not be read.
    InputError(String),
    /// The locally added keys changed (or were loaded), or a key was refused.
    LocalTrust(Result<TrustList, String>),
}

impl State {
    /// The reducer: the next state after `action`.
    pub fn reduce(mut self, action: Action) -> State {
        match action {
            Action::Trust(Ok(t)) => {
                self.trust = Some(t);
                self.trust_error = None;
            }
            Action::Trust(Err(e)) => self.trust_error = Some(e),
            Action::Busy(n) => {
                self.run = n;
                self.busy = true;
                self.input_error = None;
                self.shown.clear();
                self.verdict_ms = None;
            }
            Action::Shown(n, s, ms) if n == self.run => {
                self.busy = false;
                self.shown = s;
                self.verdict_ms = ms;
            }
            Action::Shown(..) => {}
            Action::Clear(n) => {
                self.run = n;
                self.busy = false;
                self.input_error = None;
                self.shown.clear();
                self.verdict_ms = None;
            }
            Action::InputError(e) => {
                self.busy = false;
                self.input_error = Some(e);
            }
            Action::LocalTrust(Ok(t)) => {
                self.local_trust = t;
                self.local_error = None;
            }
            Action::LocalTrust(Err(e)) => self.local_error = Some(e),
        }
        self
    }

    /// The trust list to verify with: the site's plus local keys; `None` while the site's list
    /// is still loading (if it failed to load, local keys alone).
    pub fn verifying_trust(&self) -> Option<TrustList> {
        match (&self.trust, &self.trust_error) {
            (Some(site), _) => Some(effective_trust(site, &self.local_trust)),
            (None, Some(_)) => Some(effective_trust(&TrustList::default(), &self.local_trust)),
            (None, None) => None,
        }
    }

    /// People named by the shown bundles (normalised `name` claims); more than one is a warning.
    pub fn subjects(&self) -> Vec<String> {
        let mut v: Vec<String> = self.shown.iter().filter_map(|s| s.summary.as_ref()?.subject()).collect();
        v.sort();
        v.dedup();
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fragments_and_pasted_text() {
        let b = URL_SAFE_NO_PAD.encode(b"{\"x\":1}");
        let got = bundles_from_fragment(&format!("#bundle={b}&other=1&bundle={b}"));
        assert_eq!(got, vec![Ok(b"{\"x\":1}".to_vec()), Ok(b"{\"x\":1}".to_vec())]);
        assert!(bundles_from_fragment("#bundle=***")[0].is_err());
        assert_eq!(
            bundles_from_text(&format!("see https://v.example/#bundle={b} thanks")),
            vec![Ok(b"{\"x\":1}".to_vec())]
        );
        assert_eq!(bundles_from_text("  {\"a\":2} "), vec![Ok(b"{\"a\":2}".to_vec())]);
        assert!(bundles_from_text("hello")[0].is_err());
        assert!(bundles_from_text("")[0].is_err());
    }

    #[test]
    fn local_keys_add_to_the_site_list_and_never_override_it() {
        let key = |name: &str, seed: u8| {
            let k =
                verifier::write::SignerKey::from_seed(name, verifier::KeyKind::Ed25519, &[seed; 32]).unwrap();
            verifier::write::format_verifier_key(&k.verifier)
        };
        let party =
            |name: &str, vkey: String| TrustedParty { name: name.into(), vkey, log: None, policy: None };
        let site = TrustList { issuers: vec![party("GMC", key("gmc.example/log", 1))], publishers: vec![] };
        let local =
            add_local(&TrustList::default(), Some(&site), Role::Issuer, " RCP ", &key("rcp.example/log", 2))
                .unwrap();
        assert_eq!(local.issuers[0].name, "RCP");
        let local =
            add_local(&local, Some(&site), Role::Publisher, "Stats", &key("stats.example/r", 3)).unwrap();
        assert_eq!(local.publishers.len(), 1);
        // Refused: the site's origin (even with another key), a repeat, junk, no name.
        let e =
            add_local(&local, Some(&site), Role::Issuer, "Fake GMC", &key("gmc.example/log", 9)).unwrap_err();
        assert!(e.contains("this site already trusts"), "{e}");
        assert!(
            add_local(&local, Some(&site), Role::Issuer, "Again", &key("rcp.example/log", 4))
                .unwrap_err()
                .contains("already added")
        );
        assert!(
            add_local(&local, Some(&site), Role::Issuer, "X", "not a key")
                .unwrap_err()
                .contains("not a verifier key")
        );
        assert!(add_local(&local, Some(&site), Role::Issuer, " ", &key("x.example/l", 5)).is_err());
        let eff = effective_trust(&site, &local);
        assert_eq!((eff.issuers.len(), eff.publishers.len()), (2, 1));
        assert_eq!(local_only(&site, &local, Role::Issuer), vec!["rcp.example/log".to_owned()]);
        assert_eq!(local_only(&site, &local, Role::Publisher), vec!["stats.example/r".to_owned()]);
        // A stored entry for an origin the site lists later never overrides the site's key.
        let sneaky =
            TrustList { issuers: vec![party("Fake", key("gmc.example/log", 9))], publishers: vec![] };
        assert_eq!(effective_trust(&site, &sneaky), site);
        assert!(local_only(&site, &sneaky, Role::Issuer).is_empty());
        // Round trip through storage; junk in storage trusts nothing.
        let stored = serde_json::to_string(&local).unwrap();
        assert_eq!(parse_local(Some(&stored)), local);
        assert_eq!(parse_local(Some("{junk")), TrustList::default());
        assert_eq!(remove_local(&local, "rcp.example/log").issuers.len(), 0);
        // Verification waits for the site's list; if it failed to load, local keys alone.
        let mut st = State { local_trust: local.clone(), ..State::default() };
        assert_eq!(st.verifying_trust(), None);
        st = st.reduce(Action::Trust(Err("404".into())));
        assert_eq!(st.verifying_trust(), Some(local.clone()));
    }

    fn step(check: &'static str, outcome: Outcome, detail: &str) -> Step {
        Step { check, title: "t", outcome, detail: detail.into() }
    }

    fn shown(verdict: Verdict) -> Shown {
        Shown {
            source: "link".into(),
            report: Report { verified: verdict == Verdict::Valid, steps: Vec::new() },
            summary: None,
            verdict,
        }
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
    fn late_answers_for_an_earlier_link_are_dropped() {
        // Link 1 is verifying when the fragment changes to link 2: its result goes at once.
        let s = State::default().reduce(Action::Busy(1));
        let s = s.reduce(Action::Shown(1, vec![shown(Verdict::Valid)], Some(1.0)));
        assert_eq!(s.shown.len(), 1);
        let s = s.reduce(Action::Busy(2));
        assert!(s.busy && s.shown.is_empty(), "the old verdict is not shown beside the new link");
        // Link 1's verification answers again late (or link 2's answer races it): dropped.
        let s = s.reduce(Action::Shown(1, vec![shown(Verdict::Valid)], Some(2.0)));
        assert!(s.busy && s.shown.is_empty());
        let s = s.reduce(Action::Shown(2, vec![shown(Verdict::Revoked)], Some(3.0)));
        assert_eq!((s.busy, s.shown[0].verdict, s.verdict_ms), (false, Verdict::Revoked, Some(3.0)));
        // A fragment without a bundle clears the result and any verification still running.
        let s = s.reduce(Action::Busy(3)).reduce(Action::Clear(4));
        assert!(!s.busy && s.shown.is_empty());
        let s = s.reduce(Action::Shown(3, vec![shown(Verdict::Valid)], None));
        assert!(s.shown.is_empty());
    }

    #[test]
    fn witness_keys_are_refused_where_a_log_key_is_wanted() {
        let witness = verifier::write::SignerKey::from_seed(
            "witness.example/w1",
            verifier::KeyKind::CosignatureV1,
            &[7; 32],
        )
        .unwrap();
        let vkey = verifier::write::format_verifier_key(&witness.verifier);
        for role in [Role::Issuer, Role::Publisher] {
            let e = add_local(&TrustList::default(), None, role, "W", &vkey).unwrap_err();
            assert!(e.contains("witness's cosigning key, not a log's key"), "{e}");
        }
    }

    #[test]
    fn local_keys_are_labelled_for_their_role_only() {
        let key = |name: &str, seed: u8| {
            let k =
                verifier::write::SignerKey::from_seed(name, verifier::KeyKind::Ed25519, &[seed; 32]).unwrap();
            verifier::write::format_verifier_key(&k.verifier)
        };
        let local =
            add_local(&TrustList::default(), None, Role::Publisher, "P", &key("p.example/r", 1)).unwrap();
        let site = TrustList::default();
        assert_eq!(local_only(&site, &local, Role::Publisher), vec!["p.example/r".to_owned()]);
        assert!(local_only(&site, &local, Role::Issuer).is_empty());
        // And the verifier trusts it for releases only: it vouches for no credential.
        let eff = effective_trust(&site, &local);
        assert!(eff.find_publisher("p.example/r").is_some());
        assert!(eff.find_issuer("p.example/r").is_none());
    }

    #[test]
    fn reducer() {
        let s = State::default().reduce(Action::Busy(1));
        assert!(s.busy);
        let s = s.reduce(Action::InputError("bad".into()));
        assert!(!s.busy);
        assert_eq!(s.input_error.as_deref(), Some("bad"));
        let s = s.reduce(Action::Trust(Err("404".into())));
        assert_eq!(s.trust_error.as_deref(), Some("404"));
        assert_eq!(data_verdict(Verdict::Valid), "valid");
        assert_eq!(data_verdict(Verdict::Revoked), "invalid");
    }
}
