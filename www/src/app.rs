//! The app: the [`Route`] the location names, parsed from its fragment by a pure function
//! (tested natively), and (in the browser) the `App` component that follows the fragment and
//! renders the page the route names (its `switch`), in the shape of yew's `function_router`.
//!
//! Every link is a fragment of the one static page, so links work from any sub-path:
//!
//! | fragment                          | page                                               |
//! |-----------------------------------|----------------------------------------------------|
//! | (none), `#`, anything else        | credentials, nothing to verify                      |
//! | `#c1=<digits>`, `#c1u=<b64url>`, `#bundle=<b64url>` (`&`-joined) | credentials, verifying each bundle in the link (compact or JSON) |
//! | `#release`, `#release=`, `#release…` | datasets, nothing loaded (pick a bundle file)    |
//! | `#release=<path>[&…]`             | datasets, verifying the release bundle at `path`    |
//! | `#release=<path>` not a relative path (`https:`, `//`, `/`, `\`, `%`) | datasets, the link refused, saying why |

/// The page the location names, from its percent-decoded fragment (see the module's table).
#[derive(Debug, Clone, PartialEq)]
pub enum Route {
    /// Anything but a dataset link: the credential page.
    Credentials {
        /// The bundles a verification link carries (`#c1=…`, `#c1u=…`, `#bundle=…`), each
        /// decoded to bundle JSON or why not;
        /// empty when the fragment carries none.
        bundles: Vec<Result<Vec<u8>, String>>,
    },
    /// A fragment starting `#release`: the dataset page.
    Release {
        /// The release bundle the link names (`#release=<path>`): `None` for `#release` alone,
        /// an error for a path that is not a relative path on this site.
        link: Result<Option<String>, String>,
    },
}

impl Route {
    /// The route of a (percent-decoded) URL fragment, `#` included (`""` for none).
    pub fn parse(fragment: &str) -> Route {
        if fragment.starts_with("#release") {
            Route::Release { link: release_path(fragment) }
        } else {
            Route::Credentials { bundles: bundles_from_fragment(fragment) }
        }
    }

    /// Whether this is the dataset page (the navigation marks the current page).
    pub fn is_release(&self) -> bool {
        matches!(self, Route::Release { .. })
    }
}

/// Decodes the bundles carried in a URL fragment, each as bundle JSON or why not: compact
/// ones (`#c1=<digits>`, as QR codes hold them, or `#c1u=<base64url>`) are rebuilt into
/// the ordinary bundle, so both forms go through the same checks; the older
/// `#bundle=<base64url(JSON)>` is decoded as before. Several are joined by `&`.
pub fn bundles_from_fragment(fragment: &str) -> Vec<Result<Vec<u8>, String>> {
    verifier::bundles_in_link(&format!("#{}", fragment.trim_start_matches('#')))
        .into_iter()
        .map(|b| b.map_err(|e| e.to_string()))
        .collect()
}

/// Finds bundles in pasted text: verification links, or bundle JSON itself.
pub fn bundles_from_text(text: &str) -> Vec<Result<Vec<u8>, String>> {
    let t = text.trim();
    if t.is_empty() {
        return vec![Err("nothing was pasted".to_owned())];
    }
    if t.starts_with('{') {
        return vec![Ok(t.as_bytes().to_vec())];
    }
    let mut out = Vec::new();
    for word in t.split_whitespace() {
        if let Some((_, frag)) = word.split_once('#') {
            out.extend(bundles_from_fragment(frag));
        }
    }
    if out.is_empty() {
        out.push(Err(
            "paste a verification link (…#c1u=…, …#c1=… or …#bundle=…) or the bundle's JSON".to_owned()
        ));
    }
    out
}

/// Checks a `#release=` path: relative to the site (so it can only name a file of this
/// site's origin), without a scheme, host or backslash.
///
/// # Errors
/// Why the path is refused.
pub fn release_path(fragment: &str) -> Result<Option<String>, String> {
    let Some(rest) = fragment.trim_start_matches('#').strip_prefix("release") else { return Ok(None) };
    let Some(path) = rest.strip_prefix('=') else { return Ok(None) };
    let path = path.split('&').next().unwrap_or_default();
    if path.is_empty() {
        return Ok(None);
    }
    if path.contains(':') || path.starts_with('/') || path.contains('\\') || path.contains('%') {
        return Err(format!(
            "the link names {path:?}: a release link must name a file on this site by a relative path"
        ));
    }
    Ok(Some(path.to_owned()))
}

#[cfg(target_arch = "wasm32")]
pub use view::App;

/// The components (wasm32 only).
#[cfg(target_arch = "wasm32")]
mod view {
    use yew::prelude::*;

    use super::Route;
    use crate::components::local_keys::LocalKeys;
    use crate::components::nav::Nav;
    use crate::hooks::use_location::use_fragment;
    use crate::hooks::use_store::Store;
    use crate::hooks::use_trust::use_trust;
    use crate::hooks::use_verify::{Runs, use_runs};
    use crate::pages::credentials::CredentialsPage;
    use crate::pages::release::ReleasePage;
    use crate::state::credentials::State;
    use crate::state::trust::{Role, local_only};

    /// The whole app: the state both pages share (the site's trust list, the keys added on
    /// this browser, the credential results), and the page the fragment names.
    #[function_component(App)]
    pub fn app() -> Html {
        let store = use_reducer(Store::<State>::default);
        let runs = use_runs(&store);
        // The page follows the fragment: `#release…` is the dataset page, anything else credentials.
        let fragment = use_fragment();
        use_trust(&store);
        switch(&Route::parse(&fragment), &fragment, &store, &runs)
    }

    /// Renders the page `route` names. `fragment` is the location it was parsed from: a page
    /// acts again whenever the location changes.
    fn switch(route: &Route, fragment: &str, store: &UseReducerHandle<Store<State>>, runs: &Runs) -> Html {
        match route {
            Route::Release { link } => {
                let s = &store.0;
                let site_trust = s.trust.clone().unwrap_or_default();
                // Keys are trusted only for their role: a local issuer key labels no release.
                let local_publishers = local_only(&site_trust, &s.local_trust, Role::Publisher);
                html! {
                    <main>
                        <Nav release=true />
                        if let Some(e) = &s.trust_error {
                            <p class="error" role="alert">{ format!("Cannot verify: {e}") }</p>
                        }
                        <ReleasePage trust={s.verifying_trust()} local_only={local_publishers} trust_saved_at={s.trust_saved_at}
                            link={link.clone()} fragment={fragment.to_owned()} />
                        <LocalKeys store={store.clone()} />
                    </main>
                }
            }
            Route::Credentials { bundles } => html! {
                <CredentialsPage store={store.clone()} runs={runs.clone()} bundles={bundles.clone()}
                    fragment={fragment.to_owned()} />
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    use super::*;

    /// A compact link's bundle is rebuilt to the JSON bundle it came from, in either text;
    /// a cut-short one says why it is refused.
    #[test]
    fn compact_fragments_and_pasted_compact_links() {
        let alice =
            verifier::Bundle::parse(include_bytes!("../../cli/tests/cmd/fixtures/bundles/alice.json"))
                .expect("fixture");
        let binary = verifier::write::encode_compact(&alice).expect("compact");
        let digits = verifier::encode_digits(&binary);
        let b64 = URL_SAFE_NO_PAD.encode(&binary);
        let want = Ok(verifier::bundle_json(&alice));
        assert_eq!(bundles_from_fragment(&format!("#c1={digits}")), vec![want.clone()]);
        assert_eq!(bundles_from_fragment(&format!("#c1u={b64}&x=1")), vec![want.clone()]);
        assert_eq!(
            Route::parse(&format!("#c1={digits}")),
            Route::Credentials { bundles: vec![want.clone()] }
        );
        assert_eq!(
            bundles_from_text(&format!("scan or open https://v.example/app/#c1={digits} please")),
            vec![want.clone()]
        );
        assert_eq!(bundles_from_text(&format!("https://v.example/#c1u={b64}")), vec![want]);
        let cut = bundles_from_fragment(&format!("#c1={}", &digits[..digits.len() - 1]));
        assert!(cut[0].as_ref().is_err_and(|e| e.contains("cut short")), "{cut:?}");
    }

    #[test]
    fn fragments_and_pasted_text() {
        let b = URL_SAFE_NO_PAD.encode(b"{\"x\":1}");
        let got = bundles_from_fragment(&format!("#bundle={b}&other=1&bundle={b}"));
        assert_eq!(got, vec![Ok(b"{\"x\":1}".to_vec()), Ok(b"{\"x\":1}".to_vec())]);
        assert!(bundles_from_fragment("#bundle=***")[0].is_err());
        assert_eq!(
            bundles_from_text(&format!("see https://v.example/#bundle={b} thanks")),
            vec![Ok(b"{\"x\":1}".to_vec())]
        );
        assert_eq!(bundles_from_text("  {\"a\":2} "), vec![Ok(b"{\"a\":2}".to_vec())]);
        assert!(bundles_from_text("hello")[0].is_err());
        assert!(bundles_from_text("")[0].is_err());
    }

    #[test]
    fn release_links_only_name_files_of_this_site() {
        assert_eq!(
            release_path("#release=r/manifest.bundle.json"),
            Ok(Some("r/manifest.bundle.json".into()))
        );
        assert_eq!(release_path("#release=a.json&x=1"), Ok(Some("a.json".into())));
        assert_eq!(release_path("#release"), Ok(None));
        assert_eq!(release_path("#bundle=abc"), Ok(None));
        for bad in [
            "https://evil.example/m.json",
            "//evil.example/m.json",
            "/abs.json",
            "a\\b",
            "%2F%2Fevil",
            "javascript:x",
        ] {
            assert!(release_path(&format!("#release={bad}")).is_err(), "{bad}");
        }
    }

    #[test]
    fn every_link_that_works_today_names_its_page() {
        let b = URL_SAFE_NO_PAD.encode(b"{\"x\":1}");
        let bundle = || Ok(b"{\"x\":1}".to_vec());
        let credentials = |bundles: Vec<Result<Vec<u8>, String>>| Route::Credentials { bundles };
        let release = |link: Result<Option<String>, String>| Route::Release { link };
        let path = |p: &str| Ok(Some(p.to_owned()));
        // The credential page: no fragment, an empty one, one it does not know.
        assert_eq!(Route::parse(""), credentials(vec![]));
        assert_eq!(Route::parse("#"), credentials(vec![]));
        assert_eq!(Route::parse("#other=1"), credentials(vec![]));
        // A verification link (`ledgerless share`, the QR code), with one bundle or several,
        // padded or not, among other parameters.
        assert_eq!(Route::parse(&format!("#bundle={b}")), credentials(vec![bundle()]));
        assert_eq!(Route::parse(&format!("#bundle={b}==")), credentials(vec![bundle()]));
        assert_eq!(
            Route::parse(&format!("#bundle={b}&x=1&bundle={b}")),
            credentials(vec![bundle(), bundle()])
        );
        assert!(
            matches!(&Route::parse("#bundle=***"), Route::Credentials { bundles } if bundles[0].is_err())
        );
        // The dataset page: the nav's `#release`, a release link (`ledgerless publish`), and a
        // link naming another site's file, refused on the page.
        assert_eq!(Route::parse("#release"), release(Ok(None)));
        assert_eq!(Route::parse("#release="), release(Ok(None)));
        assert_eq!(
            Route::parse("#release=releases/patients-2026/manifest.bundle.json"),
            release(path("releases/patients-2026/manifest.bundle.json"))
        );
        assert_eq!(
            Route::parse("#release=r/untrusted.bundle.json&x=1"),
            release(path("r/untrusted.bundle.json"))
        );
        assert!(matches!(
            Route::parse("#release=https://evil.example/manifest.bundle.json"),
            Route::Release { link: Err(e) } if e.contains("must name a file on this site")
        ));
        assert!(Route::parse("#release=a.json").is_release());
        assert!(!Route::parse(&format!("#bundle={b}")).is_release());
    }
}
