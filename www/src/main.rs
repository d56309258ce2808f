//! Entry point of the browser app.

#[cfg(target_arch = "wasm32")]
fn main() {
    yew::Renderer::<www::App>::new().render();
}

/// The app only runs in a browser; natively this binary does nothing.
#[cfg(not(target_arch = "wasm32"))]
fn main() {}
