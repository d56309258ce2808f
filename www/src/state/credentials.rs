//! The credential page's state and its reducer: the site's trust list and the keys added on
//! this browser, the verifications running and the results shown. Pure; tested natively.

use verifier::{BundleSummary, Report, TrustList, Verdict};

use super::trust::effective_trust;

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
    /// When the trust list is this browser's saved copy (offline: the site did not answer),
    /// when it was saved (POSIX seconds); `None` when it came from the site.
    pub trust_saved_at: Option<i64>,
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
    /// The trust list about to load is the copy this browser saved at this time (offline).
    TrustSavedAt(i64),
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
            Action::TrustSavedAt(at) => self.trust_saved_at = Some(at),
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
    use crate::checks::data_verdict;

    fn shown(verdict: Verdict) -> Shown {
        Shown {
            source: "link".into(),
            report: Report { verified: verdict == Verdict::Valid, steps: Vec::new() },
            summary: None,
            verdict,
        }
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
    fn reducer() {
        let s = State::default().reduce(Action::Busy(1));
        assert!(s.busy);
        let s = s.reduce(Action::InputError("bad".into()));
        assert!(!s.busy);
        assert_eq!(s.input_error.as_deref(), Some("bad"));
        let s = s.reduce(Action::Trust(Err("404".into())));
        assert_eq!(s.trust_error.as_deref(), Some("404"));
        assert_eq!(s.trust_saved_at, None);
        assert_eq!(s.reduce(Action::TrustSavedAt(1_795_000_000)).trust_saved_at, Some(1_795_000_000));
        assert_eq!(data_verdict(Verdict::Valid), "valid");
        assert_eq!(data_verdict(Verdict::Revoked), "invalid");
    }
}
