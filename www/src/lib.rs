//! The ledgerless browser verifier: a Yew single-page app that verifies credential bundles and
//! published dataset releases entirely in the browser through the `verifier` crate (never
//! re-implementing a check).
//!
//! `state` is pure and tested natively; the components and browser I/O build for wasm32.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![deny(rustdoc::broken_intra_doc_links)]

pub mod dataset;
pub mod qr;
pub mod state;

#[cfg(target_arch = "wasm32")]
mod app;
#[cfg(target_arch = "wasm32")]
mod camera;
#[cfg(target_arch = "wasm32")]
mod net;
#[cfg(target_arch = "wasm32")]
mod release_page;
#[cfg(target_arch = "wasm32")]
pub mod worker;

#[cfg(target_arch = "wasm32")]
pub use app::App;
