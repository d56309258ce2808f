//! Trusting another issuer or publisher on this browser: the warning, the form, and the keys
//! added so far, each removable.

use yew::prelude::*;

use crate::hooks::use_store::Store;
use crate::hooks::use_trust::save_local;
use crate::state::credentials::{Action, State};
use crate::state::trust::{Role, add_local, local_only, remove_local};

/// The form's properties.
#[derive(Debug, Clone, PartialEq, Properties)]
pub(crate) struct Props {
    /// The app's store: the site's trust list and the keys added on this browser.
    pub store: UseReducerHandle<Store<State>>,
}

/// The collapsed "Trust another issuer or publisher on this browser".
#[function_component(LocalKeys)]
pub(crate) fn local_keys(props: &Props) -> Html {
    let store = &props.store;
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
    let (local_issuers, local_publishers) = (
        local_only(&site_trust, &s.local_trust, Role::Issuer),
        local_only(&site_trust, &s.local_trust, Role::Publisher),
    );
    html! {
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
    }
}
