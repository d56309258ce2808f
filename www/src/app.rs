//! The components: inputs (link, paste, files, drop) and the verdicts.

use verifier::{Bundle, BundleTrust, Outcome, StatusCheck, TrustList, check_bundle};
use wasm_bindgen_futures::{JsFuture, spawn_local};
use yew::prelude::*;

use crate::camera::Scanner;
use crate::net;
use crate::release_page::{ReleasePage, view_steps};
use verifier::Verdict;
use wasm_bindgen::JsCast as _;
use wasm_bindgen::prelude::Closure;

use crate::state::{
    Action, LOCAL_TRUST_KEY, Role, Shown, State, add_local, add_step, advice, bundles_from_fragment,
    bundles_from_text, data_verdict, heading, local_only, parse_local, portfolio_verdict, remove_local,
};

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

/// Saves the locally added keys and shows them.
fn save_local(store: &UseReducerHandle<Store>, t: verifier::TrustList) {
    match (storage(), serde_json::to_string(&t)) {
        (Some(s), Ok(json)) if s.set_item(LOCAL_TRUST_KEY, &json).is_ok() => {
            store.dispatch(Action::LocalTrust(Ok(t)))
        }
        _ => store
            .dispatch(Action::LocalTrust(Err("this browser does not let the page store keys".to_owned()))),
    }
}

/// The reducer, as Yew wants it.
#[derive(Debug, Clone, Default, PartialEq)]
struct Store(State);

impl Reducible for Store {
    type Action = Action;
    fn reduce(self: std::rc::Rc<Self>, action: Action) -> std::rc::Rc<Self> {
        std::rc::Rc::new(Store(self.0.clone().reduce(action)))
    }
}

/// Verifies bundles against the site's trust list, fetching revocation evidence from each
/// trusted issuer's log when it has one.
async fn verify_all(trust: TrustList, inputs: Vec<(String, Result<Vec<u8>, String>)>) -> Vec<Shown> {
    let now = (js_sys::Date::now() / 1000.0) as i64;
    let mut out = Vec::new();
    for (source, bytes) in inputs {
        let bytes = match bytes {
            Ok(b) => b,
            Err(e) => format!("not a bundle: {e}").into_bytes(),
        };
        let mut evidence: Option<Result<verifier::StatusEvidence, String>> = None;
        let mut history = None;
        let mut seen_now = None;
        if let Ok(b) = Bundle::parse(&bytes)
            && let Some((party, t)) = trust.find_issuer(&b.credential.issuer)
            && let Some(log) = &party.log
        {
            evidence = Some(net::status_evidence(log, &b).await);
            // Compare with the last checkpoint this browser saw for the log, then remember the
            // current one (below, once the verifier has checked it).
            if let Some(Ok(e)) = &evidence {
                let origin = b.credential.issuer.clone();
                if let Some(seen) = net::last_seen(&origin) {
                    let proof = match verifier::history_proof_sizes(&seen, &e.latest_checkpoint) {
                        Some((o, n)) => net::consistency_proof(log.trim_end_matches('/'), o, n).await,
                        None => None,
                    };
                    // A proof the comparison needs but the log's tiles did not give: unchecked.
                    history =
                        Some(verifier::check_last_seen(&t, &seen, &e.latest_checkpoint, proof.as_deref()));
                }
                if history.as_ref().is_none_or(|h| h.outcome == Outcome::Pass || h.outcome == Outcome::Skip) {
                    seen_now = Some((origin, e.latest_checkpoint.clone()));
                }
            }
        }
        // A log the trust list names must answer: anything less is "could not check", never valid.
        let status = match &evidence {
            None => StatusCheck::Offline,
            Some(Ok(e)) => StatusCheck::Evidence(e),
            Some(Err(why)) => StatusCheck::Unavailable(why),
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
        let verdict = report.verdict();
        out.push(Shown { source, report, summary, verdict });
    }
    out
}

/// Numbers each verification, so that a late answer for an earlier one is recognised and
/// dropped (a new link, paste or file always wins).
type Counter = std::rc::Rc<std::cell::Cell<u32>>;

fn next(counter: &Counter) -> u32 {
    counter.set(counter.get().wrapping_add(1));
    counter.get()
}

fn start(store: &UseReducerHandle<Store>, counter: &Counter, inputs: Vec<(String, Result<Vec<u8>, String>)>) {
    let Some(trust) = store.0.verifying_trust() else {
        store.dispatch(Action::InputError("the site's trust list has not loaded yet".to_owned()));
        return;
    };
    let run = next(counter);
    store.dispatch(Action::Busy(run));
    let store = store.clone();
    spawn_local(async move {
        let shown = verify_all(trust, inputs).await;
        let ms = web_sys::window().and_then(|w| w.performance()).map(|p| p.now());
        store.dispatch(Action::Shown(run, shown, ms));
    });
}

async fn read_files(files: web_sys::FileList) -> Vec<(String, Result<Vec<u8>, String>)> {
    let mut out = Vec::new();
    for i in 0..files.length() {
        let Some(f) = files.get(i) else { continue };
        let bytes = match JsFuture::from(f.array_buffer()).await {
            Ok(buf) => Ok(js_sys::Uint8Array::new(&buf).to_vec()),
            Err(_) => Err(format!("could not read {}", f.name())),
        };
        out.push((f.name(), bytes));
    }
    out
}

/// The URL fragment, percent-decoded (browsers encode spaces and non-ASCII characters in it).
fn fragment() -> String {
    let raw = web_sys::window().and_then(|w| w.location().hash().ok()).unwrap_or_default();
    js_sys::decode_uri_component(&raw).ok().and_then(|s| s.as_string()).unwrap_or(raw)
}

/// The whole app.
#[function_component(App)]
pub fn app() -> Html {
    let store = use_reducer(Store::default);
    let counter: Counter = use_memo((), |_| std::cell::Cell::new(0));
    let paste = use_node_ref();
    // The page follows the fragment: `#release…` is the dataset page, anything else credentials.
    let hash = use_state(fragment);
    {
        let hash = hash.clone();
        use_effect_with((), move |_| {
            let on_change = Closure::<dyn FnMut()>::new(move || hash.set(fragment()));
            if let Some(w) = web_sys::window() {
                let _ = w.add_event_listener_with_callback("hashchange", on_change.as_ref().unchecked_ref());
            }
            on_change.forget();
        });
    }

    // Load trust.json from our own origin (a relative URL works from any sub-path), and the
    // keys this browser's user added.
    {
        let store = store.clone();
        use_effect_with((), move |_| {
            let stored = storage().and_then(|s| s.get_item(LOCAL_TRUST_KEY).ok().flatten());
            store.dispatch(Action::LocalTrust(Ok(parse_local(stored.as_deref()))));
            spawn_local(async move {
                let r = match net::get("trust.json").await {
                    Ok(Some(b)) => TrustList::parse(&b),
                    Ok(None) => Err("this site has no trust.json".to_owned()),
                    Err(e) => Err(e),
                };
                store.dispatch(Action::Trust(r));
            });
        });
    }
    // A #bundle= link verifies on load, once the trust list is in, and again whenever the
    // fragment changes in this tab: the old verdict goes at once, so it is never shown beside
    // another link; a fragment without a bundle clears it.
    {
        let (store, counter) = (store.clone(), counter.clone());
        let loaded = store.0.verifying_trust().is_some();
        use_effect_with((loaded, (*hash).clone()), move |(loaded, hash)| {
            if *loaded && !hash.starts_with("#release") {
                let found = bundles_from_fragment(hash);
                if found.is_empty() {
                    if !store.0.shown.is_empty() || store.0.busy {
                        store.dispatch(Action::Clear(next(&counter)));
                    }
                } else {
                    start(&store, &counter, found.into_iter().map(|b| ("link".to_owned(), b)).collect());
                }
            }
        });
    }

    let on_paste = {
        let (store, paste, counter) = (store.clone(), paste.clone(), counter.clone());
        Callback::from(move |_: MouseEvent| {
            let text = paste.cast::<web_sys::HtmlTextAreaElement>().map(|t| t.value()).unwrap_or_default();
            start(
                &store,
                &counter,
                bundles_from_text(&text).into_iter().map(|b| ("pasted".to_owned(), b)).collect(),
            );
        })
    };
    let on_files = {
        let (store, counter) = (store.clone(), counter.clone());
        Callback::from(move |e: Event| {
            let Some(files) = e.target_dyn_into::<web_sys::HtmlInputElement>().and_then(|i| i.files()) else {
                return;
            };
            let (store, counter) = (store.clone(), counter.clone());
            spawn_local(async move {
                let inputs = read_files(files).await;
                start(&store, &counter, inputs);
            });
        })
    };
    let on_drop = {
        let (store, counter) = (store.clone(), counter.clone());
        Callback::from(move |e: DragEvent| {
            e.prevent_default();
            let Some(files) = e.data_transfer().and_then(|d| d.files()) else { return };
            let (store, counter) = (store.clone(), counter.clone());
            spawn_local(async move {
                let inputs = read_files(files).await;
                start(&store, &counter, inputs);
            });
        })
    };
    let on_dragover = Callback::from(|e: DragEvent| e.prevent_default());
    let on_qr = {
        let (store, counter) = (store.clone(), counter.clone());
        Callback::from(move |text: String| {
            start(
                &store,
                &counter,
                bundles_from_text(&text).into_iter().map(|b| ("QR code".to_owned(), b)).collect(),
            );
        })
    };
    let on_camera_error = {
        let store = store.clone();
        Callback::from(move |e: String| store.dispatch(Action::InputError(e)))
    };

    let (local_name, local_vkey) = (use_node_ref(), use_node_ref());
    let on_add = |role: Role| {
        let (store, local_name, local_vkey) = (store.clone(), local_name.clone(), local_vkey.clone());
        Callback::from(move |_: MouseEvent| {
            let value =
                |r: &NodeRef| r.cast::<web_sys::HtmlInputElement>().map(|i| i.value()).unwrap_or_default();
            if store.0.trust.is_none() && store.0.trust_error.is_none() {
                // Until the site's list is in, a key for an origin it lists could not be refused.
                store.dispatch(Action::LocalTrust(Err("wait for the site's trust list to load".to_owned())));
                return;
            }
            match add_local(
                &store.0.local_trust,
                store.0.trust.as_ref(),
                role,
                &value(&local_name),
                &value(&local_vkey),
            ) {
                Ok(t) => save_local(&store, t),
                Err(e) => store.dispatch(Action::LocalTrust(Err(e))),
            }
        })
    };
    let s = &store.0;
    let site_trust = s.trust.clone().unwrap_or_default();
    // Keys are trusted only for their role: a local publisher key labels no credential.
    let (local_issuers, local_publishers) = (
        local_only(&site_trust, &s.local_trust, Role::Issuer),
        local_only(&site_trust, &s.local_trust, Role::Publisher),
    );
    let local_keys = html! {
        <details class="local-trust" id="local-trust">
            <summary>{ "Trust another issuer or publisher on this browser" }</summary>
            <p class="warning">{ "Only add a key you got from the organisation itself (its website, a letter, its staff), never from the person or file you are checking: anyone can make a key. Keys added here stay in this browser, and every result that relies on one says so." }</p>
            <label for="local-name">{ "Organisation's name" }</label>
            <input id="local-name" ref={local_name.clone()} type="text" autocomplete="off" />
            <label for="local-vkey">{ "Its log's verifier key (name+id+key)" }</label>
            <input id="local-vkey" ref={local_vkey.clone()} type="text" autocomplete="off" spellcheck="false" />
            <div class="buttons">
                <button id="local-add-issuer" type="button" onclick={on_add(Role::Issuer)}>{ "Trust as a credential issuer" }</button>
                <button id="local-add-publisher" type="button" onclick={on_add(Role::Publisher)}>{ "Trust as a dataset publisher" }</button>
            </div>
            if let Some(e) = &s.local_error {
                <p class="error" role="alert">{ e.clone() }</p>
            }
            if !local_issuers.is_empty() || !local_publishers.is_empty() {
                <ul class="local-keys">
                    { for s.local_trust.issuers.iter().map(|p| ("issuer", p)).chain(s.local_trust.publishers.iter().map(|p| ("publisher", p))).map(|(role, p)| {
                        let origin = verifier::parse_verifier_key(&p.vkey).map(|k| k.name).unwrap_or_default();
                        let on_remove = {
                            let (store, origin) = (store.clone(), origin.clone());
                            Callback::from(move |_: MouseEvent| save_local(&store, remove_local(&store.0.local_trust, &origin)))
                        };
                        html! { <li data-origin={origin.clone()}>{ format!("{} ({role}, {origin}) ", p.name) }<button type="button" class="link" onclick={on_remove} aria-label={format!("Stop trusting {}", p.name)}>{ "Remove" }</button></li> }
                    }) }
                </ul>
            }
        </details>
    };
    let nav = html! {
        <nav aria-label="What to verify">
            <a href="#" aria-current={ (!hash.starts_with("#release")).then_some("page") }>{ "Credentials" }</a>
            <a href="#release" id="nav-release" aria-current={ hash.starts_with("#release").then_some("page") }>{ "Datasets" }</a>
        </nav>
    };
    if hash.starts_with("#release") {
        return html! {
            <main>
                { nav }
                if let Some(e) = &s.trust_error {
                    <p class="error" role="alert">{ format!("Cannot verify: {e}") }</p>
                }
                <ReleasePage trust={s.verifying_trust()} local_only={local_publishers.clone()} fragment={(*hash).clone()} />
                { local_keys }
            </main>
        };
    }
    let verdicts: Vec<Verdict> = s.shown.iter().map(|r| r.verdict).collect();
    let subjects = s.subjects();
    html! {
        <main ondrop={on_drop} ondragover={on_dragover}>
            { nav }
            <header>
                <h1>{ "Verify a credential" }</h1>
                <p class="lede">{ "Everything is checked in this browser against the issuers' public logs. Nothing you open here is uploaded." }</p>
            </header>
            if let Some(e) = &s.trust_error {
                <p class="error" role="alert">{ format!("Cannot verify: {e}") }</p>
            }
            <section class="inputs" aria-label="Credential to verify">
                <label for="paste">{ "Paste a verification link or a bundle" }</label>
                <textarea id="paste" ref={paste} rows="4" placeholder="https://…#bundle=…" />
                <button id="verify-paste" onclick={on_paste}>{ "Verify" }</button>
                <label for="file">{ "Or choose bundle files (or drop them anywhere on this page)" }</label>
                <input id="file" type="file" accept=".json,application/json" multiple=true onchange={on_files} />
                <Scanner on_text={on_qr} on_error={on_camera_error} />
            </section>
            { local_keys }
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
                    { for s.shown.iter().enumerate().map(|(i, r)| view_result(i, r, &local_issuers)) }
                </section>
            }
        </main>
    }
}

fn view_result(i: usize, r: &Shown, locally: &[String]) -> Html {
    let local = r.summary.as_ref().is_some_and(|s| locally.contains(&s.issuer));
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
            if let Some(f) = r.report.failure() {
                <p class="advice">{ advice(f) }</p>
            }
            { view_steps(&r.report) }
            <p class="source">{ format!("From: {}", r.source) }</p>
        </article>
    }
}
