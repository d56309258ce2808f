//! The app's pages (wasm32 only), one per route: [`credentials`] and [`release`].

pub(crate) mod credentials;
pub(crate) mod release;
