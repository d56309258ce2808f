//! One credential's verdict: the heading, what it is and who issued it, its claims, the advice
//! for a failure, and how it was checked.

use yew::prelude::*;

use super::steps::StepList;
use crate::checks::{advice, data_verdict, heading, offline_notes};
use crate::state::credentials::Shown;

/// The result's properties.
#[derive(Debug, Clone, PartialEq, Properties)]
pub(crate) struct Props {
    /// Its place among the results shown (`result-<i>`).
    pub index: usize,
    /// The verified (or failed) bundle.
    pub shown: Shown,
    /// Issuer origins trusted only by keys added on this browser.
    pub locally: Vec<String>,
}

/// `<article class="result">` for one credential.
#[function_component(CredentialResult)]
pub(crate) fn credential_result(props: &Props) -> Html {
    let (i, r) = (props.index, &props.shown);
    let local = r.summary.as_ref().is_some_and(|s| props.locally.contains(&s.issuer));
    let title = r.summary.as_ref().map(|s| format!("{} issued by {}", s.credential_type, s.issuer_name));
    html! {
        <article class={classes!("result", data_verdict(r.verdict))} id={format!("result-{i}")} data-verdict={data_verdict(r.verdict)}>
            <h2 class="verdict-word">{ heading(&r.report, r.verdict) }</h2>
            if let Some(t) = title { <p class="what">{ t }</p> }
            if local {
                <p class="warning local-note">{ "This issuer is trusted on this browser only, by a key you added, not by this site." }</p>
            }
            if let Some(s) = &r.summary {
                <dl class="claims">
                    { for s.claims.iter().map(|(k, v)| html! { <><dt>{ k.clone() }</dt><dd>{ v.clone() }</dd></> }) }
                </dl>
                if (s.claims.len() as u64) < s.claims_count {
                    <p class="note">{ format!("{} further claims were not disclosed by the holder.", s.claims_count - s.claims.len() as u64) }</p>
                }
            }
            { for offline_notes(&r.report).into_iter().map(|note| html! {
                <p class="offline-note" role="status">{ note }</p>
            }) }
            if let Some(f) = r.report.failure() {
                <p class="advice">{ advice(f) }</p>
            }
            <StepList report={r.report.clone()} />
            <p class="source">{ format!("From: {}", r.source) }</p>
        </article>
    }
}
