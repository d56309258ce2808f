//! The release page: verifies a published release's manifest (from a `#release=` link or a
//! picked `manifest.bundle.json`), then its files, fetched from this site or dropped by the
//! user, each hashed in the Web Worker; and row proofs pasted on their own.

use std::cell::RefCell;
use std::rc::Rc;

use verifier::{
    BundleTrust, Check, Finding, Outcome, ReleaseBundle, Report, Step, TrustList, Verdict, check_release,
    check_row_proof,
};
use wasm_bindgen::JsCast as _;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{JsFuture, spawn_local};
use yew::prelude::*;

use crate::dataset::{
    FileState, Job, ReleaseAction, ReleaseState, Reply, match_file, microdata_spec, release_path,
};
use crate::net;
use crate::state::add_step;

#[derive(Debug, Clone, Default, PartialEq)]
struct Store(ReleaseState);

impl Reducible for Store {
    type Action = ReleaseAction;
    fn reduce(self: Rc<Self>, action: ReleaseAction) -> Rc<Self> {
        Rc::new(Store(self.0.clone().reduce(action)))
    }
}

/// The page's properties.
#[derive(Debug, Clone, PartialEq, Properties)]
pub(crate) struct Props {
    /// The site's trust list, once loaded.
    pub trust: Option<TrustList>,
    /// Publisher origins trusted only by keys added on this browser.
    pub local_only: Vec<String>,
    /// The URL fragment (`#release=…`).
    pub fragment: String,
}

/// The hashing worker, the closure that receives its replies (kept alive together), and the
/// jobs waiting for it to load.
struct Hasher {
    worker: web_sys::Worker,
    _on_message: Closure<dyn FnMut(web_sys::MessageEvent)>,
    _on_error: Closure<dyn FnMut(web_sys::Event)>,
    ready: bool,
    queue: Vec<js_sys::Object>,
}

impl Drop for Hasher {
    /// Leaving the page, or a new release, stops whatever the worker was hashing.
    fn drop(&mut self) {
        self.worker.set_onmessage(None);
        self.worker.set_onerror(None);
        self.worker.terminate();
    }
}

type Slot = Rc<RefCell<Option<Hasher>>>;

/// A bundle file the user picked: its name and bytes.
type Picked = Rc<RefCell<Option<(String, Vec<u8>)>>>;

/// The worker's script, built by Trunk next to the app (a relative URL: works from a sub-path).
const WORKER_URL: &str = "./hasher_loader.js";

/// Starts the worker on first use.
fn hasher(slot: &Slot, store: &UseReducerHandle<Store>) -> bool {
    if slot.borrow().is_some() {
        return true;
    }
    let worker = match web_sys::Worker::new(WORKER_URL) {
        Ok(w) => w,
        Err(_) => {
            store.dispatch(ReleaseAction::Error("this browser cannot start the hashing worker".to_owned()));
            return false;
        }
    };
    let (s, weak) = (store.clone(), Rc::downgrade(slot));
    let on_message = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
        let Some(reply) = e.data().as_string().and_then(|j| serde_json::from_str::<Reply>(&j).ok()) else {
            return;
        };
        if reply == Reply::Ready {
            if let Some(slot) = weak.upgrade()
                && let Some(h) = slot.borrow_mut().as_mut()
            {
                h.ready = true;
                for msg in h.queue.drain(..) {
                    let _ = h.worker.post_message(&msg);
                }
            }
            return;
        }
        s.dispatch(ReleaseAction::Worker(reply));
    });
    worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // The worker's script failed to load, or its wasm aborted: say so instead of hashing forever.
    let (s, weak) = (store.clone(), Rc::downgrade(slot));
    let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(move |_: web_sys::Event| {
        s.dispatch(ReleaseAction::WorkerFailed(
            "the hashing worker stopped (see the browser console)".to_owned(),
        ));
        if let Some(slot) = weak.upgrade() {
            // Dropped after this event, so the next check starts a fresh worker.
            spawn_local(async move {
                slot.borrow_mut().take();
            });
        }
    });
    worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    *slot.borrow_mut() = Some(Hasher {
        worker,
        _on_message: on_message,
        _on_error: on_error,
        ready: false,
        queue: Vec::new(),
    });
    true
}

/// Sends a job to the worker, or queues it until the worker has loaded.
fn send(slot: &Slot, job: &Job, file: Option<&web_sys::File>) {
    let msg = js_sys::Object::new();
    let json = serde_json::to_string(job).unwrap_or_default();
    let _ = js_sys::Reflect::set(&msg, &"job".into(), &JsValue::from_str(&json));
    if let Some(f) = file {
        let _ = js_sys::Reflect::set(&msg, &"file".into(), f);
    }
    if let Some(h) = slot.borrow_mut().as_mut() {
        if h.ready {
            let _ = h.worker.post_message(&msg);
        } else {
            h.queue.push(msg);
        }
    }
}

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

const HISTORY_TITLE: &str =
    "the publisher's log only grew since this release and since this browser last saw it";

/// Checks the publisher's log (when `trust.json` says where it is): it must have grown from
/// the release's checkpoint, and from the last checkpoint this browser saw for it, without
/// rewriting history. Returns the steps to add; offline, one skipped step saying so.
async fn log_history(trust: &TrustList, bundle: &[u8]) -> Vec<Step> {
    let skip = |detail: String| Step::new(Check::LogHistory, Outcome::Skip, detail).titled(HISTORY_TITLE);
    // trust.json names the log: it must answer, or the history is "could not check", never valid.
    let unchecked =
        |detail: String| Step::new(Check::LogHistory, Outcome::Unchecked, detail).titled(HISTORY_TITLE);
    let Ok(b) = ReleaseBundle::parse(bundle) else { return Vec::new() };
    let Some((party, t)) = trust.find_publisher(&b.manifest.publisher) else { return Vec::new() };
    let Some(log) = party.log.as_deref().map(|l| l.trim_end_matches('/').to_owned()) else {
        return vec![skip(
            "trust.json gives no log URL for this publisher: its later history was not checked".to_owned(),
        )];
    };
    let latest = match net::get(&format!("{log}/checkpoint")).await {
        Ok(Some(c)) => c,
        Ok(None) => {
            return vec![unchecked(format!(
                "could not check: {log}/checkpoint was not found, so the log's later history was not checked"
            ))];
        }
        Err(e) => {
            return vec![unchecked(format!(
                "could not check: the publisher's log could not be reached ({e}), so its later history was not checked"
            ))];
        }
    };
    let Ok(proof) = verifier::parse_tlog_proof(b.tlog_proof.as_bytes()) else { return Vec::new() };
    let mut steps = Vec::new();
    let mut olds = vec![proof.checkpoint.into_bytes()];
    let origin = b.manifest.publisher.clone();
    olds.extend(net::last_seen(&origin));
    for old in olds {
        let consistency = match verifier::history_proof_sizes(&old, &latest) {
            Some((o, n)) => net::consistency_proof(&log, o, n).await,
            None => None,
        };
        steps.push(verifier::check_last_seen(&t, &old, &latest, consistency.as_deref()));
    }
    // Remembered only once verified (a pass checked its signature and quorum) and nothing failed.
    if steps.iter().all(|s| matches!(s.outcome, Outcome::Pass | Outcome::Skip))
        && steps.iter().any(|s| s.outcome == Outcome::Pass)
    {
        net::remember(&origin, &latest);
    }
    steps
}

/// Verifies a release bundle, then (if it verified) the publisher's log history.
async fn verify_bundle(
    store: &UseReducerHandle<Store>,
    load: u32,
    trust: &TrustList,
    source: String,
    bytes: &[u8],
    base: Option<String>,
) {
    let (mut report, found) = check_release(bytes, &BundleTrust::List(trust.clone()));
    if report.verified {
        for step in log_history(trust, bytes).await {
            add_step(&mut report, step);
        }
    }
    store.dispatch(ReleaseAction::Loaded(load, source, report, found.map(|(m, _)| m), base));
}

/// The release page.
#[function_component(ReleasePage)]
pub(crate) fn release_page(props: &Props) -> Html {
    let store = use_reducer(Store::default);
    let worker: Slot = use_mut_ref(|| None);
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
        let trust = props.trust.clone();
        use_effect_with((props.fragment.clone(), trust.clone()), move |(fragment, _)| {
            let fragment = fragment.clone();
            if let Some(trust) = trust {
                let path = release_path(&fragment);
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
                                    Err(e) => store.dispatch(ReleaseAction::LoadFailed(load, e)),
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
        Callback::from(move |e: Event| {
            let Some(f) = e
                .target_dyn_into::<web_sys::HtmlInputElement>()
                .and_then(|i| i.files())
                .and_then(|l| l.get(0))
            else {
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
                match JsFuture::from(f.array_buffer()).await {
                    Ok(buf) => {
                        let bytes = js_sys::Uint8Array::new(&buf).to_vec();
                        *picked.borrow_mut() = Some((f.name(), bytes.clone()));
                        verify_bundle(&store, load, &trust, f.name(), &bytes, None).await;
                    }
                    Err(_) => store
                        .dispatch(ReleaseAction::LoadFailed(load, format!("could not read {}", f.name()))),
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
        Callback::from(move |e: Event| {
            if let Some(files) = e.target_dyn_into::<web_sys::HtmlInputElement>().and_then(|i| i.files()) {
                check_files(files);
            }
        })
    };
    let on_drop = Callback::from(move |e: DragEvent| {
        e.prevent_default();
        if let Some(files) = e.data_transfer().and_then(|d| d.files()) {
            check_files(files);
        }
    });
    let on_dragover = Callback::from(|e: DragEvent| e.prevent_default());

    let on_row = {
        let (store, trust, row_text) = (store.clone(), props.trust.clone(), row_text.clone());
        Callback::from(move |_: MouseEvent| {
            let text = row_text.cast::<web_sys::HtmlTextAreaElement>().map(|t| t.value()).unwrap_or_default();
            let Some(trust) = &trust else {
                store.dispatch(ReleaseAction::Error("the site's trust list has not loaded yet".to_owned()));
                return;
            };
            let (report, proof) = check_row_proof(text.trim().as_bytes(), &BundleTrust::List(trust.clone()));
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
                    <label for="bundle-file">{ "Choose the release's manifest.bundle.json" }</label>
                    <input id="bundle-file" type="file" accept=".json,application/json" onchange={on_bundle_file} />
                </section>
            }
            if let Some(r) = &s.report {
                { view_release(s, r, publisher.as_deref(), &props.local_only) }
            }
            if s.manifest.is_some() && s.report.as_ref().is_some_and(|r| r.verified) {
                <section class="inputs" aria-label="Files to check">
                    if s.base.is_some() {
                        <button id="fetch-files" onclick={on_fetch}>{ "Check the files on this site" }</button>
                    }
                    <label for="data-files">{ "Or choose downloaded files of this release (or drop them anywhere on this page)" }</label>
                    <input id="data-files" type="file" multiple=true onchange={on_files} />
                </section>
                { view_files(s) }
            }
            <section class="inputs" aria-label="Row proof to verify">
                <label for="row-proof">{ "Paste a row proof (from `ledgerless prove-row`) to check one cited row" }</label>
                <textarea id="row-proof" ref={row_text} rows="3" placeholder="{\"format\": \"ledgerless-row-proof/1\", …}" />
                <button id="verify-row" onclick={on_row}>{ "Verify the row" }</button>
            </section>
            if let Some((report, proof)) = &s.row {
                { view_row(report, proof.as_ref()) }
            }
        </section>
    }
}

fn verdict_word(r: &Report) -> &'static str {
    match (r.verdict(), r.failure()) {
        (Verdict::Valid, _) => "Valid",
        (Verdict::Unchecked, _) => "Could not check",
        (_, Some(f)) if f.finding == Some(Finding::UntrustedPublisher) => "Untrusted publisher",
        _ => "Invalid",
    }
}

/// `data-verdict` of a report shown on its own (a row proof).
fn report_verdict(r: &Report) -> &'static str {
    crate::state::data_verdict(r.verdict())
}

/// A report's steps, each with its outcome, in a collapsed "How this was checked".
pub(crate) fn view_steps(r: &Report) -> Html {
    html! {
        <details>
            <summary>{ "How this was checked" }</summary>
            <ol class="steps">
                { for r.steps.iter().map(|st| {
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

fn view_release(
    s: &crate::dataset::ReleaseState,
    r: &Report,
    publisher: Option<&str>,
    local_only: &[String],
) -> Html {
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
            if let Some(f) = r.failure() {
                <p class="advice">{ format!("Do not rely on these files: {}", f.detail) }</p>
            } else if !problems.is_empty() {
                <p class="advice">{ format!("Do not rely on these files: {}.", problems.join("; ")) }</p>
            }
            { view_steps(r) }
            <p class="source">{ format!("From: {}", s.source) }</p>
        </article>
    }
}

fn view_files(s: &crate::dataset::ReleaseState) -> Html {
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

fn view_row(r: &Report, proof: Option<&verifier::RowProof>) -> Html {
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
            { view_steps(r) }
        </article>
    }
}
