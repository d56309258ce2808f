//! The step list: how a report was checked.

use verifier::{Outcome, Report};
use yew::prelude::*;

/// The step list's properties.
#[derive(Debug, Clone, PartialEq, Properties)]
pub(crate) struct Props {
    /// The report whose steps are listed.
    pub report: Report,
}

/// A report's steps, each with its outcome, in a collapsed "How this was checked".
#[function_component(StepList)]
pub(crate) fn step_list(props: &Props) -> Html {
    html! {
        <details>
            <summary>{ "How this was checked" }</summary>
            <ol class="steps">
                { for props.report.steps.iter().map(|st| {
                    let (cls, mark) = match st.outcome {
                        Outcome::Pass => ("pass", "✓"),
                        Outcome::Fail => ("fail", "✗"),
                        Outcome::Skip => ("skip", "–"),
                        Outcome::Unchecked => ("unchecked", "?"),
                    };
                    html! { <li class={cls} data-check={st.check.name()}><span aria-hidden="true">{ mark }</span>{ format!(" {}: {}", st.title, st.detail) }</li> }
                }) }
            </ol>
        </details>
    }
}
