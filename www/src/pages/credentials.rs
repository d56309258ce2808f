//! The credential page: a verification link (`#c1=…`, `#c1u=…`, `#bundle=…`), pasted links or
//! bundles, bundle files (picked or dropped anywhere on the page) and QR codes, each verified
//! in this browser; then a verdict per credential, and one for all of them together.

use verifier::Verdict;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use crate::app::bundles_from_text;
use crate::checks::portfolio_verdict;
use crate::components::credential_result::CredentialResult;
use crate::components::file_picker::{FilePicker, read_files};
use crate::components::local_keys::LocalKeys;
use crate::components::nav::Nav;
use crate::components::scanner::Scanner;
use crate::hooks::use_store::Store;
use crate::hooks::use_verify::Runs;
use crate::state::credentials::{Action, State};
use crate::state::trust::{Role, local_only};

/// The page's properties.
#[derive(Debug, Clone, PartialEq, Properties)]
pub(crate) struct Props {
    /// The app's store: the trust lists and the results shown.
    pub store: UseReducerHandle<Store<State>>,
    /// The app's verifications.
    pub runs: Runs,
    /// The bundles the link carries (`#c1=…`, `#c1u=…` or `#bundle=…`), verified on arrival.
    pub bundles: Vec<Result<Vec<u8>, String>>,
    /// The location the route was parsed from: a new one is verified afresh.
    pub fragment: String,
}

/// The credential page.
#[function_component(CredentialsPage)]
pub(crate) fn credentials_page(props: &Props) -> Html {
    let (store, runs) = (&props.store, &props.runs);
    let paste = use_node_ref();
    // A verification link verifies on load, once the trust list is in, and again whenever the
    // fragment changes in this tab: the old verdict goes at once, so it is never shown beside
    // another link; a fragment without a bundle clears it.
    {
        let (store, runs, found) = (store.clone(), runs.clone(), props.bundles.clone());
        let loaded = store.0.verifying_trust().is_some();
        use_effect_with((loaded, props.fragment.clone()), move |(loaded, _)| {
            if *loaded {
                if found.is_empty() {
                    if !store.0.shown.is_empty() || store.0.busy {
                        runs.clear();
                    }
                } else {
                    runs.start(found.into_iter().map(|b| ("link".to_owned(), b)).collect());
                }
            }
        });
    }

    let on_paste = {
        let (runs, paste) = (runs.clone(), paste.clone());
        Callback::from(move |_: MouseEvent| {
            let text = paste.cast::<web_sys::HtmlTextAreaElement>().map(|t| t.value()).unwrap_or_default();
            runs.start(bundles_from_text(&text).into_iter().map(|b| ("pasted".to_owned(), b)).collect());
        })
    };
    let on_files = {
        let runs = runs.clone();
        Callback::from(move |files: web_sys::FileList| {
            let runs = runs.clone();
            spawn_local(async move {
                let inputs = read_files(files).await;
                runs.start(inputs);
            });
        })
    };
    let on_drop = {
        let runs = runs.clone();
        Callback::from(move |e: DragEvent| {
            e.prevent_default();
            let Some(files) = e.data_transfer().and_then(|d| d.files()) else { return };
            let runs = runs.clone();
            spawn_local(async move {
                let inputs = read_files(files).await;
                runs.start(inputs);
            });
        })
    };
    let on_dragover = Callback::from(|e: DragEvent| e.prevent_default());
    let on_qr = {
        let runs = runs.clone();
        Callback::from(move |text: String| {
            runs.start(bundles_from_text(&text).into_iter().map(|b| ("QR code".to_owned(), b)).collect());
        })
    };
    let on_camera_error = {
        let store = store.clone();
        Callback::from(move |e: String| store.dispatch(Action::InputError(e)))
    };

    let s = &store.0;
    let site_trust = s.trust.clone().unwrap_or_default();
    // Keys are trusted only for their role: a local publisher key labels no credential.
    let local_issuers = local_only(&site_trust, &s.local_trust, Role::Issuer);
    let verdicts: Vec<Verdict> = s.shown.iter().map(|r| r.verdict).collect();
    let subjects = s.subjects();
    html! {
        <main ondrop={on_drop} ondragover={on_dragover}>
            <Nav release=false />
            <header>
                <h1>{ "Verify a credential" }</h1>
                <p class="lede">{ "Everything is checked in this browser against the issuers' public logs. Nothing you open here is uploaded." }</p>
            </header>
            if let Some(e) = &s.trust_error {
                <p class="error" role="alert">{ format!("Cannot verify: {e}") }</p>
            }
            if let Some(at) = s.trust_saved_at {
                <p class="offline-trust" role="status">{ format!("Offline: the site did not answer, so this page uses the trust list this browser saved at {}; an issuer added or removed since then is not known here.", verifier::format_time(at)) }</p>
            }
            <section class="inputs" aria-label="Credential to verify">
                <label for="paste">{ "Paste a verification link or a bundle" }</label>
                <textarea id="paste" ref={paste} rows="4" placeholder="https://…#c1u=…" />
                <button id="verify-paste" onclick={on_paste}>{ "Verify" }</button>
                <FilePicker id="file" label="Or choose bundle files (or drop them anywhere on this page)"
                    accept=".json,application/json" multiple=true {on_files} />
                <Scanner on_text={on_qr} on_error={on_camera_error} />
            </section>
            <LocalKeys store={store.clone()} />
            if s.busy {
                <p id="busy" aria-live="polite">{ "Checking…" }</p>
            }
            if let Some(e) = &s.input_error {
                <p class="error" role="alert">{ e.clone() }</p>
            }
            if !s.shown.is_empty() {
                <section id="verdict" data-verdict={ portfolio_verdict(&verdicts) }
                    data-ms={ s.verdict_ms.map(|m| format!("{m:.0}")).unwrap_or_default() } aria-live="polite">
                    if s.shown.len() > 1 {
                        <h2>{ format!("{} of {} credentials valid", verdicts.iter().filter(|v| **v == Verdict::Valid).count(), verdicts.len()) }</h2>
                        if verdicts.contains(&Verdict::Unchecked) {
                            <p class="warning">{ format!("{} could not be fully checked: not counted as valid.", verdicts.iter().filter(|v| **v == Verdict::Unchecked).count()) }</p>
                        }
                        if subjects.len() > 1 {
                            <p class="warning" role="alert">{ format!("Warning: these credentials do not all name the same person ({}).", subjects.join(" / ")) }</p>
                        }
                    }
                    { for s.shown.iter().enumerate().map(|(i, r)| html! { <CredentialResult index={i} shown={r.clone()} locally={local_issuers.clone()} /> }) }
                </section>
            }
        </main>
    }
}
