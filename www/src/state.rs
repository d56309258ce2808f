//! The app's state and pure logic: reading bundles from links and pasted text, verdicts, and
//! the reducer. No browser APIs here, so it is tested natively.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use verifier::{BundleSummary, Report, TrustList, Verdict};

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
        }
        self
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
