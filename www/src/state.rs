//! The app's state and pure logic: reading bundles from links and pasted text, verdicts, and
//! the reducer. No browser APIs here, so it is tested natively.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use verifier::{BundleSummary, Report, TrustList, TrustedParty, Verdict};

/// `data-verdict` for a verdict: `valid` or `invalid`, for people and tests alike.
pub fn data_verdict(v: Verdict) -> &'static str {
    if v == Verdict::Valid { "valid" } else { "invalid" }
}

/// A sentence a recruiter can act on, for a failed check.
pub fn advice(check: &str) -> &'static str {
    match check {
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

/// The log origins trusted only through keys added on this browser.
pub fn local_only(site: &TrustList, local: &TrustList) -> Vec<String> {
    lists(local)
        .filter_map(origin_of)
        .filter(|o| !lists(site).any(|s| origin_of(s).as_deref() == Some(o.as_str())))
        .collect()
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
    /// Verification started.
    Busy,
    /// Verification finished, at this many milliseconds after navigation.
    Shown(Vec<Shown>, Option<f64>),
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
            Action::Busy => {
                self.busy = true;
                self.input_error = None;
            }
            Action::Shown(s, ms) => {
                self.busy = false;
                self.shown = s;
                self.verdict_ms = ms;
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
            let k = verifier::SignerKey::from_seed(name, verifier::KeyKind::Ed25519, &[seed; 32]).unwrap();
            verifier::format_verifier_key(&k.verifier)
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
        assert_eq!(
            local_only(&site, &local),
            vec!["rcp.example/log".to_owned(), "stats.example/r".to_owned()]
        );
        // A stored entry for an origin the site lists later never overrides the site's key.
        let sneaky =
            TrustList { issuers: vec![party("Fake", key("gmc.example/log", 9))], publishers: vec![] };
        assert_eq!(effective_trust(&site, &sneaky), site);
        assert!(local_only(&site, &sneaky).is_empty());
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

    #[test]
    fn reducer() {
        let s = State::default().reduce(Action::Busy);
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
