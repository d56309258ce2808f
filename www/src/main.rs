//! Entry point of the browser app.

#[cfg(target_arch = "wasm32")]
fn main() {
    www::register_service_worker();
    yew::Renderer::<www::App>::new().render();
}

/// The app only runs in a browser; natively this binary does nothing.
#[cfg(not(target_arch = "wasm32"))]
fn main() {}
