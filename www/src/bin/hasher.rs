//! Entry point of the dataset-hashing Web Worker (see `www::worker`).

#[cfg(target_arch = "wasm32")]
fn main() {
    www::worker::run();
}

/// The worker only runs in a browser; natively this binary does nothing.
#[cfg(not(target_arch = "wasm32"))]
fn main() {}
