//! The location the app follows: its fragment, kept up to date on every `hashchange`.

use wasm_bindgen::JsCast as _;
use wasm_bindgen::prelude::Closure;
use yew::prelude::*;

/// The URL fragment, percent-decoded (browsers encode spaces and non-ASCII characters in it).
fn fragment() -> String {
    let raw = web_sys::window().and_then(|w| w.location().hash().ok()).unwrap_or_default();
    js_sys::decode_uri_component(&raw).ok().and_then(|s| s.as_string()).unwrap_or(raw)
}

/// The current fragment (parse it with [`crate::app::Route::parse`]); the component renders
/// again whenever it changes in this tab.
#[hook]
pub(crate) fn use_fragment() -> String {
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
    (*hash).clone()
}
