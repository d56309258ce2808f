//! The trust lists: the site's `trust.json` and the keys this browser's user added (local
//! storage), loaded once into the app's store; [`save_local`] stores a changed local list.

use verifier::TrustList;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use super::use_store::Store;
use crate::net;
use crate::state::credentials::{Action, State};
use crate::state::trust::{LOCAL_TRUST_KEY, parse_local};

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

/// Saves the locally added keys and shows them.
pub(crate) fn save_local(store: &UseReducerHandle<Store<State>>, t: TrustList) {
    match (storage(), serde_json::to_string(&t)) {
        (Some(s), Ok(json)) if s.set_item(LOCAL_TRUST_KEY, &json).is_ok() => {
            store.dispatch(Action::LocalTrust(Ok(t)))
        }
        _ => store
            .dispatch(Action::LocalTrust(Err("this browser does not let the page store keys".to_owned()))),
    }
}

/// Loads trust.json from our own origin (a relative URL works from any sub-path), and the
/// keys this browser's user added, into `store` once.
#[hook]
pub(crate) fn use_trust(store: &UseReducerHandle<Store<State>>) {
    let store = store.clone();
    use_effect_with((), move |_| {
        let stored = storage().and_then(|s| s.get_item(LOCAL_TRUST_KEY).ok().flatten());
        store.dispatch(Action::LocalTrust(Ok(parse_local(stored.as_deref()))));
        spawn_local(async move {
            let r = match net::get_saved("trust.json").await {
                Ok(Some((b, saved))) => {
                    if let Some(at) = saved {
                        store.dispatch(Action::TrustSavedAt(at));
                    }
                    TrustList::parse(&b)
                }
                Ok(None) => Err("this site has no trust.json".to_owned()),
                Err(e) => Err(e.to_string()),
            };
            store.dispatch(Action::Trust(r));
        });
    });
}
