//! Working offline: registers the site's service worker (`sw.js`, copied into `dist/` by Trunk),
//! which keeps the app shell and `trust.json` so the app opens with no network after one visit.
//! What it keeps and what it never keeps: the header of `www/sw.js` and docs/architecture.md.

use wasm_bindgen_futures::JsFuture;

/// The service worker's script, relative to the page: its scope is the site's directory.
const SERVICE_WORKER: &str = "./sw.js";

/// Registers the service worker, where the browser has them (a secure context: HTTPS or
/// loopback). Without one the app still works, online only; a failure is logged, not shown.
pub fn register_service_worker() {
    let Some(window) = web_sys::window() else { return };
    let navigator = window.navigator();
    // `navigator.serviceWorker` is absent outside secure contexts: never assume it.
    let present = js_sys::Reflect::get(&navigator, &"serviceWorker".into()).is_ok_and(|v| !v.is_undefined());
    if !present {
        return;
    }
    let container = navigator.service_worker();
    wasm_bindgen_futures::spawn_local(async move {
        if let Err(e) = JsFuture::from(container.register(SERVICE_WORKER)).await {
            web_sys::console::warn_1(&format!("offline use unavailable: {e:?}").into());
        }
    });
}

/// Whether the browser says it has no network (`navigator.onLine` false). `true` is no
/// promise of a network: a fetch may still fail.
pub(crate) fn browser_offline() -> bool {
    web_sys::window().is_some_and(|w| !w.navigator().on_line())
}
