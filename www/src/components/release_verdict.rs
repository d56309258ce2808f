//! The verdict banner of a release: the headline the files and the recount add up to, what
//! the manifest claims (confirmed or only claimed), the advice, and how it was checked.

use yew::prelude::*;

use super::steps::StepList;
use crate::checks::saved_trust_note;
use crate::state::release::ReleaseState;

/// The banner's properties.
#[derive(Debug, Clone, PartialEq, Properties)]
pub(crate) struct Props {
    /// The release page's state (its verified report, manifest and files).
    pub state: ReleaseState,
    /// The publisher's name in the site's trust list, if it is there.
    pub publisher: Option<String>,
    /// Publisher origins trusted only by keys added on this browser.
    pub local_only: Vec<String>,
}

/// `<article id="release-verdict">`; nothing before a bundle was verified.
#[function_component(ReleaseVerdict)]
pub(crate) fn release_verdict(props: &Props) -> Html {
    let (s, publisher, local_only) = (&props.state, props.publisher.as_deref(), &props.local_only);
    let Some(r) = &s.report else { return html! {} };
    let (v, word) = s.headline().unwrap_or(("invalid", "Invalid".to_owned()));
    let confirmed = s.claims_confirmed();
    // The manifest's k and l are the publisher's claims until a recount here confirms them.
    let claimed = match confirmed {
        Some(true) => "confirmed on this computer by recounting the microdata",
        Some(false) => "claimed by the publisher, but the recount on this computer does not match",
        None => "claimed by the publisher, not yet confirmed on this computer",
    };
    let problems = s.problems();
    html! {
        <article id="release-verdict" class={classes!("result", v)} data-verdict={v}
            data-claims={ match confirmed { Some(true) => "confirmed", Some(false) => "contradicted", None => "claimed" } } aria-live="polite">
            <h2 class="verdict-word">{ word }</h2>
            if let Some(m) = &s.manifest {
                <p class="what">{ format!("Release {:?} published by {} on {}", m.name, publisher.unwrap_or(&m.publisher), m.created) }</p>
                if local_only.contains(&m.publisher) {
                    <p class="warning local-note">{ "This publisher is trusted on this browser only, by a key you added, not by this site." }</p>
                }
                <dl class="claims">
                    <dt>{ "Anonymity" }</dt>
                    <dd id="claim-k">{ format!("every released person shares their quasi-identifiers ({}) with at least {} others ({} k = {}, policy k = {}): {claimed}",
                        m.privacy.quasi_identifiers.join(", "), m.privacy.achieved_k.saturating_sub(1),
                        if confirmed == Some(true) { "confirmed" } else { "claimed" }, m.privacy.achieved_k, m.privacy.k) }</dd>
                    { for m.privacy.achieved_l.iter().map(|(c, l)| html! { <><dt>{ format!("Diversity of {c}") }</dt><dd>{ format!("at least {l} distinct values in every class ({} l = {l}): {claimed}", if confirmed == Some(true) { "confirmed" } else { "claimed" }) }</dd></> }) }
                    <dt>{ "Rows" }</dt><dd>{ format!("{} released, {} with all quasi-identifiers suppressed", m.privacy.records, m.privacy.suppressed) }</dd>
                    <dt>{ "Recoding" }</dt><dd>{ if m.privacy.recoding == "local" { "local: each row's quasi-identifiers at the level its class allows (levels vary by row)" } else { "global: one level per quasi-identifier for every row" } }</dd>
                    <dt>{ "Made by" }</dt><dd>{ m.tool.clone() }</dd>
                    <dt>{ "Policy" }</dt><dd><details><summary>{ format!("SHA-256 {}…", m.policy.sha256.get(..16).unwrap_or_default()) }</summary><pre>{ m.policy.text.clone() }</pre></details></dd>
                </dl>
            }
            if let Some(at) = s.trust_saved_at {
                <p class="offline-note" role="status">{ saved_trust_note(at, "publisher") }</p>
            }
            if let Some(f) = r.failure() {
                <p class="advice">{ format!("Do not rely on these files: {}", f.detail) }</p>
            } else if !problems.is_empty() {
                <p class="advice">{ format!("Do not rely on these files: {}.", problems.join("; ")) }</p>
            }
            <StepList report={r.clone()} />
            <p class="source">{ format!("From: {}", s.source) }</p>
        </article>
    }
}
