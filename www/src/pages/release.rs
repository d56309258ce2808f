//! The release page: verifies a published release's manifest (from a `#release=` link or a
//! picked `manifest.bundle.json`), then its files, fetched from this site or dropped by the
//! user, each hashed in the Web Worker; and row proofs pasted on their own.

use std::cell::RefCell;
use std::rc::Rc;

use verifier::{BundleTrust, TrustList, check_release, check_row_proof};
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use crate::checks::{add_step, saved_trust_list};
use crate::components::file_picker::{FilePicker, read_file};
use crate::components::file_table::FileTable;
use crate::components::release_verdict::ReleaseVerdict;
use crate::components::row_verdict::RowVerdict;
use crate::dataset::{match_file, microdata_spec};
use crate::history;
use crate::hooks::use_hasher::{Slot, hasher, send, use_hasher};
use crate::hooks::use_store::Store;
use crate::net;
use crate::state::release::{ReleaseAction, ReleaseState};
use crate::worker::{Job, Reply};

/// The page's properties.
#[derive(Debug, Clone, PartialEq, Properties)]
pub(crate) struct Props {
    /// The site's trust list, once loaded.
    pub trust: Option<TrustList>,
    /// Publisher origins trusted only by keys added on this browser.
    pub local_only: Vec<String>,
    /// When the trust list is this browser's saved copy (the site did not answer), when it was
    /// saved (POSIX seconds): no result is then valid.
    pub trust_saved_at: Option<i64>,
    /// The release the link names ([`crate::app::Route::Release`]).
    pub link: Result<Option<String>, String>,
    /// The location the route was parsed from: a new one loads afresh.
    pub fragment: String,
}

/// A bundle file the user picked: its name and bytes.
type Picked = Rc<RefCell<Option<(String, Vec<u8>)>>>;

/// Resolves `path` against `base` (a URL); `None` unless the result stays on `base`'s origin
/// and under its directory (belt and braces: the verifier already refuses ids that could
/// escape, and `#release=` paths are checked before this).
fn resolve(path: &str, base: &str) -> Option<String> {
    let b = web_sys::Url::new(base).ok()?;
    let u = web_sys::Url::new_with_base(path, base).ok()?;
    let dir = &b.pathname()[..=b.pathname().rfind('/')?];
    (u.origin() == b.origin()
        && u.pathname().starts_with(dir)
        && u.search().is_empty()
        && u.hash().is_empty())
    .then(|| u.href())
}

/// Verifies a release bundle, then (if it verified) the publisher's log history.
async fn verify_bundle(
    store: &UseReducerHandle<Store<ReleaseState>>,
    load: u32,
    trust: &TrustList,
    source: String,
    bytes: &[u8],
    base: Option<String>,
) {
    let (mut report, found) = check_release(bytes, &BundleTrust::List(trust.clone()));
    if report.verified {
        for step in history::release_log(trust, bytes).await {
            add_step(&mut report, step);
        }
    }
    store.dispatch(ReleaseAction::Loaded(load, source, report, found.map(|(m, _)| m), base));
}

/// The release page.
#[function_component(ReleasePage)]
pub(crate) fn release_page(props: &Props) -> Html {
    let store = use_reducer(Store::<ReleaseState>::default);
    {
        // Before any load: the page's store learns whether its trust list is a saved copy.
        let store = store.clone();
        use_effect_with(props.trust_saved_at, move |at| store.dispatch(ReleaseAction::TrustSavedAt(*at)));
    }
    let worker: Slot = use_hasher();
    let row_text = use_node_ref();

    // Load and job numbers: answers for an earlier link, bundle or job are recognised and dropped.
    let counter: Rc<RefCell<u32>> = use_mut_ref(|| 0);
    let next = {
        let counter = counter.clone();
        move || {
            let mut c = counter.borrow_mut();
            *c += 1;
            *c
        }
    };
    // A picked bundle file, kept to verify it again when the trust list changes.
    let picked: Picked = use_mut_ref(|| None);

    // A #release= link (fetched from this site) or a picked bundle: verified on arrival, and
    // again whenever the trust list changes (a key added or removed on this browser).
    {
        let (store, worker, picked, next) = (store.clone(), worker.clone(), picked.clone(), next.clone());
        let (trust, link) = (props.trust.clone(), props.link.clone());
        use_effect_with((props.fragment.clone(), trust.clone()), move |_| {
            if let Some(trust) = trust {
                let path = link;
                // A link names the release: a bundle picked earlier is forgotten.
                let linked = matches!(path, Ok(Some(_)) | Err(_));
                if linked {
                    picked.borrow_mut().take();
                }
                let picked = picked.borrow().clone();
                if !linked && picked.is_none() {
                    // `#release` alone: nothing an earlier link showed stays beside it.
                    if store.0.report.is_some() || store.0.error.is_some() {
                        worker.borrow_mut().take();
                        store.dispatch(ReleaseAction::Loading(next()));
                    }
                } else {
                    worker.borrow_mut().take();
                    let load = next();
                    store.dispatch(ReleaseAction::Loading(load));
                    match (path, picked) {
                        (Err(e), _) => store.dispatch(ReleaseAction::LoadFailed(load, e)),
                        (Ok(Some(path)), _) => {
                            let base = web_sys::window()
                                .and_then(|w| w.document())
                                .and_then(|d| d.base_uri().ok().flatten());
                            let url = base.as_deref().and_then(|b| resolve(&path, b));
                            spawn_local(async move {
                                let Some(url) = url else {
                                    let e = format!("{path:?} is not a file of this site");
                                    store.dispatch(ReleaseAction::LoadFailed(load, e));
                                    return;
                                };
                                match net::get(&url).await {
                                    Ok(Some(b)) => {
                                        verify_bundle(&store, load, &trust, path, &b, Some(url)).await
                                    }
                                    Ok(None) => store.dispatch(ReleaseAction::LoadFailed(
                                        load,
                                        format!("this site has no {path}"),
                                    )),
                                    Err(e) => store.dispatch(ReleaseAction::LoadFailed(load, e.to_string())),
                                }
                            });
                        }
                        (Ok(None), Some((name, bytes))) => spawn_local(async move {
                            verify_bundle(&store, load, &trust, name, &bytes, None).await;
                        }),
                        (Ok(None), None) => {}
                    }
                }
            }
        });
    }

    let on_bundle_file = {
        let (store, trust, worker, picked, next) =
            (store.clone(), props.trust.clone(), worker.clone(), picked.clone(), next.clone());
        Callback::from(move |files: web_sys::FileList| {
            let Some(f) = files.get(0) else {
                return;
            };
            let Some(trust) = trust.clone() else {
                store.dispatch(ReleaseAction::Error("the site's trust list has not loaded yet".to_owned()));
                return;
            };
            worker.borrow_mut().take();
            let load = next();
            store.dispatch(ReleaseAction::Loading(load));
            let (store, picked) = (store.clone(), picked.clone());
            spawn_local(async move {
                match read_file(&f).await {
                    Ok(bytes) => {
                        *picked.borrow_mut() = Some((f.name(), bytes.clone()));
                        verify_bundle(&store, load, &trust, f.name(), &bytes, None).await;
                    }
                    Err(e) => store.dispatch(ReleaseAction::LoadFailed(load, e)),
                }
            });
        })
    };

    let on_fetch = {
        let (store, worker, next) = (store.clone(), worker.clone(), next.clone());
        Callback::from(move |_: MouseEvent| {
            let s = &store.0;
            let (Some(m), Some(base), true) =
                (&s.manifest, &s.base, s.report.as_ref().is_some_and(|r| r.verified))
            else {
                return;
            };
            if !hasher(&worker, &store) {
                return;
            }
            for (row, f) in s.files.iter().enumerate() {
                let Some(res) = &f.listed else { continue };
                let job = next();
                store.dispatch(ReleaseAction::Start(job, row));
                match resolve(&res.id, base) {
                    Some(url) => {
                        send(&worker, &Job { id: job, url: Some(url), recount: microdata_spec(m, res) }, None)
                    }
                    None => store.dispatch(ReleaseAction::Worker(Reply::Failed(
                        job,
                        "not a file of this site".to_owned(),
                    ))),
                }
            }
        })
    };

    let check_files = {
        let (store, worker, next) = (store.clone(), worker.clone(), next.clone());
        move |files: web_sys::FileList| {
            let s = &store.0;
            let (Some(m), true) = (&s.manifest, s.report.as_ref().is_some_and(|r| r.verified)) else {
                store.dispatch(ReleaseAction::Error(
                    "open a release whose manifest verifies first; files are only compared with a verified manifest"
                        .to_owned(),
                ));
                return;
            };
            if !hasher(&worker, &store) {
                return;
            }
            for i in 0..files.length() {
                let Some(f) = files.get(i) else { continue };
                let job = next();
                let spec = match match_file(m, &f.name()) {
                    Some(row) => {
                        store.dispatch(ReleaseAction::Start(job, row));
                        microdata_spec(m, &m.related_resource[row])
                    }
                    None => {
                        store.dispatch(ReleaseAction::Extra(job, f.name()));
                        None
                    }
                };
                send(&worker, &Job { id: job, url: None, recount: spec }, Some(&f));
            }
        }
    };
    let on_files = {
        let check_files = check_files.clone();
        Callback::from(move |files: web_sys::FileList| check_files(files))
    };
    let on_drop = Callback::from(move |e: DragEvent| {
        e.prevent_default();
        if let Some(files) = e.data_transfer().and_then(|d| d.files()) {
            check_files(files);
        }
    });
    let on_dragover = Callback::from(|e: DragEvent| e.prevent_default());

    let on_row = {
        let (store, trust, row_text, saved_at) =
            (store.clone(), props.trust.clone(), row_text.clone(), props.trust_saved_at);
        Callback::from(move |_: MouseEvent| {
            let text = row_text.cast::<web_sys::HtmlTextAreaElement>().map(|t| t.value()).unwrap_or_default();
            let Some(trust) = &trust else {
                store.dispatch(ReleaseAction::Error("the site's trust list has not loaded yet".to_owned()));
                return;
            };
            let (mut report, proof) =
                check_row_proof(text.trim().as_bytes(), &BundleTrust::List(trust.clone()));
            if let Some(at) = saved_at {
                saved_trust_list(&mut report, at);
            }
            store.dispatch(ReleaseAction::Row(report, proof));
        })
    };

    let s = &store.0;
    let publisher = s.manifest.as_ref().and_then(|m| {
        props.trust.as_ref().and_then(|t| t.find_publisher(&m.publisher)).map(|(p, _)| p.name.clone())
    });
    html! {
        <section class="release" ondrop={on_drop} ondragover={on_dragover}>
            <header>
                <h1>{ "Verify a published dataset" }</h1>
                <p class="lede">{ "The release's manifest is checked against the publisher's public log, then each file is hashed on this computer. Nothing is uploaded." }</p>
            </header>
            if let Some(e) = &s.error {
                <p class="error" role="alert">{ e.clone() }</p>
            }
            if s.report.is_none() {
                <section class="inputs" aria-label="Release to verify">
                    <FilePicker id="bundle-file" label="Choose the release's manifest.bundle.json"
                        accept=".json,application/json" on_files={on_bundle_file} />
                </section>
            }
            if s.report.is_some() {
                <ReleaseVerdict state={s.clone()} {publisher} local_only={props.local_only.clone()} />
            }
            if s.manifest.is_some() && s.report.as_ref().is_some_and(|r| r.verified) {
                <section class="inputs" aria-label="Files to check">
                    if s.base.is_some() {
                        <button id="fetch-files" onclick={on_fetch}>{ "Check the files on this site" }</button>
                    }
                    <FilePicker id="data-files" label="Or choose downloaded files of this release (or drop them anywhere on this page)"
                        multiple=true {on_files} />
                </section>
                <FileTable state={s.clone()} />
            }
            <section class="inputs" aria-label="Row proof to verify">
                <label for="row-proof">{ "Paste a row proof (from `ledgerless prove-row`) to check one cited row" }</label>
                <textarea id="row-proof" ref={row_text} rows="3" placeholder="{\"format\": \"ledgerless-row-proof/1\", …}" />
                <button id="verify-row" onclick={on_row}>{ "Verify the row" }</button>
            </section>
            if let Some((report, proof)) = &s.row {
                <RowVerdict report={report.clone()} proof={proof.clone()} />
            }
        </section>
    }
}
