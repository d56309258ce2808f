//! The release's files: each listed (or extra) file with its size, its status (with progress
//! while hashing) and, for the microdata, the recount.

use yew::prelude::*;

use crate::state::release::{FileState, ReleaseState};

/// The table's properties.
#[derive(Debug, Clone, PartialEq, Properties)]
pub(crate) struct Props {
    /// The release page's state (its files).
    pub state: ReleaseState,
}

/// `<section id="files">`.
#[function_component(FileTable)]
pub(crate) fn file_table(props: &Props) -> Html {
    let s = &props.state;
    let done =
        s.files.iter().filter(|f| !matches!(f.state, FileState::Waiting | FileState::Hashing(..))).count();
    let all = s.all_verified();
    html! {
        <section id="files" data-all-verified={ if all { "true" } else { "false" } } data-done={done.to_string()}>
            <h2>{ if all { "Every file is exactly as published".to_owned() } else { format!("Files ({done} of {} checked)", s.files.len()) } }</h2>
            <table class="files">
                <thead><tr><th scope="col">{ "File" }</th><th scope="col">{ "Size" }</th><th scope="col">{ "Status" }</th></tr></thead>
                <tbody>
                { for s.files.iter().map(|f| {
                    let status = if f.listed.is_none() { "extra" } else { f.state.word() };
                    let detail = match (&f.state, f.listed.is_none()) {
                        (_, true) => "not listed in the manifest".to_owned(),
                        (FileState::Hashing(d, t), _) => if *t >= *d && *t > 0 { format!("{:.0}%", *d as f64 * 100.0 / *t as f64) } else { format!("{} MB", d >> 20) },
                        (FileState::Altered(why), _) => why.clone(),
                        (FileState::Failed(why), _) => why.clone(),
                        (FileState::Missing, _) => "not on this site".to_owned(),
                        _ => String::new(),
                    };
                    html! {
                        <tr data-file={f.id.clone()} data-status={status} class={status}>
                            <td>{ f.id.clone() }</td>
                            <td>{ f.listed.as_ref().map(|r| r.bytes.to_string()).unwrap_or_default() }</td>
                            <td>
                                { status }{ if detail.is_empty() { String::new() } else { format!(": {detail}") } }
                                if let FileState::Hashing(d, t) = f.state {
                                    if t >= d && t > 0 { <progress value={d.to_string()} max={t.to_string()} aria-label={format!("hashing {}", f.id)} /> }
                                }
                                if let Some(rc) = &f.recount {
                                    { match rc {
                                        Ok((ok, why)) => html! { <p class={ if *ok { "recount pass" } else { "recount fail" } } data-confirmed={ok.to_string()}>{ why.clone() }</p> },
                                        Err(e) => html! { <p class="recount fail" data-confirmed="false">{ format!("Could not recount: {e}") }</p> },
                                    } }
                                }
                            </td>
                        </tr>
                    }
                }) }
                </tbody>
            </table>
        </section>
    }
}
