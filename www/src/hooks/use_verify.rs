//! Verifying credential bundles: fetching each trusted issuer's revocation evidence and log
//! history, then the verifier's `check_bundle`, numbered so that a late answer for an earlier
//! verification is recognised and dropped (a new link, paste or file always wins).

use std::cell::Cell;
use std::rc::Rc;

use verifier::{Bundle, BundleTrust, StatusCheck, TrustList, check_bundle};
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use super::use_store::Store;
use crate::checks::{add_step, saved_trust_list};
use crate::history;
use crate::net;
use crate::state::credentials::{Action, Shown, State};

/// One input to verify: where it came from ("link", a file name, "pasted") and its bytes, or
/// why they could not be read.
pub(crate) type Input = (String, Result<Vec<u8>, String>);

/// Verifies bundles against the site's trust list, fetching revocation evidence from each
/// trusted issuer's log when it has one. `saved_at`: the trust list is this browser's saved copy
/// from then (the site did not answer), so no result is valid.
async fn verify_all(trust: TrustList, saved_at: Option<i64>, inputs: Vec<Input>) -> Vec<Shown> {
    let now = net::now();
    let mut out = Vec::new();
    for (source, bytes) in inputs {
        let bytes = match bytes {
            Ok(b) => b,
            Err(e) => format!("not a bundle: {e}").into_bytes(),
        };
        let mut evidence: Option<Result<verifier::StatusEvidence, net::NetError>> = None;
        let mut history = None;
        let mut seen_now = None;
        let mut issuer = String::new();
        if let Ok(b) = Bundle::parse(&bytes)
            && let Some((party, t)) = trust.find_issuer(&b.credential.issuer)
            && let Some(log) = &party.log
        {
            issuer.clone_from(&b.credential.issuer);
            evidence = Some(net::status_evidence(log, &b).await);
            if let Some(Ok(e)) = &evidence {
                (history, seen_now) = history::issuer_log(&t, log, &b.credential.issuer, e).await;
            }
        }
        // A log the trust list names must answer: anything less is "could not check", never
        // valid. Offline (no answer at all), the step says so and when this browser last saw
        // the log; a log that answered in error is named with its error.
        let why = match &evidence {
            Some(Err(e)) => e.to_string(),
            _ => String::new(),
        };
        let seen = net::last_seen(&issuer);
        let status = match &evidence {
            None => StatusCheck::Offline,
            Some(Ok(e)) => StatusCheck::Evidence(e),
            Some(Err(e)) if e.is_offline() => StatusCheck::Unreachable {
                why: &why,
                last_seen: seen.as_deref(),
                seen_at: net::last_seen_at(&issuer),
            },
            Some(Err(_)) => StatusCheck::Unavailable(&why),
        };
        let (mut report, summary) = check_bundle(&bytes, &BundleTrust::List(trust.clone()), now, status);
        // Only a checkpoint the revocation step verified (signature, quorum, consistency with
        // the bundle's) is remembered: a forged or unwitnessed one must not replace a good one.
        if summary.as_ref().is_some_and(|s| s.status_checked)
            && let Some((origin, checkpoint)) = seen_now
        {
            net::remember(&origin, &checkpoint);
        }
        if let Some(step) = history {
            add_step(&mut report, step);
        }
        if let Some(at) = saved_at {
            saved_trust_list(&mut report, at);
        }
        let verdict = report.verdict();
        out.push(Shown { source, report, summary, verdict });
    }
    out
}

/// The credential verifications of the app: its store and the number of the latest one.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Runs {
    store: UseReducerHandle<Store<State>>,
    counter: Rc<Cell<u32>>,
}

impl Runs {
    fn next(&self) -> u32 {
        self.counter.set(self.counter.get().wrapping_add(1));
        self.counter.get()
    }

    /// Verifies `inputs`; whatever was shown before goes at once.
    pub(crate) fn start(&self, inputs: Vec<Input>) {
        let store = &self.store;
        let Some(trust) = store.0.verifying_trust() else {
            store.dispatch(Action::InputError("the site's trust list has not loaded yet".to_owned()));
            return;
        };
        let saved_at = store.0.trust_saved_at;
        let run = self.next();
        store.dispatch(Action::Busy(run));
        let store = store.clone();
        spawn_local(async move {
            let shown = verify_all(trust, saved_at, inputs).await;
            let ms = web_sys::window().and_then(|w| w.performance()).map(|p| p.now());
            store.dispatch(Action::Shown(run, shown, ms));
        });
    }

    /// Forgets the results shown and every verification still running.
    pub(crate) fn clear(&self) {
        self.store.dispatch(Action::Clear(self.next()));
    }
}

/// The app's verifications, numbered across both pages for the app's lifetime.
#[hook]
pub(crate) fn use_runs(store: &UseReducerHandle<Store<State>>) -> Runs {
    let counter: Rc<Cell<u32>> = use_memo((), |_| Cell::new(0));
    Runs { store: store.clone(), counter }
}
