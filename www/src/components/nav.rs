//! The navigation between the two pages.

use yew::prelude::*;

/// The navigation's properties.
#[derive(Debug, Clone, PartialEq, Properties)]
pub(crate) struct Props {
    /// Whether the dataset page is shown (else the credential page).
    pub release: bool,
}

/// "Credentials" and "Datasets", the current page marked.
#[function_component(Nav)]
pub(crate) fn nav(props: &Props) -> Html {
    html! {
        <nav aria-label="What to verify">
            <a href="#" aria-current={ (!props.release).then_some("page") }>{ "Credentials" }</a>
            <a href="#release" id="nav-release" aria-current={ props.release.then_some("page") }>{ "Datasets" }</a>
        </nav>
    }
}
