//! The verdict on a row proof: the cited row's values under their column names.

use yew::prelude::*;

use super::steps::StepList;
use crate::checks::{report_verdict, verdict_word};

/// The verdict's properties.
#[derive(Debug, Clone, PartialEq, Properties)]
pub(crate) struct Props {
    /// The proof's verification report.
    pub report: verifier::Report,
    /// The proof, if it could be read.
    pub proof: Option<verifier::RowProof>,
}

/// `<article id="row-verdict">`.
#[function_component(RowVerdict)]
pub(crate) fn row_verdict(props: &Props) -> Html {
    let (r, proof) = (&props.report, props.proof.as_ref());
    let v = report_verdict(r);
    let columns =
        proof.and_then(|p| p.release.manifest.resource(&p.file).and_then(|res| res.columns.clone()));
    html! {
        <article id="row-verdict" class={classes!("result", v)} data-verdict={v} aria-live="polite">
            <h2 class="verdict-word">{ verdict_word(r) }</h2>
            if let Some(p) = proof {
                <p class="what">{ format!("Row {} of {} in release {:?}", p.row, p.file, p.release.manifest.name) }</p>
                <dl class="claims">
                    { for p.values.iter().enumerate().map(|(i, v)| {
                        let c = columns.as_ref().and_then(|c| c.get(i)).cloned().unwrap_or_else(|| format!("column {}", i + 1));
                        html! { <><dt>{ c }</dt><dd>{ v.clone() }</dd></> }
                    }) }
                </dl>
            }
            if let Some(f) = r.failure() {
                <p class="advice">{ format!("Do not cite this row: {}", f.detail) }</p>
            }
            <StepList report={r.clone()} />
        </article>
    }
}
